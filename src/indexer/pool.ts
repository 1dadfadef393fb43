import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CodeidxError } from '../storage/errors.ts';
import type { CancelFlag } from '../storage/types.ts';
import type { ParseResult, ParseTask, WorkerSetup } from './protocol.ts';

export interface PoolOptions {
  /** Worker threads (default: every core when `cpuShare` is 1, the user waiting; else cores - 1, at least 1). */
  workers?: number;
  /** Extract local symbols (parameters, local variables) too (default false: see FileParser). */
  locals?: boolean;
  /** 0 < share <= 1 (default 1): each worker sleeps between files to stay busy about this share. */
  cpuShare?: number;
  /** Files a worker parses before it is replaced, to give its WASM memory back (default 4000). */
  recycleAfter?: number;
  /**
   * A worker whose tree-sitter heap grew beyond this many bytes (default MAX_HEAP_BYTES) is
   * replaced, which gives the memory back: a WASM heap never shrinks.
   */
  maxHeapBytes?: number;
  /**
   * Files of at least this many bytes (default BIG_FILE_BYTES) all go to the first worker: a WASM
   * heap grows to fit the largest tree and never shrinks, so only one worker holds that much.
   */
  bigFileBytes?: number;
  /** The worker script; by default parse-worker.ts beside this file, or indexer-worker.js beside the bundle. */
  workerUrl?: URL;
}

/** Tasks sent ahead to each worker, so it keeps parsing while the main thread writes a batch
 * (about 100 ms for 500 files, some 30 files' parsing). */
const WINDOW = 64;
/** Results held before dispatch pauses: bounds memory when the writer falls behind. */
const MAX_BUFFERED = 1000;
/**
 * A 600 KB source grows a worker's WASM heap by about 150 MB (its tree and query matches), and
 * that memory stays until the worker ends; below 256 KiB the growth is a few tens of MB.
 */
export const BIG_FILE_BYTES = 256 * 1024;
/** Four times a fresh worker's heap (32 MiB with every grammar loaded). */
export const MAX_HEAP_BYTES = 128 * 1024 * 1024;
/**
 * V8 heap limits of a parse worker. Left to itself, V8 lets a worker's heap grow to hundreds of
 * MB of garbage (query matches, node objects) before it collects; these keep it near what one
 * file needs. A file that needs more fails alone (see the 'error' handler).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 160 };

/** The worker script next to this module: sources run parse-worker.ts, the bundle dist/indexer-worker.js. */
export function defaultParseWorkerUrl(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './parse-worker.ts' : './indexer-worker.js', here);
}

/**
 * Every core when the user waits for the result (the CLI: the main thread mostly sleeps while
 * workers parse); one fewer for background work under a CPU share, so the editor keeps a core.
 */
export function defaultWorkerCount(cpuShare = 1): number {
  const cores = availableParallelism();
  return cpuShare < 1 ? Math.max(1, cores - 1) : cores;
}

interface Slot {
  worker: Worker;
  /** Ids sent and not answered, in the order sent (the worker parses in that order). */
  inflight: Set<number>;
  sent: number;
  /** Set when the pool ends the worker itself: its exit is not a crash. */
  retired: boolean;
  error?: Error;
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
  const count = Math.max(
    1,
    Math.min(options.workers ?? defaultWorkerCount(share), tasks.length || 1),
  );
  const recycleAfter = options.recycleAfter ?? 4000;
  const bigBytes = options.bigFileBytes ?? BIG_FILE_BYTES;
  /** Big files, waiting for the first worker. */
  const deferred: ParseTask[] = [];
  // Big files first: the first worker starts on them while the others take the small ones, so
  // no worker is left alone with a big file at the end.
  const queue: ParseTask[] = [];
  for (const t of tasks) (t.size >= bigBytes ? deferred : queue).push(t);
  const setup: WorkerSetup = {
    cpuShare: share,
    locals: options.locals ?? false,
    maxHeapBytes: options.maxHeapBytes ?? MAX_HEAP_BYTES,
  };
  const url = options.workerUrl ?? defaultParseWorkerUrl();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const results: ParseResult[] = [];
  /** Files a crashed worker held but had not started. */
  const requeued: ParseTask[] = [];
  let wake: (() => void) | undefined;
  let next = 0;
  let received = 0;

  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  const spawn = (): Slot => {
    const slot: Slot = {
      worker: new Worker(url, { workerData: setup, resourceLimits: WORKER_LIMITS }),
      inflight: new Set(),
      sent: 0,
      retired: false,
    };
    slot.worker.on('message', (r: ParseResult) => {
      if (!slot.inflight.delete(r.id)) return;
      if (r.retire) slot.sent = recycleAfter; // replaced once its last files are back
      results.push(r);
      notify();
    });
    slot.worker.on('error', (err) => (slot.error = err));
    // A crashed worker (out of memory, a grammar bug) fails only the file it was parsing: the
    // oldest it held once its last messages are in, which 'exit' waits for (an 'error' may come
    // before them). The files it had not started go to the next worker.
    slot.worker.on('exit', () => {
      if (slot.retired) return;
      slot.retired = true;
      const [current, ...rest] = slot.inflight;
      const message = slot.error?.message ?? 'The parse worker stopped unexpectedly.';
      if (current !== undefined) results.push({ id: current, kind: 'error', message });
      for (const id of rest) requeued.push(byId.get(id)!);
      slot.inflight.clear();
      slot.sent = recycleAfter; // replaced at the next dispatch
      notify();
    });
    return slot;
  };
  const slots = Array.from({ length: count }, spawn);

  const pending = (): boolean => next < queue.length || deferred.length > 0 || requeued.length > 0;
  /** The next task for a worker: big files only to the first worker, the rest in order. */
  const take = (acceptBig: boolean): ParseTask | undefined => {
    if (requeued.length) return requeued.shift();
    if (acceptBig && deferred.length) return deferred.shift();
    return next < queue.length ? queue[next++] : undefined;
  };
  const dispatch = (): void => {
    for (let i = 0; i < slots.length; i++) {
      let slot = slots[i]!;
      if (slot.sent >= recycleAfter && slot.inflight.size === 0 && pending()) {
        slot.retired = true;
        void slot.worker.terminate();
        slot = slots[i] = spawn();
      }
      while (
        slot.sent < recycleAfter &&
        slot.inflight.size < WINDOW &&
        results.length < MAX_BUFFERED
      ) {
        const task = take(i === 0);
        if (!task) break;
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
    for (const s of slots) s.retired = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
