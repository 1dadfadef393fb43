import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CodeidxError } from '../storage/errors.ts';
import type { CancelFlag } from '../storage/types.ts';
import type { ParseResult, ParseTask, WorkerSetup } from './protocol.ts';

export interface PoolOptions {
  /** Worker threads (default: cores - 1, at least 1). */
  workers?: number;
  /** 0 < share <= 1 (default 1): each worker sleeps between files to stay busy about this share. */
  cpuShare?: number;
  /** Files a worker parses before it is replaced, to give its WASM memory back (default 2000). */
  recycleAfter?: number;
  /** The worker script; by default parse-worker.ts beside this file, or indexer-worker.js beside the bundle. */
  workerUrl?: URL;
}

/** Tasks sent ahead to each worker, so it never waits for the main thread. */
const WINDOW = 8;
/** Results held before dispatch pauses: bounds memory when the writer falls behind. */
const MAX_BUFFERED = 1000;

/** The worker script next to this module: sources run parse-worker.ts, the bundle dist/indexer-worker.js. */
export function defaultParseWorkerUrl(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './parse-worker.ts' : './indexer-worker.js', here);
}

export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

interface Slot {
  worker: Worker;
  inflight: Set<number>;
  sent: number;
}

/**
 * Parses files in worker threads and yields results in completion order. Cancelling stops
 * dispatch and ends the run with CANCELLED; the workers end with the run.
 */
export async function* parseFiles(
  tasks: readonly ParseTask[],
  options: PoolOptions & { cancel?: CancelFlag } = {},
): AsyncGenerator<ParseResult> {
  const share = options.cpuShare ?? 1;
  if (!(share > 0 && share <= 1)) {
    throw new CodeidxError(
      'INVALID_ARGUMENT',
      `cpuShare must be above 0 and at most 1, not ${share}.`,
      {
        hint: 'Use a fraction such as 0.5 for half of each worker’s time.',
      },
    );
  }
  const count = Math.max(1, Math.min(options.workers ?? defaultWorkerCount(), tasks.length || 1));
  const recycleAfter = options.recycleAfter ?? 2000;
  const setup: WorkerSetup = { cpuShare: share };
  const url = options.workerUrl ?? defaultParseWorkerUrl();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const results: ParseResult[] = [];
  let wake: (() => void) | undefined;
  let next = 0;
  let received = 0;

  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  const spawn = (): Slot => {
    const slot: Slot = {
      worker: new Worker(url, { workerData: setup }),
      inflight: new Set(),
      sent: 0,
    };
    slot.worker.on('message', (r: ParseResult) => {
      slot.inflight.delete(r.id);
      results.push(r);
      notify();
    });
    slot.worker.on('error', (err) => {
      // A crashed worker (out of WASM memory, a grammar bug) fails only the files it held.
      for (const id of slot.inflight) results.push({ id, kind: 'error', message: err.message });
      slot.inflight.clear();
      slot.sent = recycleAfter; // replaced at the next dispatch
      notify();
    });
    return slot;
  };
  const slots = Array.from({ length: count }, spawn);

  const dispatch = (): void => {
    for (let i = 0; i < slots.length; i++) {
      let slot = slots[i]!;
      if (slot.sent >= recycleAfter && slot.inflight.size === 0 && next < tasks.length) {
        void slot.worker.terminate();
        slot = slots[i] = spawn();
      }
      while (
        slot.sent < recycleAfter &&
        slot.inflight.size < WINDOW &&
        next < tasks.length &&
        results.length < MAX_BUFFERED
      ) {
        const task = tasks[next++]!;
        slot.inflight.add(task.id);
        slot.sent++;
        slot.worker.postMessage(task);
      }
    }
  };

  try {
    while (received < tasks.length) {
      if (options.cancel && Atomics.load(options.cancel, 0) !== 0) {
        throw new CodeidxError('CANCELLED', 'Indexing was cancelled.', {
          hint: 'Files written before the cancel stay; the next run continues from them.',
        });
      }
      dispatch();
      if (results.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      while (results.length) {
        const r = results.shift()!;
        if (!byId.has(r.id)) continue;
        received++;
        yield r;
      }
    }
  } finally {
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
