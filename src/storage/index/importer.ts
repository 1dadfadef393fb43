import { isUtf8 } from 'node:buffer';
import { throwIfCancelled, type Connection } from '../database/connection.ts';
import { CodeidxError, sqliteCode, toCodeidxError } from '../errors.ts';
import { beginWrite, writeTransaction } from '../database/lock.ts';
import { checkpointWal, indexFilesSql, mergeSearchIndex } from './fts.ts';
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

/**
 * One line waiting for its batch: its raw text (parsed only when the batch is written, so a
 * batch holds one string a line instead of thousands of objects that live long enough to reach
 * V8's old generation), its bytes' place in the batch's `LineArena`, or why it could not be read.
 */
type Pending =
  | { line: number; text: string }
  | { line: number; start: number; end: number }
  | { line: number; error: string };

/**
 * The bytes of one batch's lines, copied into one buffer that is reused from batch to batch. The
 * stream's chunks then die young (a scavenge frees them); held until the batch is written, they
 * would reach V8's old generation and their memory would pile up outside the heap until the next
 * full collection (tens of MB on a fast pipe).
 */
class LineArena {
  private buf = Buffer.allocUnsafe(MAX_BATCH_BYTES);
  used = 0;

  add(bytes: Buffer): { start: number; end: number } {
    if (this.used + bytes.length > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + bytes.length));
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
    const start = this.used;
    this.used += bytes.copy(this.buf, start);
    return { start, end: this.used };
  }

  text(start: number, end: number): string {
    return this.buf.toString('utf8', start, end);
  }

  /** Empties it for the next batch; a buffer grown by one huge line is given back. */
  reset(): void {
    this.used = 0;
    if (this.buf.length > 2 * MAX_BATCH_BYTES) this.buf = Buffer.allocUnsafe(MAX_BATCH_BYTES);
  }
}

/** A batch is written when it holds this many bytes of input, even before `batchSize` lines. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * The errors an import report lists one by one; past that it only counts them (`errorCount`), so
 * an input of nothing but bad lines cannot fill the memory with messages.
 */
export const MAX_REPORTED_ERRORS = 1000;

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
function syncTriggers(db: Connection): { off: () => void; restore: () => void } {
  let dropped: { name: string; sql: string }[] | undefined;
  return {
    /** Drops them, once, when the batch writes its first file (a batch of unchanged files never). */
    off() {
      if (dropped) return;
      dropped = db
        .prepare(
          "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'search\\_sync\\_%' ESCAPE '\\'",
        )
        .all() as { name: string; sql: string }[];
      for (const t of dropped) db.exec(`DROP TRIGGER "${t.name}"`);
    },
    restore() {
      for (const t of dropped ?? []) db.exec(t.sql);
    },
  };
}

/**
 * The longest line import reads, in bytes, not counting the line break. A longer line is reported
 * by its number and skipped without being held in memory. The README's "Import format" says so.
 */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * One input line: its text (from a byte stream, its bytes, already checked to be UTF-8: they are
 * decoded only when their batch is written, and until then stay outside V8's heap), or why it
 * cannot be read.
 */
type Line = { number: number; text: string | Buffer } | { number: number; error: string };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MIB = 1024 * 1024;

function tooLong(bytes: number, max: number): string {
  const size = max >= MIB ? `${max / MIB} MiB` : `${max} bytes`;
  return `is longer than the limit of ${size} (${bytes.toLocaleString('en-US')} bytes); skipped`;
}

/** Checks one line's bytes (without its line break). */
function decodeLine(number: number, bytes: Buffer, max: number): Line {
  if (number === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    bytes = bytes.subarray(3); // a UTF-8 byte order mark
  }
  if (bytes.length > max) return { number, error: tooLong(bytes.length, max) };
  if (!isUtf8(bytes)) {
    return { number, error: 'is not valid UTF-8; skipped (save the input as UTF-8)' };
  }
  return { number, text: bytes };
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

/** A record whose path is stored with the same hash. */
const UNCHANGED = Symbol('unchanged');

/** The validated record on one line of text, or what is wrong with it. */
function parseRecord(
  text: string,
  storedHash: (path: string) => string | undefined,
): ValidRecord | string | typeof UNCHANGED {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  // An unchanged file costs one lookup, not a validation: the stored row passed every check.
  const r = parsed as { path?: unknown; hash?: unknown } | null;
  if (
    typeof r?.path === 'string' &&
    typeof r.hash === 'string' &&
    storedHash(r.path) === r.hash.toLowerCase()
  ) {
    return UNCHANGED;
  }
  try {
    return validateRecord(parsed);
  } catch (err) {
    return (err as Error).message;
  }
}

/** A line of nothing but white space (skipped). Bytes: ASCII white space only, without decoding. */
function isBlank(text: string | Buffer): boolean {
  if (typeof text === 'string') return text.trim() === '';
  for (const b of text) if (b !== 0x20 && (b < 0x09 || b > 0x0d)) return false;
  return true;
}

/** Rows written by one batch, added to the report once it committed. */
interface Tally {
  files: number;
  definitions: number;
  imports: number;
  symbols: number;
  tags: number;
  unchanged: number;
}

/**
 * Loads indexer records, one JSON object a line, in batched transactions. The input is streamed:
 * memory holds one batch of raw lines (at most `batchSize` lines and about MAX_BATCH_BYTES) and
 * one record at a time. Each file is written whole or not at all; a bad line (too long, not
 * UTF-8, bad JSON, a failed check, or a row the database refuses) is reported with its number and
 * nothing of it is written, while the rest loads. A batch is written without savepoints; only
 * when the database refuses something is it redone file by file to find the bad line. Each batch
 * takes the write lock with `writeTransaction`, so an import waits for another writer instead of
 * failing; the lock is held while a batch is written, never while the input is read.
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
    errorCount: 0,
    ms: 0,
  };
  /** The last line of the last committed batch. */
  let committedLine = 0;
  const writer = new FileWriter(db);
  const arena = new LineArena();
  const findHash = db.prepare<[string], string>('SELECT hash FROM files WHERE path = ?').pluck();
  const indexRows = db.prepare(indexFilesSql());
  const writeSymbolTerms = symbolTermsWriter(db);
  const unindex = db.prepare(
    'DELETE FROM search_index WHERE rowid IN (SELECT value FROM json_each(?))',
  );

  const strictError = (line: number, message: string): CodeidxError =>
    new CodeidxError(
      'IMPORT_INVALID',
      `Line ${line}: ${message}. Nothing was imported (--strict).`,
      {
        hint: 'Fix the line, or import without --strict to load the other lines.',
      },
    );

  const bad = (line: number, message: string): void => {
    report.errorCount++;
    if (report.errors.length < MAX_REPORTED_ERRORS) report.errors.push({ line, message });
    logger.warn(`Import line ${line}: ${message}`);
  };

  /** The record on a pending line, null for a blank one, or why it has none (strict: throws). */
  const recordOf = (p: Pending): ValidRecord | string | typeof UNCHANGED | null => {
    let record: ValidRecord | string | typeof UNCHANGED;
    if ('error' in p) record = p.error;
    else {
      const text = 'text' in p ? p.text : arena.text(p.start, p.end);
      if (text.trim() === '') return null; // blank but for Unicode white space
      record = parseRecord(text, (path) => findHash.get(path));
    }
    if (typeof record === 'string' && options.strict) throw strictError(p.line, record);
    return record;
  };

  /**
   * Writes one batch in one transaction. Its outcome (counts, bad lines) reaches the report only
   * once it committed: a retry after BUSY runs the function again from the start.
   */
  const writeBatch = async (batch: Pending[], isolate: boolean): Promise<void> => {
    const { tally, rejected } = await writeTransaction(
      db,
      () => {
        const triggers = syncTriggers(db);
        const now = Date.now();
        const changed: number[] = [];
        const replaced: number[] = [];
        const rejected: { line: number; message: string }[] = [];
        const tally: Tally = {
          files: 0,
          definitions: 0,
          imports: 0,
          symbols: 0,
          tags: 0,
          unchanged: 0,
        };
        for (const pending of batch) {
          const record = recordOf(pending);
          if (record === null) continue;
          if (typeof record === 'string') {
            rejected.push({ line: pending.line, message: record });
            continue;
          }
          // A record without a hash gets one from its content: it may be unchanged too.
          if (record === UNCHANGED || findHash.get(record.path) === record.hash) {
            tally.unchanged++;
            continue;
          }
          triggers.off();
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
              if (options.strict) throw strictError(pending.line, message); // all rolls back
              rejected.push({ line: pending.line, message });
              continue;
            }
          } else {
            outcome = writer.write(record, now);
          }
          if (!outcome.changed) {
            tally.unchanged++;
            continue;
          }
          changed.push(outcome.fileId);
          if (outcome.existed) replaced.push(outcome.fileId);
          tally.files++;
          tally.definitions += record.definitions?.length ?? 0;
          tally.imports += record.imports?.length ?? 0;
          tally.symbols += record.symbols?.length ?? 0;
          tally.tags += record.tags?.length ?? 0;
        }
        if (replaced.length) unindex.run(JSON.stringify(replaced));
        if (changed.length) {
          indexRows.run(JSON.stringify(changed));
          writeSymbolTerms(JSON.stringify(changed)); // its insert trigger is a search_sync_ one
        }
        triggers.restore();
        return { tally, rejected };
      },
      { logger },
    );
    report.files += tally.files;
    report.definitions += tally.definitions;
    report.imports += tally.imports;
    report.symbols += tally.symbols;
    report.tags += tally.tags;
    report.unchanged += tally.unchanged;
    for (const r of rejected) bad(r.line, r.message);
  };

  const flush = async (batch: Pending[]): Promise<void> => {
    if (batch.length === 0) return;
    throwIfCancelled(options.cancel, 'The import');
    if (batch.every((p) => 'error' in p)) {
      // Nothing to write: no lock, no transaction.
      for (const p of batch) bad(p.line, recordOf(p) as string);
      committedLine = batch.at(-1)!.line;
      return;
    }
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
    let bytes = 0;
    for await (const line of readLines(input, options.maxLineBytes ?? MAX_LINE_BYTES)) {
      report.lines = line.number;
      if ('error' in line) {
        batch.push({ line: line.number, error: line.error });
      } else {
        if (isBlank(line.text)) continue;
        if (typeof line.text === 'string') {
          batch.push({ line: line.number, text: line.text });
          bytes += line.text.length;
        } else batch.push({ line: line.number, ...arena.add(line.text) });
      }
      if (batch.length >= batchSize || bytes + arena.used >= MAX_BATCH_BYTES) {
        await flush(batch);
        batch = [];
        bytes = 0;
        arena.reset();
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
  if (report.files > 0) await tidy(db, logger);
  report.ms = performance.now() - t0;
  return report;
}

/**
 * After an import that wrote files: some FTS5 merge work (bounded) and a WAL checkpoint, so the
 * database does not grow with every round of re-imports. Failing here fails nothing: the rows are
 * committed, and the next import or `codeidx maintenance` tries again.
 */
async function tidy(db: Connection, logger: Logger): Promise<void> {
  try {
    await writeTransaction(db, () => mergeSearchIndex(db), { logger, maxAttempts: 2 });
    checkpointWal(db);
  } catch (err) {
    logger.warn(`Import: index merge or WAL checkpoint skipped (${(err as Error).message})`);
  }
}
