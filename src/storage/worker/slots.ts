/**
 * The worker threads of a DatabaseClient and their lifecycle: starting the writer and the
 * readers, opening their connections, retiring them, and replacing one that ended or was
 * abandoned. What runs on them (the queues) is dispatch.ts; the public methods are client.ts.
 */
import { toCodeidxError, type CodeidxError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { OpenArgs, OpenResult, Role, WorkerMessage } from './protocol.ts';
import { defaultWorkerUrl, WorkerSlot, type Job } from './pool.ts';
import type { ClientOptions } from './options.ts';
import type { ProgressListener } from '../types.ts';

export abstract class WorkerThreads {
  protected readonly logger: Logger;
  protected readonly url: URL;
  protected readonly closeTimeoutMs: number;
  protected readonly poolSize: number;
  protected writer: WorkerSlot;
  protected readers: WorkerSlot[] = [];
  /** Every thread started and not yet known to have ended, so close() can wait for all. */
  protected readonly threads = new Set<WorkerSlot>();
  protected openArgs: OpenArgs | undefined;
  protected dbPath: string | undefined;
  protected nextId = 1;
  protected exited: CodeidxError | undefined;
  protected closing: Promise<void> | undefined;
  protected readonly opening = new Set<Promise<unknown>>();

  constructor(options: ClientOptions) {
    this.logger = options.logger ?? silentLogger;
    this.url = options.workerUrl ?? defaultWorkerUrl();
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5000;
    this.poolSize = Math.max(0, Math.floor(options.readers ?? 0));
    this.writer = this.spawn('writer');
  }

  /** A worker's answer, progress or log line (dispatch.ts). */
  protected abstract receive(slot: WorkerSlot, message: WorkerMessage): void;
  /** A thread ended (dispatch.ts decides what becomes of its job). */
  protected abstract onExit(slot: WorkerSlot, code: number): void;
  /** Starts whatever can start (dispatch.ts). */
  protected abstract pump(): void;
  /** Fails every request, running and queued, and refuses new ones (dispatch.ts). */
  protected abstract fail(error: CodeidxError): void;
  /** With no reader left, the queued reads go to the writer (dispatch.ts). */
  protected abstract fallBackToWriter(): void;

  /** The thread ids of the writer and the readers, for diagnostics and tests. */
  threadIds(): { writer: number; readers: number[] } {
    return { writer: this.writer.threadId, readers: this.readers.map((r) => r.threadId) };
  }

  protected openWriter(args: OpenArgs, onProgress?: ProgressListener): Promise<OpenResult> {
    this.openArgs = args;
    return this.control(this.writer, 'open', args, onProgress) as Promise<OpenResult>;
  }

  protected spawn(role: Role): WorkerSlot {
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
  protected startReader(): void {
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
      .catch((err: unknown) => {
        this.logger.warn(
          `A read-only worker could not open the database: ${toCodeidxError(err).message}`,
        );
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

  /** A lifecycle message (open, close) sent straight to one thread, outside the queues. */
  protected control(
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
  protected async retire(slot: WorkerSlot): Promise<void> {
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

  /** Starts a thread in place of one that ended or was abandoned; the queues carry on. */
  protected replace(slot: WorkerSlot): void {
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
      .catch((err: unknown) => {
        const error = toCodeidxError(err);
        this.logger.error(`The database worker could not be restarted: ${error.message}`);
        this.fail(error);
      });
  }
}
