import { createInterface } from 'node:readline';
import { throwIfCancelled, type Connection } from './connection.ts';
import { CodeidxError, sqliteCode, toCodeidxError } from './errors.ts';
import { indexFilesSql } from './fts.ts';
import { silentLogger, type Logger } from './log.ts';
import { validateRecord, type ValidRecord } from './records.ts';
import { FileWriter } from './repository.ts';
import type { CancelFlag, ImportReport, ProgressListener } from './types.ts';

export interface ImportOptions {
  /** Files per transaction (default 500). */
  batchSize?: number;
  /**
   * Refuse the whole import (write nothing) at the first bad line: the import runs in one
   * transaction that holds the write lock until the input ends, and is rolled back on the first
   * bad line, SQL refusal or cancel. Without it, bad lines are reported and the rest loads.
   */
  strict?: boolean;
  onProgress?: ProgressListener;
  /** Checked between batches; batches already committed stay (strict: nothing stays). */
  cancel?: CancelFlag;
  logger?: Logger;
}

interface Pending {
  line: number;
  record: ValidRecord;
}

/** A refusal about one record (a constraint, a value too big), not about the database. */
function isRecordError(err: unknown): boolean {
  const code = sqliteCode(err) ?? '';
  return (
    code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_TOOBIG' || code === 'SQLITE_MISMATCH'
  );
}

/**
 * The sync triggers keep the index right for single writes, but rewrite a file's index row once
 * per child row. A batch drops them inside its own transaction, writes each file's index row
 * once from the `search_documents` view, and re-creates them with their exact SQL before it
 * commits: no other connection ever sees them missing, since DDL is transactional.
 */
function withoutSyncTriggers<T>(db: Connection, fn: () => T): T {
  const triggers = db
    .prepare(
      "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'search\\_sync\\_%' ESCAPE '\\'",
    )
    .all() as { name: string; sql: string }[];
  for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
  const result = fn();
  for (const t of triggers) db.exec(t.sql);
  return result;
}

async function* readLines(
  input: AsyncIterable<string> | NodeJS.ReadableStream,
): AsyncGenerator<string> {
  if ('pipe' in input && typeof input.pipe === 'function') {
    yield* createInterface({ input, crlfDelay: Infinity });
  } else {
    yield* input as AsyncIterable<string>;
  }
}

/**
 * Loads indexer records, one JSON object a line, in batched transactions. The input is streamed:
 * memory holds one batch. Each file is written whole or not at all; a bad line (bad JSON, a
 * failed check, or a row the database refuses) is reported with its number and nothing of it
 * is written, while the rest loads. A batch is written without savepoints; only when the
 * database refuses something is it redone file by file to find the bad line.
 */
export async function importJsonLines(
  db: Connection,
  input: AsyncIterable<string> | NodeJS.ReadableStream,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const t0 = performance.now();
  const batchSize = options.batchSize ?? 500;
  const logger = options.logger ?? silentLogger;
  const report: ImportReport = {
    lines: 0,
    files: 0,
    unchanged: 0,
    definitions: 0,
    imports: 0,
    symbols: 0,
    tags: 0,
    errors: [],
    ms: 0,
  };
  const writer = new FileWriter(db);
  const indexRows = db.prepare(indexFilesSql());
  const unindex = db.prepare(
    'DELETE FROM search_index WHERE rowid IN (SELECT value FROM json_each(?))',
  );

  const bad = (line: number, message: string): void => {
    if (options.strict) {
      throw new CodeidxError(
        'IMPORT_INVALID',
        `Line ${line}: ${message}. Nothing was imported (--strict).`,
        {
          hint: 'Fix the line, or import without --strict to load the other lines.',
        },
      );
    }
    report.errors.push({ line, message });
    logger.warn(`Import line ${line}: ${message}`);
  };

  const count = (r: ValidRecord): void => {
    report.files++;
    report.definitions += r.definitions?.length ?? 0;
    report.imports += r.imports?.length ?? 0;
    report.symbols += r.symbols?.length ?? 0;
    report.tags += r.tags?.length ?? 0;
  };

  /** Writes one batch in one transaction; counts reach the report only once it committed. */
  const writeBatch = (batch: Pending[], isolate: boolean): void => {
    const { written, unchanged } = db.transaction(() =>
      withoutSyncTriggers(db, () => {
        const now = Date.now();
        const changed: number[] = [];
        const replaced: number[] = [];
        const written: ValidRecord[] = [];
        let unchanged = 0;
        for (const { line, record } of batch) {
          let outcome;
          if (isolate) {
            db.exec('SAVEPOINT codeidx_file');
            try {
              outcome = writer.write(record, now);
              db.exec('RELEASE codeidx_file');
            } catch (err) {
              db.exec('ROLLBACK TO codeidx_file');
              db.exec('RELEASE codeidx_file');
              if (!isRecordError(err)) throw err;
              bad(line, `the database refused it: ${(err as Error).message}`);
              continue;
            }
          } else {
            outcome = writer.write(record, now);
          }
          if (!outcome.changed) {
            unchanged++;
            continue;
          }
          changed.push(outcome.fileId);
          if (outcome.existed) replaced.push(outcome.fileId);
          written.push(record);
        }
        if (replaced.length) unindex.run(JSON.stringify(replaced));
        if (changed.length) indexRows.run(JSON.stringify(changed));
        return { written, unchanged };
      }),
    )();
    written.forEach(count);
    report.unchanged += unchanged;
  };

  const flush = (batch: Pending[]): void => {
    if (batch.length === 0) return;
    throwIfCancelled(options.cancel, 'The import');
    try {
      writeBatch(batch, Boolean(options.strict));
    } catch (err) {
      if (!isRecordError(err) || options.strict) throw err;
      writeBatch(batch, true);
    }
    options.onProgress?.({
      phase: 'import',
      message: `Imported ${report.files.toLocaleString('en-US')} files (${report.lines.toLocaleString('en-US')} lines read)`,
      done: report.files,
    });
  };

  // strict: one outer transaction, so a bad line anywhere leaves nothing behind.
  if (options.strict) db.exec('BEGIN IMMEDIATE');
  try {
    let batch: Pending[] = [];
    for await (const text of readLines(input)) {
      const line = ++report.lines;
      if (text.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        bad(line, `not valid JSON (${(err as Error).message})`);
        continue;
      }
      try {
        batch.push({ line, record: validateRecord(parsed) });
      } catch (err) {
        bad(line, (err as Error).message);
        continue;
      }
      if (batch.length >= batchSize) {
        flush(batch);
        batch = [];
      }
    }
    flush(batch);
    if (options.strict) db.exec('COMMIT');
  } catch (err) {
    if (options.strict && db.inTransaction) db.exec('ROLLBACK');
    throw toCodeidxError(err, 'Import');
  }
  report.ms = performance.now() - t0;
  return report;
}
