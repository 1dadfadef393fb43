/**
 * The async face of the database worker: one worker thread per database, requests answered by
 * promises, progress as callbacks, cancellation through a shared-memory flag the worker's long
 * loops check, and failures re-created as CodeidxError. No `vscode` here: the extension, tests
 * and any other Node host use it alike.
 */
import { Worker } from 'node:worker_threads';
import { CodeidxError, type ErrorCode } from './errors.ts';
import { silentLogger, type Logger } from './log.ts';
import type {
  ArgsOf,
  ErrorJson,
  Method,
  OpenArgs,
  OpenResult,
  Request,
  ResultOf,
  WorkerMessage,
} from './protocol.ts';
import type { ProgressListener } from './types.ts';

export interface CallOptions {
  onProgress?: ProgressListener;
  /** Aborting sets the shared cancel flag; the worker stops at its next check and changes nothing. */
  signal?: AbortSignal;
}

export interface ClientOptions {
  logger?: Logger;
  /** The worker script; by default worker.ts beside this file, or worker.js beside the bundle. */
  workerUrl?: URL;
  /** Milliseconds `close()` waits for the worker to close the database before terminating it. */
  closeTimeoutMs?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: CodeidxError): void;
  onProgress?: ProgressListener;
}

/** The worker script next to this module: sources run worker.ts, the bundle dist/worker.js. */
export function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './worker.ts' : './worker.js', here);
}

/** Re-creates a CodeidxError from the JSON the worker sent. */
export function errorFromJson(json: ErrorJson): CodeidxError {
  return new CodeidxError(json.code as ErrorCode, json.message, {
    hint: json.hint,
    transient: json.transient,
    details: json.details,
    fix: json.fix,
  });
}

export class DatabaseClient {
  private readonly worker: Worker;
  private readonly logger: Logger;
  private readonly pending = new Map<number, Pending>();
  private readonly closeTimeoutMs: number;
  private nextId = 1;
  private exited: CodeidxError | undefined;
  private closing: Promise<void> | undefined;
  private busyCount = 0;
  private readonly busyListeners = new Set<(busy: boolean) => void>();

  constructor(options: ClientOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5000;
    this.worker = new Worker(options.workerUrl ?? defaultWorkerUrl());
    this.worker.on('message', (message: WorkerMessage) => this.receive(message));
    this.worker.on('error', (err) => {
      this.logger.error(`The database worker failed: ${err.message}`, { stack: err.stack });
      this.fail(
        new CodeidxError('INTERNAL', `The database worker failed: ${err.message}`, {
          hint: 'Run "CodeIdx: Show Log" for details; reopening the folder starts a new worker.',
        }),
      );
    });
    this.worker.on('exit', (code) => {
      this.fail(
        new CodeidxError('INTERNAL', `The database worker stopped (exit code ${code}).`, {
          hint: 'Reopen the folder to start it again.',
        }),
      );
    });
  }

  /** Starts a worker and opens the database in it (no migration: call `migrate`). */
  static async open(
    args: OpenArgs,
    options: ClientOptions & CallOptions = {},
  ): Promise<{ client: DatabaseClient; opened: OpenResult }> {
    const client = new DatabaseClient(options);
    try {
      const opened = await client.call('open', args, options);
      return { client, opened };
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  /** Whether a request is running or queued. */
  get busy(): boolean {
    return this.busyCount > 0;
  }

  /** Calls `listener` whenever `busy` changes; returns the function that unsubscribes. */
  onBusyChange(listener: (busy: boolean) => void): () => void {
    this.busyListeners.add(listener);
    return () => this.busyListeners.delete(listener);
  }

  get closed(): boolean {
    return this.exited !== undefined;
  }

  call<M extends Method>(
    method: M,
    args: ArgsOf<M>,
    options: CallOptions = {},
  ): Promise<ResultOf<M>> {
    if (this.exited) return Promise.reject(this.exited);
    if (this.closing && method !== 'close') {
      return Promise.reject(new CodeidxError('INTERNAL', 'The database is closing.'));
    }
    const id = this.nextId++;
    let cancel: Int32Array | undefined;
    let onAbort: (() => void) | undefined;
    if (options.signal) {
      cancel = new Int32Array(new SharedArrayBuffer(4));
      const flag = cancel;
      onAbort = () => Atomics.store(flag, 0, 1);
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
    }
    this.setBusy(+1);
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const done = (): void => {
        if (onAbort) options.signal?.removeEventListener('abort', onAbort);
        this.setBusy(-1);
      };
      this.pending.set(id, {
        resolve: (value) => {
          done();
          resolve(value as ResultOf<M>);
        },
        reject: (error) => {
          done();
          reject(error);
        },
        onProgress: options.onProgress,
      });
      const request: Request<M> = { type: 'request', id, method, args, cancel };
      this.worker.postMessage(request);
    });
  }

  status(): Promise<ResultOf<'status'>> {
    return this.call('status', {});
  }
  migrate(args: ArgsOf<'migrate'> = {}, o?: CallOptions): Promise<ResultOf<'migrate'>> {
    return this.call('migrate', args, o);
  }
  rollback(to: number, o?: CallOptions): Promise<ResultOf<'rollback'>> {
    return this.call('rollback', { to }, o);
  }
  health(full = false): Promise<ResultOf<'health'>> {
    return this.call('health', { full });
  }
  backup(args: ArgsOf<'backup'> = {}, o?: CallOptions): Promise<ResultOf<'backup'>> {
    return this.call('backup', args, o);
  }
  restore(file: string, o?: CallOptions): Promise<ResultOf<'restore'>> {
    return this.call('restore', { file }, o);
  }
  rebuildFts(o?: CallOptions): Promise<ResultOf<'rebuildFts'>> {
    return this.call('rebuildFts', {}, o);
  }
  repair(args: ArgsOf<'repair'> = {}): Promise<ResultOf<'repair'>> {
    return this.call('repair', args);
  }
  search(text: string, limit?: number): Promise<ResultOf<'search'>> {
    return this.call('search', { text, limit });
  }
  info(): Promise<ResultOf<'info'>> {
    return this.call('info', {});
  }

  /**
   * Closes the database in the worker and ends the thread; a worker that does not answer in
   * time is terminated. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.exited) {
        const timeout = new Promise<void>((r) => setTimeout(r, this.closeTimeoutMs).unref());
        await Promise.race([this.call('close', {}).catch(() => undefined), timeout]);
      }
      await this.worker.terminate();
    })();
    return this.closing;
  }

  private setBusy(delta: number): void {
    const before = this.busyCount > 0;
    this.busyCount += delta;
    const after = this.busyCount > 0;
    if (before !== after) for (const l of this.busyListeners) l(after);
  }

  private receive(message: WorkerMessage): void {
    if (message.type === 'log') {
      this.logger[message.level](message.message, message.fields);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress') {
      try {
        pending.onProgress?.(message.event);
      } catch (err) {
        this.logger.warn(`A progress listener threw: ${String(err)}`);
      }
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'result') pending.resolve(message.value);
    else pending.reject(errorFromJson(message.error));
  }

  private fail(error: CodeidxError): void {
    this.exited ??= error;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(error);
    }
  }
}
