/**
 * One database worker thread as the client sees it: the request it is running (one at a time),
 * whether it has opened its connection, and whether its exit is expected. The scheduling lives in
 * client.ts; this module only wraps the thread.
 */
import { Worker } from 'node:worker_threads';
import { CodeidxError, type ErrorCode } from '../errors.ts';
import type { ErrorJson, Method, Request, Role, WorkerMessage } from './protocol.ts';
import type { ProgressListener } from '../types.ts';

/** A request the client accepted, from the call until it settles. */
export interface Job {
  id: number;
  method: Method;
  args: unknown;
  /** Which worker runs it: the writer, or any reader of the pool. */
  target: Role;
  /** A read is retried on another worker when its worker dies; a write is not. */
  read: boolean;
  /** Whether the readers must be closed around it (it replaces the database file). */
  replace: boolean;
  cancel?: Int32Array;
  onProgress?: ProgressListener;
  /** How many workers died while running it. */
  attempts: number;
  settled: boolean;
  resolve(value: unknown): void;
  reject(error: CodeidxError): void;
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

export interface SlotEvents {
  message(slot: WorkerSlot, message: WorkerMessage): void;
  exit(slot: WorkerSlot, code: number): void;
  error(slot: WorkerSlot, error: Error): void;
}

/** A worker thread that runs one job at a time. It keeps the process alive only while busy. */
export class WorkerSlot {
  readonly role: Role;
  readonly worker: Worker;
  /** Resolves with the exit code once the thread has ended. */
  readonly exited: Promise<number>;
  job: Job | undefined;
  /** The connection is open and the slot takes jobs. */
  ready = false;
  /** Closed or abandoned on purpose: its exit is not a crash. */
  retiring = false;

  constructor(role: Role, url: URL, events: SlotEvents) {
    this.role = role;
    this.worker = new Worker(url, { workerData: { role } });
    this.worker.on('message', (m: WorkerMessage) => events.message(this, m));
    this.worker.on('error', (err) => events.error(this, err));
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        resolve(code);
        events.exit(this, code);
      });
    });
  }

  get idle(): boolean {
    return this.ready && !this.retiring && this.job === undefined;
  }

  get threadId(): number {
    return this.worker.threadId;
  }

  /** Sends `job` to the thread; it must be idle (or opening, for the open job). */
  send(job: Job): void {
    this.job = job;
    this.worker.ref();
    const request: Request = {
      type: 'request',
      id: job.id,
      method: job.method,
      args: job.args as never,
      cancel: job.cancel,
    };
    this.worker.postMessage(request);
  }

  /** The job in flight ended (its answer arrived): an idle thread does not hold the process open. */
  finish(): Job | undefined {
    const job = this.job;
    this.job = undefined;
    // A retiring thread stays referenced until it has ended, so its exit is seen.
    if (!this.retiring) this.worker.unref();
    return job;
  }

  /** Ends the thread at once (a crash, as far as SQLite is concerned: uncommitted work rolls back). */
  abandon(): Promise<number> {
    this.retiring = true;
    this.worker.ref();
    void this.worker.terminate();
    return this.exited;
  }
}
