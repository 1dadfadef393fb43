/**
 * TEMPORARY (extindex branch): a symbol search over the repository's prefix lookup, so the
 * extension's provider compiles and runs before the "symbols" branch (migration 004, fuzzy and
 * camel-hump matching) is merged. On merge, drop this file and keep that branch's searchSymbols.
 */
import type { SymbolMatch } from '../types.ts';
import type { Repository } from './repository.ts';

/** Definitions whose name starts with `text` (any case), exact names first, then shorter names. */
export function symbolMatches(
  repo: Repository,
  text: string,
  o: { limit?: number } = {},
): SymbolMatch[] {
  const query = text.trim();
  if (!query) return [];
  const limit = o.limit ?? 50;
  const lower = query.toLowerCase();
  return repo
    .findDefinitions(query, { prefix: true, limit: Math.min(1000, limit * 4) })
    .map((d) => ({
      name: d.name,
      kind: d.type,
      path: d.path,
      line: d.line,
      column: d.column,
      exported: d.exported,
      signature: d.signature ?? null,
      score: (d.name.toLowerCase() === lower ? 2 : 1) - d.name.length / 1000,
    }))
    .sort((a, b) => b.score - a.score || a.path.localeCompare(b.path) || a.line - b.line)
    .slice(0, limit);
}
