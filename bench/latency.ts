// Latency of repeated calls, as every section of the benchmark reports it: p50 and p99 in ms.
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
