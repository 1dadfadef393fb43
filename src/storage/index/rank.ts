/**
 * The order of search results, shared by the search itself (reads.ts) and the client that
 * merges a search split over reader threads (worker/client.ts). No driver here: the client's
 * bundle imports it.
 */
import type { SearchResult } from '../types.ts';

/** SQLite's default BINARY collation: byte order of the UTF-8 text. */
export function compareText(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Search order: higher score first, equal scores by path. */
export function searchOrder(
  a: { score: number; path: string },
  b: { score: number; path: string },
): number {
  return b.score - a.score || compareText(a.path, b.path);
}

/** A result limit as given, or `fallback` when absent or not a positive integer; at most 1,000. */
export function clampLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1) return fallback;
  return Math.min(limit, 1000);
}

/**
 * The best `limit` results of a search split by file id, from the best `limit` of each part.
 * The order is total (score, then path), so the best of the union are among the best of the
 * parts. Parts run on separate connections and may read different snapshots: a file rewritten
 * between them can come back from both, and is kept once, at its better place.
 */
export function mergeSearchParts(
  parts: readonly SearchResult[][],
  limit: number | undefined,
): SearchResult[] {
  const seen = new Set<string>();
  return parts
    .flat()
    .sort(searchOrder)
    .filter((r) => !seen.has(r.path) && seen.add(r.path))
    .slice(0, clampLimit(limit, 20));
}
