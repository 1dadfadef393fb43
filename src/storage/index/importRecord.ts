/** One import line's record, and the errors an import reports about lines and batches. */
import { CodeidxError, sqliteCode } from '../errors.ts';
import { validateRecord, type ValidRecord } from './records.ts';
import { formatCount } from '../text.ts';

/** The raw SQLite error under a CodeidxError that `writeTransaction` wrapped, or `err` itself. */
export function sqliteCause(err: unknown): unknown {
  return err instanceof CodeidxError && err.cause !== undefined ? err.cause : err;
}

/** A refusal about one record (a constraint, a value too big), not about the database. */
export function isRecordError(err: unknown): boolean {
  const code = sqliteCode(err) ?? '';
  return (
    code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_TOOBIG' || code === 'SQLITE_MISMATCH'
  );
}

/**
 * The error of an import that stopped after some batches were committed: it says exactly how
 * many files are in the database, so nobody reads "nothing was changed" when something was.
 */
export function stoppedAfterCommit(
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
    `${what} after ${formatCount(committed.files)} file(s) were committed from lines 1-${committed.line} (${formatCount(committed.unchanged)} more were unchanged); the batch in progress was rolled back and the rest of the input was not imported.`,
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
export const UNCHANGED = Symbol('unchanged');

/** The validated record on one line of text, or what is wrong with it. */
export function parseRecord(
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

/** The error of a strict import at its first bad line: the whole import is rolled back. */
export function strictError(line: number, message: string): CodeidxError {
  return new CodeidxError(
    'IMPORT_INVALID',
    `Line ${line}: ${message}. Nothing was imported (--strict).`,
    {
      hint: 'Fix the line, or import without --strict to load the other lines.',
    },
  );
}
