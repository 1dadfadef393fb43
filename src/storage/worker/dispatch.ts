/**
 * The queues of a DatabaseClient and how requests reach the worker threads: one write at a time
 * on the writer, reads on idle readers, the readers closed around a replace (restore, repair),
 * time limits, a crashed worker's request retried (a read) or failed (a write), and the busy
 * state. The threads themselves are slots.ts.
 */
import { CodeidxError } from '../errors.ts';
import { SHOW_LOG } from '../fixes.ts';
import {
  METHODS,
  type ArgsOf,
  type Method,
  type ResultOf,
  type Role,
  type WorkerMessage,
} from './protocol.ts';
import { errorFromJson, type Job, type WorkerSlot } from './pool.ts';
import type { CallOptions } from './options.ts';
import { WorkerThreads } from './slots.ts';

/** What a stopped worker's errors say; the log is offered as their fix, rendered by each adapter. */
export const STOPPED_HINT =
  'Opening the database again starts a new worker; the log says why it stopped.';

export abstract class Dispatcher extends WorkerThreads {
  protected readonly writeQueue: Job[] = [];
  protected readonly readQueue: Job[] = [];
  /** A replace (restore, repair) is running or waiting for the readers to close. */
  protected replacing = false;
  private busyCount = 0;
  private readonly busyListeners = new Set<(busy: boolean) => void>();
  protected readonly idleWaiters: (() => void)[] = [];

  /** Whether a request is running or queued. */
  get busy(): boolean {
    return this.busyCount > 0;
  }

  /** Calls `listener` whenever `busy` changes; returns the function that unsubscribes. */
  onBusyChange(listener: (busy: boolean) => void): () => void {
    this.busyListeners.add(listener);
    return () => this.busyListeners.delete(listener);
  }

  /** How many readers could start a read now: idle, with no read waiting before it. */
  protected get idleReaders(): number {
    if (this.replacing || this.readQueue.length > 0) return 0;
    return this.readers.filter((r) => r.idle).length;
  }

  /** With no reader left (none could open), the queued reads go to the writer. */
  protected fallBackToWriter(): void {
    if (this.readers.length > 0 || this.replacing) return;
    for (const job of this.readQueue.splice(0)) {
      job.target = 'writer';
      this.writeQueue.push(job);
    }
    this.pump();
  }

  protected enqueue<M extends Method>(
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
    this.setBusy(1);
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
  protected pump(): void {
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

  protected afterReplace(): void {
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

  protected onExit(slot: WorkerSlot, code: number): void {
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
              hint: `SQLite rolled back what it had not committed; run it again. ${STOPPED_HINT}`,
              fix: SHOW_LOG,
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
          hint: STOPPED_HINT,
          fix: SHOW_LOG,
        }),
      );
    } else {
      this.readers = this.readers.filter((r) => r !== slot);
      this.fallBackToWriter();
    }
    this.pump();
  }

  protected idle(): Promise<void> {
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

  protected receive(slot: WorkerSlot, message: WorkerMessage): void {
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

  protected fail(error: CodeidxError): void {
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
