// Latency of repeated calls, as every section of the benchmark reports it: p50 and p99 in ms.
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openConnection } from '../src/storage/database/connection.ts';
import { Repository } from '../src/storage/index/repository.ts';

export type Latency = { p50Ms: number; p99Ms: number; queries: number };

export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN; // NaN: no samples
};
export const round = (n: number, digits = 3): number => Number(n.toFixed(digits));
export const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = (times: number[]): Latency => ({
  p50Ms: round(percentile(times, 50)),
  p99Ms: round(percentile(times, 99)),
  queries: times.length,
});

/** Warm: the same connection, pages and statements cached after a first pass. */
export function warm(fn: (q: string) => unknown, queries: string[]): Latency {
  for (const q of queries.slice(0, 20)) fn(q);
  return summary(
    queries.map((q) => {
      const t0 = performance.now();
      fn(q);
      return performance.now() - t0;
    }),
  );
}

/** warm() for an asynchronous call (a request to a worker): each call awaited before the next. */
export async function warmAsync(
  fn: (q: string) => Promise<unknown>,
  queries: string[],
): Promise<Latency> {
  for (const q of queries.slice(0, 20)) await fn(q);
  const times: number[] = [];
  for (const q of queries) {
    const t0 = performance.now();
    await fn(q);
    times.push(performance.now() - t0);
  }
  return summary(times);
}

/** Cold: a connection opened just before each call (its page cache empty), as issue 10 asks. */
export function cold(
  path: string,
  fn: (r: Repository, q: string) => unknown,
  queries: string[],
): Latency {
  return summary(
    queries.map((q) => {
      const db = openConnection(path, { readonly: true });
      const repo = new Repository(db);
      const t0 = performance.now();
      fn(repo, q);
      const ms = performance.now() - t0;
      db.close();
      return ms;
    }),
  );
}

/**
 * Collects the bench's own garbage with a full GC, so that V8 does not shrink the heap an
 * in-process import of 100,000 files grew (a 40 ms "Mark-Compact (reduce)", see eventloop.ts)
 * in the middle of a latency loop. `--expose-gc` set at run time, the usual way for benchmarks.
 */
export function settleHeap(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Watches the garbage collections of this thread; `stop()` gives the longest pause in ms. */
export function watchGc(): { stop: () => Promise<number> } {
  let longest = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longest = Math.max(longest, e.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    async stop() {
      // Entries are delivered asynchronously: let the last ones arrive.
      await new Promise((r) => setImmediate(r));
      observer.disconnect();
      return round(longest, 1);
    },
  };
}
