import { basename, dirname, isAbsolute, relative, sep } from 'node:path';
import { BACKUP_DIR_NAME } from '../storage/backup/names.ts';
import type { DatabaseService } from '../storage/service.ts';
import { CodeidxError, sqliteCode } from '../storage/errors.ts';
import { immediateTransaction } from '../storage/database/lock.ts';
import { validateRecord, type ValidRecord } from '../storage/index/records.ts';
import type { CancelFlag } from '../storage/types.ts';
import { planIndex, type IndexPlan, type StoredFile } from './incremental.ts';
import { withLeanHeaps } from './heap.ts';
import { parseFiles, type ParsePool, type PoolOptions } from './pool.ts';
import type { ParseTask } from './protocol.ts';
import {
  walkFolder,
  walkPaths,
  type SkipReason,
  type WalkOptions,
  type WalkResult,
} from './walk.ts';

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
  /**
   * Only these paths changed (relative to the folder, forward slashes; file-watcher events):
   * check them, not the whole folder. A path that is a folder now makes it a whole-folder run.
   */
  paths?: readonly string[];
  /** Parse threads kept between runs (see ParsePool); by default the run starts its own. */
  pool?: ParsePool;
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
 * batched transactions through the repository (the full-text index stays exact at every
 * commit), removes files that are gone, and returns a summary. `service` must be open and
 * migrated. `full` re-reads, re-parses and rewrites every file, even one whose content is the
 * same (new extraction rules reach the index).
 */
export function indexFolder(
  service: DatabaseService,
  folder: string,
  options: IndexOptions = {},
): Promise<IndexSummary> {
  // Without it the writing thread's young generation alone grew to 64-128 MB (see heap.ts).
  return withLeanHeaps(() => indexNow(service, folder, options));
}

async function indexNow(
  service: DatabaseService,
  folder: string,
  options: IndexOptions,
): Promise<IndexSummary> {
  const t0 = performance.now();
  // Schema drift (a planted trigger) blocks every write, as it does the importer's.
  if (service.writeBlocked) throw service.writeBlocked;
  const progress = options.onProgress ?? (() => {});
  progress({ phase: 'walk', done: 0, total: 0, message: 'Listing files…' });
  const repo = service.repo();
  const exclude = [...(options.exclude ?? []), ...ownFiles(folder, service.path)];
  const { tasks, walkSkipped, toDelete, statUnchanged } = prepareRun(folder, repo.listFiles(), {
    ...options,
    exclude,
  });
  const skipped: IndexSummary['skipped'] = { ...walkSkipped, 'parse-error': 0 };
  const errors: IndexSummary['errors'] = [];
  const remove = (paths: string[]): void => {
    if (paths.length)
      immediateTransaction(service.connection, () => paths.forEach((p) => repo.removeFile(p)));
  };
  progress({
    phase: 'delete',
    done: 0,
    total: toDelete.length,
    message: 'Removing deleted files…',
  });
  remove(toDelete);

  const total = tasks.length;
  const batchSize = options.batchSize ?? 500;
  const touched: { path: string; size: number; lastModified: number }[] = [];
  const gone: string[] = [];
  let batch: ValidRecord[] = [];
  let parsed = 0;
  let sameContent = 0;
  let done = 0;
  const failed = (path: string, message: string): void => {
    skipped['parse-error']++;
    if (errors.length < 20) errors.push({ path, message });
  };
  // Records go straight to the repository's batched write (no JSON, one check each); workers
  // keep parsing the files already sent to them while a batch is written.
  const write = async (records: ValidRecord[]): Promise<void> => {
    const { written, unchanged } = await repo.writeFiles(records, { force: options.full });
    parsed += written;
    sameContent += unchanged;
  };
  const flush = async (): Promise<void> => {
    const records = batch;
    batch = [];
    try {
      await write(records);
    } catch (err) {
      // The database refused a row (a constraint): redo the batch file by file so only that
      // file fails. Anything else (busy, disk full) ends the run.
      if (!refusedRow(err)) throw err;
      for (const r of records) {
        try {
          await write([r]);
        } catch (e) {
          if (!refusedRow(e)) throw e;
          failed(r.path, `the database refused it: ${(e as Error).message}`);
        }
      }
    }
  };

  const results = options.pool
    ? options.pool.parse(tasks, options.cancel)
    : parseFiles(tasks, options);
  for await (const r of results) {
    const task = tasks[r.id]!;
    done++;
    if (done % 50 === 0 || done === total)
      progress({ phase: 'parse', done, total, message: `Indexing ${done}/${total}` });
    if (r.kind === 'record') {
      try {
        batch.push(validateRecord(r.record));
      } catch (err) {
        if (task.knownHash) gone.push(task.path); // its stored rows are stale
        failed(task.path, (err as Error).message);
      }
      if (batch.length >= batchSize) await flush();
      continue;
    }
    if (r.kind === 'unchanged') {
      sameContent++;
      touched.push({ path: task.path, size: r.size, lastModified: task.mtimeMs });
      continue;
    }
    // A stored file that became binary or unreadable leaves the index.
    if (task.knownHash) gone.push(task.path);
    if (r.kind === 'skipped') skipped[r.reason]++;
    else failed(task.path, r.message);
  }
  await flush();
  remove(gone);
  repo.touchFiles(touched);
  const stats = repo.stats();
  const summary: IndexSummary = {
    files: stats.files,
    parsed,
    unchanged: statUnchanged + sameContent,
    removed: toDelete.length + gone.length,
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
 * The run's parse tasks and counts, from the walk and the stored files. A function of its own so
 * that the walk's and the plan's per-file objects are garbage once the tasks exist: the run keeps
 * only what it reads later (at 20,000 files they were megabytes of the writing thread's heap).
 */
function prepareRun(
  folder: string,
  stored: StoredFile[],
  options: IndexOptions,
): {
  tasks: ParseTask[];
  walkSkipped: WalkResult['skipped'];
  toDelete: string[];
  statUnchanged: number;
} {
  const { walk, plan } = planRun(folder, stored, options);
  const tasks = plan.toParse.map((f, id): ParseTask => ({
    id,
    root: folder,
    path: f.path,
    language: f.language,
    mtimeMs: f.mtimeMs,
    size: f.size,
    ...(f.knownHash ? { knownHash: f.knownHash } : {}),
  }));
  return {
    tasks,
    walkSkipped: walk.skipped,
    toDelete: plan.toDelete,
    statUnchanged: plan.unchanged,
  };
}

/** The walk (of the folder, or of the changed paths only) and what it means for the index. */
function planRun(
  folder: string,
  stored: StoredFile[],
  options: IndexOptions,
): { walk: WalkResult; plan: IndexPlan } {
  if (options.paths && !options.full) {
    const walk = walkPaths(folder, options.paths, options);
    if (!walk.needsWalk) {
      const listed = new Set(walk.files.map((f) => f.path));
      const gone = new Set(walk.gone);
      const under = walk.gone.map((p) => `${p}/`);
      const plan = planIndex(
        walk.files,
        stored.filter((s) => listed.has(s.path)),
        {},
      );
      plan.toDelete = stored
        .filter((s) => gone.has(s.path) || under.some((u) => s.path.startsWith(u)))
        .map((s) => s.path);
      return { walk, plan };
    }
  }
  const walk = walkFolder(folder, options);
  return { walk, plan: planIndex(walk.files, stored, { full: options.full }) };
}

/**
 * gitignore patterns for codeidx's own files inside the folder: the database and everything
 * named after it beside it (-wal, -shm, -journal, .replaced-*, .corrupt-*, restore temp files)
 * and the default backup folder. They are the index, not code.
 */
export function ownFiles(folder: string, dbPath: string): string[] {
  const rel = relative(folder, dbPath);
  if (rel.startsWith('..') || isAbsolute(rel)) return [];
  const dir = dirname(rel).split(sep).join('/');
  const at = dir === '.' ? '/' : `/${dir}/`;
  const name = basename(rel);
  return [`${at}${name}*`, `${at}.${name}.*`, `${at}${BACKUP_DIR_NAME}/`];
}

/** A refusal about one record (a constraint, a value too big), not about the database. */
function refusedRow(err: unknown): boolean {
  const cause = err instanceof CodeidxError && err.cause !== undefined ? err.cause : err;
  const code = sqliteCode(cause) ?? '';
  return (
    code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_TOOBIG' || code === 'SQLITE_MISMATCH'
  );
}
