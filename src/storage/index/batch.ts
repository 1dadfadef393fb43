/**
 * The bulk write step of the importer and of `Repository.writeFiles`, written once: drop the
 * full-text sync triggers, write the batch, rewrite each written file's index row, re-create the
 * triggers.
 *
 * Why: the sync triggers keep the index right for single writes, but rewrite a file's index row
 * once per child row (about +0.7 s per 10,000 files). A batch drops them inside its own
 * transaction, writes each file's index row once from the `search_documents` view, and
 * re-creates them with their exact SQL before it commits: no other connection ever sees them
 * missing, since DDL is transactional, and a batch that throws rolls back with them in place.
 */
import type { Statement } from 'better-sqlite3';
import type { Connection } from '../database/connection.ts';
import { indexFilesSql } from './fts.ts';
import { FileWriter, type WriteOutcome } from './fileWriter.ts';
import type { ValidRecord } from './records.ts';
import { symbolTermsWriter } from './symbols.ts';

/** The write a batch body gets: `FileWriter.write`, with the index kept for the batch's end. */
export interface BatchWrite {
  /**
   * Writes `record` unless its stored hash is the same (`force`: even then). `isolate`: in a
   * savepoint, so a record the database refuses leaves nothing and the error reaches the caller
   * with the rest of the batch intact.
   */
  write: (
    record: ValidRecord,
    indexedAt: number,
    options?: { force?: boolean; isolate?: boolean },
  ) => WriteOutcome;
}

type Trigger = { name: string; sql: string };

/** Prepared once per connection; `run` is called inside the caller's write transaction. */
export class IndexedBatchWriter {
  private readonly db: Connection;
  private readonly files: FileWriter;
  private readonly triggers: Statement<[], Trigger>;
  private readonly indexRows: Statement;
  private readonly unindex: Statement;

  constructor(db: Connection) {
    this.db = db;
    this.files = new FileWriter(db);
    this.triggers = db.prepare(
      "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'search\\_sync\\_%' ESCAPE '\\'",
    );
    this.indexRows = db.prepare(indexFilesSql());
    this.unindex = db.prepare(
      'DELETE FROM search_index WHERE rowid IN (SELECT value FROM json_each(?))',
    );
  }

  /**
   * Runs `body` with a `write` that drops the sync triggers before the first file it writes (a
   * batch of unchanged files never drops them), then writes the index rows of every file written
   * and re-creates the triggers. Must run inside a write transaction; when `body` throws, the
   * caller rolls that transaction back, and with it the dropped triggers.
   */
  run<T>(body: (batch: BatchWrite) => T): T {
    const db = this.db;
    let dropped: Trigger[] | undefined;
    const changed: number[] = [];
    const replaced: number[] = [];
    const write: BatchWrite['write'] = (record, indexedAt, options = {}) => {
      // Dropped outside the savepoint: rolling a refused file back must not bring them back.
      if (!dropped) {
        dropped = this.triggers.all();
        for (const t of dropped) db.exec(`DROP TRIGGER "${t.name}"`);
      }
      let outcome: WriteOutcome;
      if (options.isolate) {
        db.exec('SAVEPOINT codeidx_file');
        try {
          outcome = this.files.write(record, indexedAt, options.force);
          db.exec('RELEASE codeidx_file');
        } catch (err) {
          db.exec('ROLLBACK TO codeidx_file');
          db.exec('RELEASE codeidx_file');
          throw err;
        }
      } else {
        outcome = this.files.write(record, indexedAt, options.force);
      }
      if (outcome.changed) {
        changed.push(outcome.fileId);
        if (outcome.existed) replaced.push(outcome.fileId);
      }
      return outcome;
    };
    const result = body({ write });
    if (replaced.length) this.unindex.run(JSON.stringify(replaced));
    if (changed.length) {
      this.indexRows.run(JSON.stringify(changed));
      // Dropped with the others: symbol_terms' insert trigger is a search_sync_ one.
      symbolTermsWriter(db)(JSON.stringify(changed));
    }
    for (const t of dropped ?? []) db.exec(t.sql);
    return result;
  }
}
