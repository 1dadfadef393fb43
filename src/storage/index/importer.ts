/**
 * `importJsonLines`: indexer records, one JSON object a line, loaded in batched write
 * transactions. Lines come from lines.ts, records and their errors from importRecord.ts, and
 * each batch is written through the shared bulk step in batch.ts.
 */
import { throwIfCancelled, type Connection } from '../database/connection.ts';
import { toCodeidxError } from '../errors.ts';
import { beginWrite, writeTransaction } from '../database/lock.ts';
import { checkpointWal, mergeSearchIndex, spaceCheckpoints } from './fts.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { ValidRecord } from './records.ts';
import { IndexedBatchWriter } from './batch.ts';
import { isBlank, LineArena, MAX_BATCH_BYTES, MAX_LINE_BYTES, readLines } from './lines.ts';
import {
  isRecordError,
  parseRecord,
  sqliteCause,
  stoppedAfterCommit,
  strictError,
  UNCHANGED,
} from './importRecord.ts';
import type { CancelFlag, ImportReport, ProgressListener } from '../types.ts';
import { formatCount } from '../text.ts';

export { MAX_BATCH_BYTES, MAX_LINE_BYTES } from './lines.ts';

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
 * The errors an import report lists one by one; past that it only counts them (`errorCount`), so
 * an input of nothing but bad lines cannot fill the memory with messages.
 */
export const MAX_REPORTED_ERRORS = 1000;

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
  const batchWriter = new IndexedBatchWriter(db);
  const arena = new LineArena();
  const findHash = db.prepare<[string], string>('SELECT hash FROM files WHERE path = ?').pluck();

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
      () =>
        batchWriter.run(({ write }) => {
          const now = Date.now();
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
            let outcome;
            try {
              outcome = write(record, now, { isolate });
            } catch (err) {
              if (!isolate || !isRecordError(err)) throw err;
              const message = `the database refused it: ${(err as Error).message}`;
              if (options.strict) throw strictError(pending.line, message); // all rolls back
              rejected.push({ line: pending.line, message });
              continue;
            }
            if (!outcome.changed) {
              tally.unchanged++;
              continue;
            }
            tally.files++;
            tally.definitions += record.definitions?.length ?? 0;
            tally.imports += record.imports?.length ?? 0;
            tally.symbols += record.symbols?.length ?? 0;
            tally.tags += record.tags?.length ?? 0;
          }
          return { tally, rejected };
        }),
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
      message: `Imported ${formatCount(report.files)} files (${formatCount(report.lines)} lines read)`,
      done: report.files,
    });
  };

  // strict: one outer transaction, so a bad line anywhere leaves nothing behind.
  if (options.strict) await beginWrite(db, { logger });
  const restoreCheckpoints = spaceCheckpoints(db);
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
  } finally {
    restoreCheckpoints();
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
