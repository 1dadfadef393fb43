import { join } from 'node:path';
import type { DatabaseService } from '../storage/service.ts';
import type { CancelFlag } from '../storage/types.ts';
import { planIndex } from './incremental.ts';
import { parseFiles, type PoolOptions } from './pool.ts';
import type { ParseTask } from './protocol.ts';
import { walkFolder, type SkipReason, type WalkOptions } from './walk.ts';

export interface IndexProgress {
  phase: 'walk' | 'delete' | 'parse' | 'done';
  done: number;
  total: number;
  message: string;
}

export interface IndexOptions extends WalkOptions, PoolOptions {
  /** Re-read and re-parse every file, not only those whose size or mtime changed. */
  full?: boolean;
  /** Files per write transaction (default 500). */
  batchSize?: number;
  onProgress?: (event: IndexProgress) => void;
  cancel?: CancelFlag;
}

export interface IndexSummary {
  /** Files in the index after the run. */
  files: number;
  /** Files read, parsed and written. */
  parsed: number;
  /** Files left as they were (same size and mtime, or same content). */
  unchanged: number;
  removed: number;
  skipped: Record<SkipReason | 'parse-error', number>;
  /** Definitions and imports in the index after the run. */
  definitions: number;
  imports: number;
  /** The first few files that failed to parse, with why. */
  errors: { path: string; message: string }[];
  ms: number;
}

/**
 * Brings the folder's index up to date: walks it (ignore rules, size cap), compares with the
 * stored files, parses what changed in worker threads while earlier results are written in
 * batched transactions through the importer (the full-text index stays exact), removes files
 * that are gone, and returns a summary. `service` must be open and migrated.
 */
export async function indexFolder(
  service: DatabaseService,
  folder: string,
  options: IndexOptions = {},
): Promise<IndexSummary> {
  const t0 = performance.now();
  const progress = options.onProgress ?? (() => {});
  progress({ phase: 'walk', done: 0, total: 0, message: 'Listing files…' });
  const walk = walkFolder(folder, options);
  const repo = service.repo();
  const plan = planIndex(walk.files, repo.listFiles(), { full: options.full });
  const skipped: IndexSummary['skipped'] = { ...walk.skipped, 'parse-error': 0 };
  const errors: IndexSummary['errors'] = [];
  const db = service.connection;

  const remove = (paths: string[]): void => {
    if (paths.length) db.transaction(() => paths.forEach((p) => repo.removeFile(p)))();
  };
  progress({
    phase: 'delete',
    done: 0,
    total: plan.toDelete.length,
    message: 'Removing deleted files…',
  });
  remove(plan.toDelete);

  const tasks: ParseTask[] = plan.toParse.map((f, id) => ({
    id,
    file: join(folder, f.path),
    path: f.path,
    language: f.language,
    mtimeMs: f.mtimeMs,
    ...(f.knownHash ? { knownHash: f.knownHash } : {}),
  }));
  const total = tasks.length;
  const touched: { path: string; size: number; mtime: number }[] = [];
  const gone: string[] = [];
  let sameContent = 0;
  let done = 0;

  async function* records(): AsyncGenerator<string> {
    for await (const r of parseFiles(tasks, options)) {
      const task = tasks[r.id]!;
      done++;
      if (done % 50 === 0 || done === total)
        progress({ phase: 'parse', done, total, message: `Indexing ${done}/${total}` });
      if (r.kind === 'record') {
        yield JSON.stringify(r.record);
        continue;
      }
      if (r.kind === 'unchanged') {
        sameContent++;
        touched.push({ path: task.path, size: r.size, mtime: Math.trunc(task.mtimeMs) });
        continue;
      }
      // A stored file that became binary or unreadable leaves the index.
      if (task.knownHash) gone.push(task.path);
      if (r.kind === 'skipped') skipped[r.reason]++;
      else {
        skipped['parse-error']++;
        if (errors.length < 20) errors.push({ path: task.path, message: r.message });
      }
    }
  }

  const report = await service.importRecords(records(), {
    batchSize: options.batchSize ?? 500,
    cancel: options.cancel,
  });
  remove(gone);
  touch(service, touched);
  const stats = repo.stats();
  const summary: IndexSummary = {
    files: stats.files,
    parsed: report.files,
    unchanged: plan.unchanged + sameContent + report.unchanged,
    removed: plan.toDelete.length + gone.length,
    skipped,
    definitions: stats.definitions,
    imports: stats.imports,
    errors,
    ms: Math.round(performance.now() - t0),
  };
  progress({ phase: 'done', done: total, total, message: `Indexed ${stats.files} files` });
  return summary;
}

/**
 * Records the new size and mtime of files whose content did not change (a `touch`, a branch
 * switch and back), so the next run does not read them again. Only `size` and `last_modified`
 * change: the full-text sync triggers watch id, filename and path, so the index is untouched.
 */
function touch(
  service: DatabaseService,
  files: { path: string; size: number; mtime: number }[],
): void {
  if (files.length === 0) return;
  const db = service.connection;
  const update = db.prepare('UPDATE files SET size = ?, last_modified = ? WHERE path = ?');
  db.transaction(() => files.forEach((f) => update.run(f.size, f.mtime, f.path)))();
}
