import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CodeidxError } from '../storage/errors.ts';
import type { CancelFlag } from '../storage/types.ts';
import { defaultAssets, type AssetPaths } from './assets.ts';
import { languageById } from './languages.ts';
import { compileGrammar, grammarsFor } from './baseline.ts';
import type { GrammarMessage, ParseResult, ParseTask, WorkerSetup } from './protocol.ts';

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
  /** Grammars posted to this worker. */
  grammars: Set<string>;
  /** Set when the pool ends the worker itself: its exit is not a crash. */
  retired: boolean;
  error?: Error;
}

/** What one run of a pool needs back from the workers' handlers. */
interface Run {
  byId: Map<number, ParseTask>;
  results: ParseResult[];
  /** Files a crashed worker held but had not started. */
  requeued: ParseTask[];
  wake?: () => void;
}

/**
 * Parse worker threads that outlive one run: the extension keeps one per folder so that a saved
 * file is parsed by a thread that has started and loaded its grammar already (starting threads
 * and loading grammars was most of a save's 0.5 to 0.9 s). Runs take turns; workers start on
 * first need, and all of them end after `idleMs` without a run (default 60 s) or on `close()`.
 */
export class ParsePool {
  private readonly options: PoolOptions & { idleMs?: number };
  private readonly setup: WorkerSetup;
  private readonly slots: (Slot | undefined)[] = [];
  private run: Run | undefined;
  private turn: Promise<void> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private spawned = 0;
  /** Worker threads started and not yet exited (a retired one counts until it has ended). */
  private alive = 0;
  private mostAlive = 0;
  /** Per slot index: the retired worker being replaced, until it has ended. */
  private readonly ending: (Promise<number> | undefined)[] = [];
  /** Grammars compiled once in this thread for every worker (see baseline.ts). */
  private readonly grammars = new Map<string, object>();
  private assets: AssetPaths | undefined;

  /** Throws INVALID_ARGUMENT for a CPU share outside (0, 1]. */
  constructor(options: PoolOptions & { idleMs?: number } = {}) {
    const share = options.cpuShare ?? 1;
    if (!(share > 0 && share <= 1)) {
      throw new CodeidxError(
        'INVALID_ARGUMENT',
        `cpuShare must be above 0 and at most 1, not ${share}.`,
        { hint: 'Use a fraction such as 0.5 for half of each worker’s time.' },
      );
    }
    this.options = options;
    this.setup = {
      cpuShare: share,
      locals: options.locals ?? false,
      maxHeapBytes: options.maxHeapBytes ?? MAX_HEAP_BYTES,
    };
  }

  /** Worker threads started over the pool's life. */
  get started(): number {
    return this.spawned;
  }

  /** The most worker threads that were alive at once, ending ones included. */
  get peakThreads(): number {
    return this.mostAlive;
  }

  /** Worker threads alive now. */
  get threads(): number {
    return this.slots.filter((s) => s && !s.retired).length;
  }

  /**
   * Parses `tasks` and yields results in completion order; one run at a time (a second waits for
   * the first). Cancelling stops dispatch and ends the run with CANCELLED; a run that ends early
   * ends the workers that still hold its files, so no stale answer reaches the next run.
   */
  async *parse(tasks: readonly ParseTask[], cancel?: CancelFlag): AsyncGenerator<ParseResult> {
    if (this.closed) throw new CodeidxError('INTERNAL', 'The parse pool is closed.');
    const previous = this.turn;
    let release!: () => void;
    this.turn = new Promise((resolve) => (release = resolve));
    await previous;
    clearTimeout(this.idleTimer);
    for (const s of this.slots) s?.worker.ref();
    try {
      yield* this.runTasks(tasks, cancel);
    } finally {
      // A cancelled or failed run's threads end in the background; their late answers are dropped.
      for (const s of this.slots) if (s && s.inflight.size > 0) void this.retire(s);
      this.run = undefined;
      release();
      this.armIdle();
    }
  }

  /** Ends every worker. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    const live = this.slots.filter((s): s is Slot => s !== undefined);
    this.slots.length = 0;
    await Promise.all(live.map((s) => this.retire(s)));
  }

  private retire(slot: Slot): Promise<number> {
    slot.retired = true;
    slot.inflight.clear();
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots[i] = undefined;
    return slot.worker.terminate();
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.closed) return;
    // An idle pool must not hold the process open (the CLI, a test run); a run refs its workers.
    for (const s of this.slots) s?.worker.unref();
    this.idleTimer = setTimeout(() => {
      for (const s of this.slots) if (s) void this.retire(s);
    }, this.options.idleMs ?? 60_000);
    this.idleTimer.unref();
  }

  private spawn(): Slot {
    const url = this.options.workerUrl ?? defaultParseWorkerUrl();
    const recycleAfter = this.options.recycleAfter ?? 4000;
    this.spawned++;
    this.mostAlive = Math.max(this.mostAlive, ++this.alive);
    const slot: Slot = {
      worker: new Worker(url, { workerData: this.setup, resourceLimits: WORKER_LIMITS }),
      inflight: new Set(),
      sent: 0,
      grammars: new Set(),
      retired: false,
    };
    const notify = (run: Run): void => {
      run.wake?.();
      run.wake = undefined;
    };
    slot.worker.on('message', (r: ParseResult) => {
      // A retired worker's late answers belong to a run that ended early: drop them.
      const run = this.run;
      if (slot.retired || !run || !slot.inflight.delete(r.id)) return;
      if (r.retire) slot.sent = recycleAfter; // replaced once its last files are back
      run.results.push(r);
      notify(run);
    });
    slot.worker.on('error', (err) => (slot.error = err));
    // A crashed worker (out of memory, a grammar bug) fails only the file it was parsing: the
    // oldest it held once its last messages are in, which 'exit' waits for (an 'error' may come
    // before them). The files it had not started go to the next worker.
    slot.worker.on('exit', () => {
      this.alive--;
      if (slot.retired) return;
      slot.retired = true;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = undefined;
      const run = this.run;
      if (!run) return;
      const [current, ...rest] = slot.inflight;
      const message = slot.error?.message ?? 'The parse worker stopped unexpectedly.';
      if (current !== undefined) run.results.push({ id: current, kind: 'error', message });
      for (const id of rest) run.requeued.push(run.byId.get(id)!);
      slot.inflight.clear();
      notify(run);
    });
    return slot;
  }

  /**
   * The grammar `id` compiled to baseline code (see baseline.ts), once per pool; undefined when
   * it does not compile, which the worker then reports per file.
   */
  private grammar(id: string): object | undefined {
    let module = this.grammars.get(id);
    if (!module) {
      try {
        module = compileGrammar((this.assets ??= defaultAssets()), languageById(id));
      } catch {
        return undefined;
      }
      this.grammars.set(id, module);
    }
    return module;
  }

  /** Posts the compiled grammars a file of `language` needs to the worker, before the file. */
  private sendGrammars(slot: Slot, language: string): void {
    for (const id of grammarsFor(language)) {
      if (slot.grammars.has(id)) continue;
      slot.grammars.add(id);
      const module = this.grammar(id);
      if (!module) continue;
      const message: GrammarMessage = { grammar: id, module };
      slot.worker.postMessage(message);
    }
  }

  private async *runTasks(
    tasks: readonly ParseTask[],
    cancel: CancelFlag | undefined,
  ): AsyncGenerator<ParseResult> {
    const count = Math.max(
      1,
      Math.min(this.options.workers ?? defaultWorkerCount(this.setup.cpuShare), tasks.length || 1),
    );
    const recycleAfter = this.options.recycleAfter ?? 4000;
    // Every grammar the run needs is compiled before any worker parses: the flags of a compile
    // are process-wide, and a worker compiling its runtime's functions meanwhile would get
    // baseline code for them too.
    for (const language of new Set(tasks.map((t) => t.language)))
      for (const id of grammarsFor(language)) this.grammar(id);
    const bigBytes = this.options.bigFileBytes ?? BIG_FILE_BYTES;
    /** Big files, waiting for the first worker. */
    const deferred: ParseTask[] = [];
    // Big files first: the first worker starts on them while the others take the small ones, so
    // no worker is left alone with a big file at the end.
    const queue: ParseTask[] = [];
    for (const t of tasks) (t.size >= bigBytes ? deferred : queue).push(t);
    const run: Run = (this.run = {
      byId: new Map(tasks.map((t) => [t.id, t])),
      results: [],
      requeued: [],
    });
    let next = 0;
    let received = 0;

    const pending = (): boolean =>
      next < queue.length || deferred.length > 0 || run.requeued.length > 0;
    /** The next task for a worker: big files only to the first worker, the rest in order. */
    const take = (acceptBig: boolean): ParseTask | undefined => {
      if (run.requeued.length) return run.requeued.shift();
      if (acceptBig && deferred.length) return deferred.shift();
      return next < queue.length ? queue[next++] : undefined;
    };
    const dispatch = (): void => {
      for (let i = 0; i < count; i++) {
        let slot = this.slots[i];
        if (!pending()) break;
        if (slot && slot.sent >= recycleAfter && slot.inflight.size === 0) {
          // Its replacement starts once it has ended: meanwhile both would hold a WASM heap.
          const ended = (this.ending[i] = this.retire(slot));
          void ended.finally(() => {
            this.ending[i] = undefined;
            const now = this.run; // the run that waits for it, maybe a later one
            now?.wake?.();
            if (now) now.wake = undefined;
          });
          continue;
        }
        if (this.ending[i]) continue;
        if (!slot || slot.retired) slot = this.slots[i] = this.spawn();
        while (
          slot.sent < recycleAfter &&
          slot.inflight.size < WINDOW &&
          run.results.length < MAX_BUFFERED
        ) {
          const task = take(i === 0);
          if (!task) break;
          slot.inflight.add(task.id);
          slot.sent++;
          this.sendGrammars(slot, task.language);
          slot.worker.postMessage(task);
        }
      }
    };

    while (received < tasks.length) {
      if (cancel && Atomics.load(cancel, 0) !== 0) {
        throw new CodeidxError('CANCELLED', 'Indexing was cancelled.', {
          hint: 'Files written before the cancel stay; the next run continues from them.',
        });
      }
      dispatch();
      if (run.results.length === 0) await new Promise<void>((resolve) => (run.wake = resolve));
      while (run.results.length) {
        const r = run.results.shift()!;
        if (!run.byId.has(r.id)) continue;
        received++;
        yield r;
      }
    }
  }
}

/**
 * Parses files in worker threads and yields results in completion order, with threads of its
 * own that end with the run. Cancelling stops dispatch and ends the run with CANCELLED.
 */
export async function* parseFiles(
  tasks: readonly ParseTask[],
  options: PoolOptions & { cancel?: CancelFlag } = {},
): AsyncGenerator<ParseResult> {
  const pool = new ParsePool(options);
  try {
    yield* pool.parse(tasks, options.cancel);
  } finally {
    await pool.close();
  }
}
