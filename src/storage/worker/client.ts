/**
 * The async face of the database workers: one writer thread that owns the DatabaseService, and
 * a pool of reader threads with read-only connections (WAL readers) that answer searches,
 * lookups, status, health and info while the writer migrates, imports or rebuilds. Requests are
 * answered by promises, progress comes as callbacks, cancellation goes through a shared-memory
 * flag the worker's long loops check, and failures are re-created as CodeidxError. No `vscode`
 * here: the extension, tests and any other Node host use it alike.
 *
 * The client's methods (`search`, `migrate`, …) are derived from protocol.ts's METHODS: each is
 * `(args, options?) => Promise<result>`.
 */
import { CodeidxError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import {
  METHODS,
  type ArgsOf,
  type Method,
  type OpenArgs,
  type OpenResult,
  type PublicMethod,
  type ResultOf,
  type Role,
  type WorkerMessage,
} from './protocol.ts';
import { defaultWorkerUrl, errorFromJson, WorkerSlot, type Job } from './pool.ts';
import type { ProgressListener } from '../types.ts';

export { defaultWorkerUrl, errorFromJson };

export interface CallOptions {
  onProgress?: ProgressListener;
  /** Aborting sets the shared cancel flag; the worker stops at its next check and changes nothing. */
  signal?: AbortSignal;
  /**
   * Milliseconds until the request fails with TIMEOUT (counted from the call, queueing
   * included). A request that is running by then is cancelled and its worker replaced, so a
   * stuck request never wedges the client. Default: `readTimeoutMs` for reads, none for writes.
   */
  timeoutMs?: number;
}

export interface ClientOptions {
  logger?: Logger;
  /** The worker script; by default worker.ts beside this file, or worker.js beside the bundle. */
  workerUrl?: URL;
  /** Milliseconds `close()` waits for running requests and for the workers to close their connections. */
  closeTimeoutMs?: number;
  /**
   * Reader threads beside the writer (default 0: every request runs on the writer, in the order
   * of the calls). With readers, a read sees the last committed state, not a write still running.
   */
  readers?: number;
  /** Requests that may wait for a worker; one more fails with QUEUE_FULL (default 1000). */
  maxQueue?: number;
  /** Default time limit of a read, in milliseconds (default 30,000; 0: none). */
  readTimeoutMs?: number;
}

/** A client method: the arguments may be left out when none are required. */
type ClientMethod<M extends PublicMethod> =
  Record<string, never> extends ArgsOf<M>
    ? (args?: ArgsOf<M>, options?: CallOptions) => Promise<ResultOf<M>>
    : (args: ArgsOf<M>, options?: CallOptions) => Promise<ResultOf<M>>;

type ClientMethods = { [M in PublicMethod]: ClientMethod<M> };

const stoppedHint =
  'Run "CodeIdx: Show Log" for details; reopening the folder starts a new worker.';

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- the methods are installed on the prototype from METHODS below
export interface DatabaseClient extends ClientMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class DatabaseClient {
  private readonly logger: Logger;
  private readonly url: URL;
  private readonly closeTimeoutMs: number;
  private readonly poolSize: number;
  private readonly maxQueue: number;
  private readonly readTimeoutMs: number;
  private writer: WorkerSlot;
  private readers: WorkerSlot[] = [];
  /** Every thread started and not yet known to have ended, so close() can wait for all. */
  private readonly threads = new Set<WorkerSlot>();
  private readonly writeQueue: Job[] = [];
  private readonly readQueue: Job[] = [];
  private openArgs: OpenArgs | undefined;
  private dbPath: string | undefined;
  /** A replace (restore, repair) is running or waiting for the readers to close. */
  private replacing = false;
  private nextId = 1;
  private exited: CodeidxError | undefined;
  private closing: Promise<void> | undefined;
  private busyCount = 0;
  private readonly busyListeners = new Set<(busy: boolean) => void>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly opening = new Set<Promise<unknown>>();

  constructor(options: ClientOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.url = options.workerUrl ?? defaultWorkerUrl();
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5000;
    this.poolSize = Math.max(0, Math.floor(options.readers ?? 0));
    this.maxQueue = options.maxQueue ?? 1000;
    this.readTimeoutMs = options.readTimeoutMs ?? 30_000;
    this.writer = this.spawn('writer');
  }

  /** Starts the writer, opens the database in it (no migration: call `migrate`), then the readers. */
  static async open(
    args: OpenArgs,
    options: ClientOptions & CallOptions = {},
  ): Promise<{ client: DatabaseClient; opened: OpenResult }> {
    const client = new DatabaseClient(options);
    try {
      const opened = await client.openWriter(args, options.onProgress);
      client.dbPath = opened.path;
      for (let i = 0; i < client.poolSize; i++) client.startReader();
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

  /** The thread ids of the writer and the readers, for diagnostics and tests. */
  threadIds(): { writer: number; readers: number[] } {
    return { writer: this.writer.threadId, readers: this.readers.map((r) => r.threadId) };
  }

  /**
   * Ends a worker thread as a crash would, for tests and diagnostics: the client replaces it,
   * retries the read it was running and fails a write it was running with WORKER_EXITED.
   */
  terminateWorker(role: Role, index = 0): Promise<number> {
    const slot = role === 'writer' ? this.writer : this.readers[index];
    if (!slot) return Promise.reject(new CodeidxError('INVALID_ARGUMENT', `No ${role} ${index}.`));
    void slot.worker.terminate();
    return slot.exited;
  }

  /** Sends one request; the typed methods (`client.search(…)`) call this. */
  call<M extends PublicMethod>(
    method: M,
    args: ArgsOf<M>,
    options: CallOptions = {},
  ): Promise<ResultOf<M>> {
    if (this.exited) return Promise.reject(this.exited);
    if (this.closing) {
      return Promise.reject(new CodeidxError('INTERNAL', 'The database is closing.'));
    }
    if (this.writeQueue.length + this.readQueue.length >= this.maxQueue) {
      return Promise.reject(
        new CodeidxError(
          'QUEUE_FULL',
          `The database is busy: ${this.maxQueue} requests are already waiting.`,
          {
            transient: true,
            hint: 'Try again in a moment; raise codeidx.readPool.queueLimit if this happens in normal use.',
            details: { limit: this.maxQueue },
          },
        ),
      );
    }
    const spec = METHODS[method];
    const read = spec.kind === 'read';
    const onWriter = (spec as { onWriter?: (a: ArgsOf<M>) => boolean }).onWriter?.(args);
    const target: Role = read && !onWriter && this.poolSize > 0 ? 'reader' : 'writer';
    const timeoutMs = options.timeoutMs ?? (read ? this.readTimeoutMs : 0);
    return this.enqueue(method, args, { ...options, timeoutMs }, target, read);
  }

  /**
   * Lets running requests finish, closes every worker's connection, and ends every thread; a
   * worker that does not answer in time is terminated. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const deadline = new Promise<void>((r) => setTimeout(r, this.closeTimeoutMs).unref());
      await Promise.race([this.idle(), deadline]);
      const slots = [this.writer, ...this.readers].filter((s) => !s.retiring);
      await Promise.race([Promise.all(slots.map((s) => this.retire(s))), deadline]);
      this.fail(new CodeidxError('INTERNAL', 'The database is closed.', { hint: stoppedHint }));
      await Promise.all([...this.threads].map((s) => s.abandon()));
    })();
    return this.closing;
  }

  private openWriter(args: OpenArgs, onProgress?: ProgressListener): Promise<OpenResult> {
    this.openArgs = args;
    return this.control(this.writer, 'open', args, onProgress) as Promise<OpenResult>;
  }

  private spawn(role: Role): WorkerSlot {
    const slot = new WorkerSlot(role, this.url, {
      message: (s, m) => this.receive(s, m),
      error: (s, err) => {
        this.logger.error(`A database ${s.role} worker failed: ${err.message}`, {
          stack: err.stack,
        });
      },
      exit: (s, code) => this.onExit(s, code),
    });
    this.threads.add(slot);
    return slot;
  }

  /** A reader opens the file the writer opened, read-only; until then reads wait. */
  private startReader(): void {
    if (!this.dbPath || !this.openArgs || this.closing || this.exited) return;
    const slot = this.spawn('reader');
    this.readers.push(slot);
    const { backupDir, busyTimeoutMs, nativeBinding } = this.openArgs;
    const opened = this.control(slot, 'open', {
      dbPath: this.dbPath,
      backupDir,
      busyTimeoutMs,
      nativeBinding,
    })
      .then(() => this.pump())
      .catch((err: CodeidxError) => {
        this.logger.warn(`A read-only worker could not open the database: ${err.message}`);
        this.readers = this.readers.filter((r) => r !== slot);
        void this.retire(slot);
        this.fallBackToWriter();
      })
      .finally(() => this.opening.delete(opened));
    this.opening.add(opened);
  }

  /**
   * Resolves once the readers started so far have opened (or given up, their reads going to the
   * writer). Reads need not wait for it: they queue until a reader is ready.
   */
  async readersReady(): Promise<void> {
    while (this.opening.size > 0) await Promise.all(this.opening);
  }

  /** With no reader left (none could open), the queued reads go to the writer. */
  private fallBackToWriter(): void {
    if (this.readers.length > 0 || this.replacing) return;
    for (const job of this.readQueue.splice(0)) {
      job.target = 'writer';
      this.writeQueue.push(job);
    }
    this.pump();
  }

  /** A lifecycle message (open, close) sent straight to one thread, outside the queues. */
  private control(
    slot: WorkerSlot,
    method: 'open' | 'close',
    args: unknown,
    onProgress?: ProgressListener,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        method,
        args,
        target: slot.role,
        read: false,
        replace: false,
        onProgress,
        attempts: 0,
        settled: false,
        resolve: (v) => {
          if (method === 'open') slot.ready = true;
          resolve(v);
        },
        reject,
      };
      slot.send(job);
    });
  }

  /** Closes a thread's connection and lets it end; terminates it when it does not answer in time. */
  private async retire(slot: WorkerSlot): Promise<void> {
    if (slot.retiring) return;
    slot.retiring = true;
    if (slot.job || !slot.ready) {
      await slot.abandon();
      return;
    }
    const timer = new Promise<void>((r) => setTimeout(r, this.closeTimeoutMs).unref());
    await Promise.race([this.control(slot, 'close', {}).catch(() => undefined), timer]);
    await Promise.race([slot.exited, timer]);
    await slot.abandon();
  }

  private enqueue<M extends Method>(
    method: M,
    args: ArgsOf<M>,
    options: CallOptions,
    target: Role,
    read: boolean,
  ): Promise<ResultOf<M>> {
    let cancel: Int32Array | undefined;
    let onAbort: (() => void) | undefined;
    if (options.signal || options.timeoutMs) {
      cancel = new Int32Array(new SharedArrayBuffer(4));
      const flag = cancel;
      onAbort = () => Atomics.store(flag, 0, 1);
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    }
    this.setBusy(+1);
    return new Promise<ResultOf<M>>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): boolean => {
        if (job.settled) return false;
        job.settled = true;
        if (timer) clearTimeout(timer);
        if (onAbort) options.signal?.removeEventListener('abort', onAbort);
        this.setBusy(-1);
        return true;
      };
      const job: Job = {
        id: this.nextId++,
        method,
        args,
        target,
        read,
        replace: METHODS[method].kind === 'replace',
        cancel,
        onProgress: options.onProgress,
        attempts: 0,
        settled: false,
        resolve: (value) => {
          if (done()) resolve(value as ResultOf<M>);
        },
        reject: (error) => {
          if (done()) reject(error);
        },
      };
      if (options.timeoutMs) {
        const ms = options.timeoutMs;
        timer = setTimeout(() => this.timeOut(job, ms), ms);
        timer.unref();
      }
      (target === 'writer' ? this.writeQueue : this.readQueue).push(job);
      this.pump();
    });
  }

  /** Starts whatever can start: the writer's next job, and a read on each idle reader. */
  private pump(): void {
    if (this.exited) return;
    const head = this.writeQueue[0];
    if (head && this.writer.idle && !this.replacing) {
      if (head.replace && this.readers.length > 0) {
        this.replaceWithReadersClosed();
      } else {
        this.writer.send(this.writeQueue.shift()!);
      }
    }
    if (this.replacing) return;
    for (const reader of this.readers) {
      if (this.readQueue.length === 0) break;
      if (reader.idle) reader.send(this.readQueue.shift()!);
    }
  }

  /**
   * A restore or repair swaps the database file: the readers must not hold the old one open.
   * Reads wait while the readers finish their current read and close; fresh readers open the
   * new file once the writer is done.
   */
  private replaceWithReadersClosed(): void {
    this.replacing = true;
    const readers = this.readers;
    this.readers = [];
    void Promise.all(
      readers.map(async (r) => {
        while (r.job && !r.retiring) await new Promise<void>((ok) => this.idleWaiters.push(ok));
        await this.retire(r);
      }),
    ).then(() => {
      const job = this.writeQueue[0];
      if (this.exited || !job || !this.writer.idle) {
        this.afterReplace();
        return;
      }
      this.writer.send(this.writeQueue.shift()!);
    });
  }

  private afterReplace(): void {
    if (!this.replacing) return;
    this.replacing = false;
    for (let i = 0; i < this.poolSize; i++) this.startReader();
    this.pump();
  }

  private timeOut(job: Job, ms: number): void {
    if (job.settled) return;
    if (job.cancel) Atomics.store(job.cancel, 0, 1);
    for (const queue of [this.writeQueue, this.readQueue]) {
      const at = queue.indexOf(job);
      if (at >= 0) queue.splice(at, 1);
    }
    const slot = [this.writer, ...this.readers].find((s) => s.job === job);
    if (job.replace) this.afterReplace();
    job.reject(
      new CodeidxError('TIMEOUT', `"${job.method}" did not finish within ${ms} ms.`, {
        transient: true,
        hint: slot
          ? 'It was stopped and its worker replaced (SQLite rolled back what it had not committed); try again, or raise the time limit.'
          : 'It was still waiting for a worker; try again when the database is less busy.',
        details: { method: job.method, timeoutMs: ms },
      }),
    );
    // A stuck worker is not waited for: it is ended and a fresh one takes the next request.
    if (slot) {
      slot.finish();
      void slot.abandon();
      this.replace(slot);
    }
  }

  /** Starts a thread in place of one that ended or was abandoned; the queues carry on. */
  private replace(slot: WorkerSlot): void {
    if (this.closing || this.exited) return;
    if (slot.role === 'reader') {
      if (!this.readers.includes(slot)) return;
      this.readers = this.readers.filter((r) => r !== slot);
      this.startReader();
      return;
    }
    if (slot !== this.writer) return;
    this.writer = this.spawn('writer');
    this.openWriter(this.openArgs ?? {})
      .then((opened) => {
        this.logger.info(`A new database worker reopened ${opened.path}.`);
        this.pump();
      })
      .catch((err: CodeidxError) => {
        this.logger.error(`The database worker could not be restarted: ${err.message}`);
        this.fail(err);
      });
  }

  private onExit(slot: WorkerSlot, code: number): void {
    this.threads.delete(slot);
    for (const wake of this.idleWaiters.splice(0)) wake();
    if (slot.retiring) return;
    // A crash: the read it was running goes back to the front of its queue, a write fails.
    const job = slot.finish();
    if (job?.replace) this.afterReplace();
    if (job && !job.settled) {
      job.attempts++;
      if (job.read && job.attempts < 3) {
        (job.target === 'writer' ? this.writeQueue : this.readQueue).unshift(job);
      } else {
        job.reject(
          new CodeidxError(
            'WORKER_EXITED',
            `The database worker stopped (exit code ${code}) while running "${job.method}".`,
            {
              hint: `SQLite rolled back what it had not committed; run it again. ${stoppedHint}`,
              details: { method: job.method, exitCode: code },
            },
          ),
        );
      }
    }
    this.logger.warn(`A database ${slot.role} worker stopped (exit code ${code}); replacing it.`);
    if (slot.ready) this.replace(slot);
    else if (slot === this.writer) {
      this.fail(
        new CodeidxError('INTERNAL', `The database worker stopped (exit code ${code}).`, {
          hint: stoppedHint,
        }),
      );
    } else {
      this.readers = this.readers.filter((r) => r !== slot);
      this.fallBackToWriter();
    }
    this.pump();
  }

  private idle(): Promise<void> {
    if (this.busyCount === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.onBusyChange((busy) => {
        if (!busy) {
          off();
          resolve();
        }
      });
    });
  }

  private setBusy(delta: number): void {
    const before = this.busyCount > 0;
    this.busyCount += delta;
    const after = this.busyCount > 0;
    if (before !== after) for (const l of this.busyListeners) l(after);
  }

  private receive(slot: WorkerSlot, message: WorkerMessage): void {
    if (message.type === 'log') {
      this.logger[message.level](message.message, message.fields);
      return;
    }
    const job = slot.job;
    if (!job || job.id !== message.id) return;
    if (message.type === 'progress') {
      try {
        job.onProgress?.(message.event);
      } catch (err) {
        this.logger.warn(`A progress listener threw: ${String(err)}`);
      }
      return;
    }
    slot.finish();
    for (const wake of this.idleWaiters.splice(0)) wake();
    if (message.type === 'result') job.resolve(message.value);
    else job.reject(errorFromJson(message.error));
    if (job.replace) this.afterReplace();
    this.pump();
  }

  private fail(error: CodeidxError): void {
    this.exited ??= error;
    for (const slot of [this.writer, ...this.readers]) {
      const job = slot.job;
      if (job && !job.settled) job.reject(error);
    }
    for (const job of [...this.writeQueue.splice(0), ...this.readQueue.splice(0)]) {
      job.reject(error);
    }
  }
}

for (const [name, spec] of Object.entries(METHODS)) {
  if (spec.kind === 'control') continue;
  Object.defineProperty(DatabaseClient.prototype, name, {
    value: function (this: DatabaseClient, args: unknown = {}, options?: CallOptions) {
      return this.call(name as PublicMethod, args as never, options);
    },
    writable: true,
    configurable: true,
  });
}
