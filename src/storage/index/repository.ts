import type { Statement } from 'better-sqlite3';
import type { Connection } from '../database/connection.ts';
import { toCodeidxError } from '../errors.ts';
import { immediateTransaction, writeTransaction } from '../database/lock.ts';
import { validateRecord, type ValidRecord } from './records.ts';
import type { Logger } from '../log.ts';
import { IndexedBatchWriter } from './batch.ts';
import { FileWriter } from './fileWriter.ts';
import { IndexReads } from './reads.ts';
import type { FileRecordInput, UpsertResult } from '../types.ts';

export { COLUMN_WEIGHTS } from './reads.ts';
export { FileWriter, type WriteOutcome } from './fileWriter.ts';

/**
 * Files, definitions, imports, symbols and tags of one database, and search over them (the
 * reads are in reads.ts). Writes go through the tables; the sync triggers keep the full-text
 * index in step.
 */
export class Repository extends IndexReads {
  private readonly writer: FileWriter;
  private readonly batch: IndexedBatchWriter;
  private readonly writes: { remove: Statement; touch: Statement };

  constructor(db: Connection) {
    super(db);
    this.writer = new FileWriter(db);
    this.batch = new IndexedBatchWriter(db);
    this.writes = {
      remove: db.prepare('DELETE FROM files WHERE path = ?'),
      touch: db.prepare('UPDATE files SET size = ?, last_modified = ? WHERE path = ?'),
    };
  }

  /**
   * Stores a file with all its definitions, imports, symbols and tags in one transaction,
   * replacing what was stored for that path. Waits for another writer up to the busy timeout. An unchanged file (same hash) costs one lookup.
   * A record without `hash` gets the SHA-256 of its canonical JSON (the validated record, keys in
   * a fixed order, optional fields as null), so re-sending the same record is also a no-op.
   * Throws IMPORT_INVALID naming the bad field.
   */
  upsertFile(record: FileRecordInput): UpsertResult {
    const valid = validateRecord(record);
    try {
      // BEGIN IMMEDIATE: the lookup before the write must not hold a read lock that cannot upgrade.
      const { fileId, changed } = immediateTransaction(this.db, () =>
        this.writer.write(valid, Date.now()),
      );
      return { fileId, changed };
    } catch (err) {
      throw toCodeidxError(err, `Cannot store ${record.path}`);
    }
  }

  /**
   * Stores many validated records in one write transaction (waiting and retrying for the lock):
   * the bulk path of an indexer. The sync triggers are dropped and re-created inside the
   * transaction, and each written file's index row is written once from `search_documents`, so
   * the full-text index is exact at the commit and no other connection sees the triggers
   * missing. `force` rewrites files whose hash is unchanged (a re-extraction with new rules).
   * Returns the files written and left unchanged; the whole batch rolls back on any error.
   */
  async writeFiles(
    records: readonly ValidRecord[],
    options: { force?: boolean; logger?: Logger } = {},
  ): Promise<{ written: number; unchanged: number }> {
    if (records.length === 0) return { written: 0, unchanged: 0 };
    return writeTransaction(
      this.db,
      () =>
        this.batch.run(({ write }) => {
          const now = Date.now();
          let written = 0;
          for (const r of records) if (write(r, now, { force: options.force }).changed) written++;
          return { written, unchanged: records.length - written };
        }),
      options.logger ? { logger: options.logger } : {},
    );
  }

  /**
   * Records a new size and mtime for files whose content did not change (a `touch`, a branch
   * switch and back), so an incremental indexer does not read them again. The full-text sync
   * triggers watch id, filename and path only, so the index is untouched.
   */
  touchFiles(files: readonly { path: string; size: number; lastModified: number }[]): void {
    if (files.length === 0) return;
    immediateTransaction(this.db, () => {
      for (const f of files) this.writes.touch.run(f.size, Math.trunc(f.lastModified), f.path);
    });
  }

  /** Removes a file and everything recorded about it. Returns false when it was not stored. */
  removeFile(path: string): boolean {
    return this.writes.remove.run(path).changes > 0;
  }
}
