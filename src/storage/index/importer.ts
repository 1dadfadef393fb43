import { isUtf8 } from 'node:buffer';
import { throwIfCancelled, type Connection } from '../database/connection.ts';
import { CodeidxError, sqliteCode, toCodeidxError } from '../errors.ts';
import { beginWrite, writeTransaction } from '../database/lock.ts';
import { indexFilesSql } from './fts.ts';
import { silentLogger, type Logger } from '../log.ts';
import { validateRecord, type ValidRecord } from './records.ts';
import { FileWriter } from './repository.ts';
import { symbolTermsWriter } from './symbols.ts';
import type { CancelFlag, ImportReport, ProgressListener } from '../types.ts';

export interface ImportOptions {
  /** Files per transaction (default 500). */
  batchSize?: number;
  /**
   * Refuse the whole import (write nothing) at the first bad line: the import runs in one
   * transaction that holds the write lock until the input ends, and is rolled back on the first
   * bad line, SQL refusal or cancel. Without it, bad lines are reported and the rest loads.
   */
  strict?: boolean;
  /** The longest line read, in bytes (default MAX_LINE_BYTES; tests use less). */
  maxLineBytes?: number;
  onProgress?: ProgressListener;
  /** Checked between batches; batches already committed stay (strict: nothing stays). */
  cancel?: CancelFlag;
  logger?: Logger;
}

interface Pending {
  line: number;
  record: ValidRecord;
}

/** The raw SQLite error under a CodeidxError that `writeTransaction` wrapped, or `err` itself. */
function sqliteCause(err: unknown): unknown {
  return err instanceof CodeidxError && err.cause !== undefined ? err.cause : err;
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

/**
 * The longest line import reads, in bytes, not counting the line break. A longer line is reported
 * by its number and skipped without being held in memory. The README's "Import format" says so.
 */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** One input line: its text, or why it cannot be read. */
type Line = { number: number; text: string } | { number: number; error: string };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MIB = 1024 * 1024;

function tooLong(bytes: number, max: number): string {
  const size = max >= MIB ? `${max / MIB} MiB` : `${max} bytes`;
  return `is longer than the limit of ${size} (${bytes.toLocaleString('en-US')} bytes); skipped`;
}

/** Checks and decodes one line's bytes (without its line break). */
function decodeLine(number: number, bytes: Buffer, max: number): Line {
  if (number === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    bytes = bytes.subarray(3); // a UTF-8 byte order mark
  }
  if (bytes.length > max) return { number, error: tooLong(bytes.length, max) };
  if (!isUtf8(bytes)) {
    return { number, error: 'is not valid UTF-8; skipped (save the input as UTF-8)' };
  }
  return { number, text: bytes.toString('utf8') };
}

/**
 * Splits a byte stream into lines (LF or CRLF) without decoding across them: each line is
 * checked for length and UTF-8 on its own, so one bad line is reported and the rest still load.
 * Memory holds one line, at most `max` bytes of it.
 */
async function* splitLines(
  input: AsyncIterable<Buffer | string>,
  max: number,
): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0; // bytes of the current line seen so far, kept or not
  let number = 0;
  let pending = false; // bytes after the last line break
  const finish = (): Line => {
    number++;
    let line: Line;
    if (size > max + 1) {
      line = { number, error: tooLong(size, max) };
    } else {
      let bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      if (bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
      line = decodeLine(number, bytes, max);
    }
    parts = [];
    size = 0;
    pending = false;
    return line;
  };
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      const end = nl === -1 ? buf.length : nl;
      if (end > start) {
        size += end - start;
        pending = true;
        // +1: a CR before the LF is not part of the line. Past that, keep counting, drop bytes.
        if (size <= max + 1) parts.push(buf.subarray(start, end));
        else parts = [];
      }
      if (nl === -1) break;
      yield finish();
      start = nl + 1;
    }
  }
  if (pending) yield finish();
}

/** Lines given one string each (tests, the worker): the same checks as for bytes. */
async function* checkLines(input: AsyncIterable<string>, max: number): AsyncGenerator<Line> {
  let number = 0;
  for await (let text of input) {
    number++;
    if (number === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > max) yield { number, error: tooLong(bytes, max) };
    else if (LONE_SURROGATE.test(text)) {
      yield { number, error: 'is not valid Unicode (a lone surrogate); skipped' };
    } else yield { number, text };
  }
}

function readLines(
  input: AsyncIterable<string> | NodeJS.ReadableStream,
  max: number,
): AsyncGenerator<Line> {
  if ('pipe' in input && typeof input.pipe === 'function') {
    return splitLines(input as AsyncIterable<Buffer | string>, max);
  }
  return checkLines(input as AsyncIterable<string>, max);
}

/**
 * The error of an import that stopped after some batches were committed: it says exactly how
 * many files are in the database, so nobody reads "nothing was changed" when something was.
 */
function stoppedAfterCommit(
  error: CodeidxError,
  committed: { files: number; unchanged: number; line: number },
): CodeidxError {
  const what =
    error.code === 'CANCELLED'
      ? 'The import was cancelled'
      : error.code === 'DISK_FULL'
        ? `The disk filled up (${error.message})`
        : `The import stopped (${error.message})`;
  return new CodeidxError(
    error.code,
    `${what} after ${committed.files.toLocaleString('en-US')} file(s) were committed from lines 1-${committed.line} (${committed.unchanged.toLocaleString('en-US')} more were unchanged); the batch in progress was rolled back and the rest of the input was not imported.`,
    {
      hint:
        error.code === 'DISK_FULL'
          ? 'Free some space and run the same import again: the files already committed are skipped as unchanged.'
          : 'Run the same import again to load the rest: the files already committed are skipped as unchanged.',
      transient: error.transient,
      cause: error,
      details: {
        ...error.details,
        committedFiles: committed.files,
        committedThroughLine: committed.line,
      },
    },
  );
}

/**
 * Loads indexer records, one JSON object a line, in batched transactions. The input is streamed:
 * memory holds one batch and one line (at most MAX_LINE_BYTES). Each file is written whole or not
 * at all; a bad line (too long, not UTF-8, bad JSON, a failed check, or a row the database
 * refuses) is reported with its number and nothing of it is written, while the rest loads. A
 * batch is written without savepoints; only when the database refuses something is it redone
 * file by file to find the bad line. Each batch takes the write lock with `writeTransaction`, so
 * an import waits for another writer instead of failing.
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
  /** The last line of the last committed batch. */
  let committedLine = 0;
  const writer = new FileWriter(db);
  const indexRows = db.prepare(indexFilesSql());
  const writeSymbolTerms = symbolTermsWriter(db);
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

  /**
   * Writes one batch in one transaction. Its outcome (counts, refused lines) reaches the report
   * only once it committed: a retry after BUSY runs the function again from the start.
   */
  const writeBatch = async (batch: Pending[], isolate: boolean): Promise<void> => {
    const { written, unchanged, refused } = await writeTransaction(
      db,
      () =>
        withoutSyncTriggers(db, () => {
          const now = Date.now();
          const changed: number[] = [];
          const replaced: number[] = [];
          const written: ValidRecord[] = [];
          const refused: { line: number; message: string }[] = [];
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
                const message = `the database refused it: ${(err as Error).message}`;
                if (options.strict) bad(line, message); // throws: the whole import rolls back
                refused.push({ line, message });
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
          if (changed.length) {
            indexRows.run(JSON.stringify(changed));
            writeSymbolTerms(JSON.stringify(changed)); // its insert trigger is a search_sync_ one
          }
          return { written, unchanged, refused };
        }),
      { logger },
    );
    written.forEach(count);
    report.unchanged += unchanged;
    for (const r of refused) bad(r.line, r.message);
  };

  const flush = async (batch: Pending[]): Promise<void> => {
    if (batch.length === 0) return;
    throwIfCancelled(options.cancel, 'The import');
    try {
      await writeBatch(batch, Boolean(options.strict));
    } catch (err) {
      if (!isRecordError(sqliteCause(err)) || options.strict) throw err;
      await writeBatch(batch, true);
    }
    committedLine = batch.at(-1)!.line;
    options.onProgress?.({
      phase: 'import',
      message: `Imported ${report.files.toLocaleString('en-US')} files (${report.lines.toLocaleString('en-US')} lines read)`,
      done: report.files,
    });
  };

  // strict: one outer transaction, so a bad line anywhere leaves nothing behind.
  if (options.strict) await beginWrite(db, { logger });
  try {
    let batch: Pending[] = [];
    for await (const line of readLines(input, options.maxLineBytes ?? MAX_LINE_BYTES)) {
      report.lines = line.number;
      if ('error' in line) {
        bad(line.number, line.error);
        continue;
      }
      if (line.text.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line.text);
      } catch (err) {
        bad(line.number, `not valid JSON (${(err as Error).message})`);
        continue;
      }
      try {
        batch.push({ line: line.number, record: validateRecord(parsed) });
      } catch (err) {
        bad(line.number, (err as Error).message);
        continue;
      }
      if (batch.length >= batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    await flush(batch);
    if (options.strict) db.exec('COMMIT');
  } catch (err) {
    if (options.strict && db.inTransaction) db.exec('ROLLBACK');
    const error = toCodeidxError(err, 'Import');
    if (!options.strict && report.files + report.unchanged > 0) {
      throw stoppedAfterCommit(error, {
        files: report.files,
        unchanged: report.unchanged,
        line: committedLine,
      });
    }
    throw error;
  }
  report.ms = performance.now() - t0;
  return report;
}
