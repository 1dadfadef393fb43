import { throwIfCancelled, type Connection } from '../database/connection.ts';
import { immediateTransaction } from '../database/lock.ts';
import type { CancelFlag, ProgressListener } from '../types.ts';
import { formatCount } from '../text.ts';

const COLUMNS = 'filename, path, definitions, imports, docstrings, tags';
const BATCH = 2000;

/** Writes the index rows of the given files from the `search_documents` view. */
export function indexFilesSql(): string {
  return `INSERT INTO search_index (rowid, ${COLUMNS})
    SELECT file_id, ${COLUMNS} FROM search_documents WHERE file_id IN (SELECT value FROM json_each(?))`;
}

/**
 * Rebuilds the full-text index from the tables in one transaction, in batches that report
 * progress and can be cancelled (then nothing changes), and merges it into one segment at the
 * end: a rebuild leaves dozens of segments, and every search reads each of them (at 100,000
 * files the merge takes 5.5 s after 40 s of batches and halves the median search time).
 * Returns the number of files indexed.
 */
export function rebuildSearchIndex(
  db: Connection,
  options: { onProgress?: ProgressListener; cancel?: CancelFlag } = {},
): { rows: number; ms: number } {
  const t0 = performance.now();
  const total = Number(db.prepare('SELECT count(*) FROM files').pluck().get());
  const batch = db.prepare(
    `INSERT INTO search_index (rowid, ${COLUMNS})
       SELECT file_id, ${COLUMNS} FROM search_documents WHERE file_id > ? ORDER BY file_id LIMIT ${BATCH}`,
  );
  const last = db.prepare('SELECT rowid FROM search_index ORDER BY rowid DESC LIMIT 1').pluck();
  const rows = immediateTransaction(db, () => {
    db.exec('DELETE FROM search_index');
    let done = 0;
    for (;;) {
      throwIfCancelled(options.cancel, 'The rebuild');
      const { changes } = batch.run(Number(last.get() ?? 0));
      if (changes === 0) break;
      done += changes;
      options.onProgress?.({
        phase: 'rebuild',
        message: `Rebuilding the full-text index (${formatCount(done)} of ${formatCount(total)} files)`,
        done,
        total,
        increment: total ? (changes / total) * 100 : 100,
      });
    }
    throwIfCancelled(options.cancel, 'The rebuild');
    options.onProgress?.({
      phase: 'rebuild',
      message: 'Merging the full-text index into one segment',
      done,
      total,
      increment: 0,
    });
    optimize(db);
    return done;
  });
  return { rows, ms: performance.now() - t0 };
}

/** Merges the index's segments into one: faster searches after many small writes. */
export function optimizeSearchIndex(db: Connection): void {
  immediateTransaction(db, () => optimize(db));
}

function optimize(db: Connection): void {
  db.prepare("INSERT INTO search_index (search_index) VALUES ('optimize')").run();
}

/**
 * FTS5's own integrity-check (the index agrees with the text it stores) and a cross-check that
 * every file has exactly one index row.
 */
export function checkSearchIndex(db: Connection): { ok: boolean; message: string } {
  try {
    db.prepare("INSERT INTO search_index (search_index, rank) VALUES ('integrity-check', 1)").run();
  } catch (err) {
    return { ok: false, message: `The full-text index is damaged: ${(err as Error).message}.` };
  }
  const files = Number(db.prepare('SELECT count(*) FROM files').pluck().get());
  const rows = Number(db.prepare('SELECT count(*) FROM search_index').pluck().get());
  const orphans = Number(
    db
      .prepare('SELECT count(*) FROM search_index WHERE rowid NOT IN (SELECT id FROM files)')
      .pluck()
      .get(),
  );
  if (rows !== files || orphans > 0) {
    return {
      ok: false,
      message: `The full-text index has ${rows} rows for ${files} files${orphans ? ` (${orphans} for files that are gone)` : ''}.`,
    };
  }
  return { ok: true, message: `Full-text index ok (${rows} files).` };
}

/** Pages of FTS5 merge work done after an import: bounded, so it costs milliseconds. */
export const MERGE_PAGES = 500;

/**
 * Merges some of the index's segments (FTS5 `'merge'`, at most MERGE_PAGES pages): every import
 * commit adds segments, and a replaced file leaves its old entries in them until they merge.
 * Run inside a write transaction. Returns whether it did any work.
 */
export function mergeSearchIndex(db: Connection): boolean {
  const before = Number(db.prepare('SELECT total_changes()').pluck().get());
  db.prepare("INSERT INTO search_index (search_index, rank) VALUES ('merge', ?)").run(MERGE_PAGES);
  return Number(db.prepare('SELECT total_changes()').pluck().get()) > before + 1;
}

/** WAL pages between SQLite's automatic checkpoints during an import (its default: 1,000). */
export const IMPORT_CHECKPOINT_PAGES = 65_536;

/**
 * Spaces SQLite's automatic checkpoints to one every IMPORT_CHECKPOINT_PAGES pages (256 MiB of WAL
 * at 4 KiB pages) until the returned function restores the connection's setting. An import's
 * batches rewrite pages all over large indexes; checkpointing after every commit copied each of
 * them into the database file again and again (100,000 files: 156 s, 139 s spaced). The import
 * truncates the WAL when it ends (checkpointWal).
 */
export function spaceCheckpoints(db: Connection): () => void {
  const before = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  db.pragma(`wal_autocheckpoint = ${IMPORT_CHECKPOINT_PAGES}`);
  return () => db.pragma(`wal_autocheckpoint = ${before}`);
}

/**
 * Copies the WAL into the database and, when no reader still uses it, truncates it to zero
 * bytes: a big import otherwise leaves a WAL file as large as its biggest stretch between
 * checkpoints. Waits at most `waitMs` for readers, then leaves the file for the next time.
 */
export function checkpointWal(db: Connection, waitMs = 100): boolean {
  const [passive] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
  if (!passive || passive.log !== passive.checkpointed) return false;
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma(`busy_timeout = ${Math.trunc(waitMs)}`);
  try {
    const [done] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    return done?.busy === 0;
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}
