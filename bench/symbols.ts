// Benchmark section for migration 004 (symbol search) and definition lookups by name: run by
// bench/run.ts on each search database while it is at version 3, so findDefinitions is measured
// before and after 004 on the same data, and 004's own time over existing rows is reported.
import { openConnection } from '../src/storage/database/connection.ts';
import { Repository } from '../src/storage/index/repository.ts';
import { asciiLower, splitWords } from '../src/storage/index/symbols.ts';
import { loadMigrations } from '../src/storage/migrations/loader.ts';
import { MigrationManager } from '../src/storage/migrations/manager.ts';
import { syntheticFile } from './data.ts';
import { cold, round, warm } from './latency.ts';

/**
 * Typical Go to Symbol queries from the files' own names: a whole name (exact), its first 4
 * letters (prefix), its humps as typed (`pHR`), and a word from inside it (part).
 */
export function symbolQueries(n: number, count: number): Record<string, string[]> {
  const names = Array.from(
    { length: count },
    (_, i) => syntheticFile((i * 7919) % n).definitions![(i * 3) % 20]!.name,
  );
  const humps = (name: string): string =>
    splitWords(name)
      .map((w, i) => (i === 0 ? w[0]!.toLowerCase() : w[0]!.toUpperCase()))
      .join('');
  return {
    exact: names,
    prefix: names.map((name) => name.slice(0, 4)),
    humps: names.map(humps),
    part: names.map((name) => asciiLower(splitWords(name).at(-1)!.replace(/\d+$/, ''))),
  };
}

/**
 * Runs on a database at version 3 holding `n` synthetic files: findDefinitions before 004, the
 * time of 004 over its rows, then findDefinitions and symbol queries after. Leaves it migrated.
 */
export function benchSymbols(path: string, n: number, quick: boolean): Record<string, unknown> {
  const count = quick ? 100 : 300;
  const names = Array.from(
    { length: count },
    (_, i) => syntheticFile((i * 7919) % n).definitions![i % 20]!.name,
  );
  const lookup = (r: Repository, name: string): unknown => r.findDefinitions(name);
  const before = { cold: cold(path, lookup, names) };

  const db = openConnection(path);
  const t0 = performance.now();
  new MigrationManager(db, loadMigrations()).migrate({ to: 4 });
  const migrate004Ms = performance.now() - t0;
  const terms = Number(db.prepare('SELECT count(*) FROM symbol_terms').pluck().get());
  const repo = new Repository(db);
  const after = {
    warm: warm((name) => repo.findDefinitions(name), names),
    cold: cold(path, lookup, names),
  };
  const queries = symbolQueries(n, count);
  const search: Record<string, unknown> = {};
  for (const [kind, list] of Object.entries(queries)) {
    search[kind] = {
      warm: warm((q) => repo.searchSymbols(q, { limit: 50 }), list),
      cold: cold(path, (r, q) => r.searchSymbols(q, { limit: 50 }), list),
      example: list[1],
    };
  }
  db.close();
  return {
    migrate004: { ms: round(migrate004Ms, 1), symbolTerms: terms, files: n },
    findDefinitions: { before, after, target: 'p99 < 2 ms cold at 100,000 files' },
    searchSymbols: { ...search, limit: 50, target: 'milliseconds at 100,000 files' },
  };
}
