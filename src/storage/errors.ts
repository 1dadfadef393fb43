import { REPAIR } from './fixes.ts';
import type { Fix } from './types.ts';

/**
 * Every error code a CodeidxError can carry. Codes are stable: the README's error code table
 * lists exactly these (test/cli/readme.test.ts checks both directions).
 */
export const ERROR_CODES = [
  'BUSY', // another connection holds the write lock past the busy timeout
  'CANCELLED', // the caller cancelled a run; nothing was changed
  'CHECKSUM_MISMATCH', // an applied migration's file changed since it ran
  'CORRUPT', // the file is damaged or is not an SQLite database
  'FOREIGN_DATABASE', // an SQLite database that is not codeidx's
  'SCHEMA_DRIFT', // objects in the file differ from what the migrations create
  'DATABASE_NEWER', // the schema is newer than this build knows
  'MIGRATION_FAILED', // a migration's SQL failed; the run was rolled back
  'MIGRATION_INVALID', // the migrations folder itself is wrong (names, gaps, missing downs)
  'BACKUP_FAILED',
  'BACKUP_INVALID', // a backup that does not verify (damaged, wrong key, not codeidx's)
  'DISK_FULL',
  'READONLY', // the file or folder cannot be written
  'UNSAFE_PATH', // a derived path leads outside its folder through a symlink
  'CIRCUIT_OPEN', // too many failures in a row; calls are refused for a while
  'INVALID_ARGUMENT',
  'IMPORT_INVALID', // a bad import record
  'NATIVE_MODULE', // the SQLite driver could not load in this runtime
  'QUEUE_FULL', // too many requests are waiting for the database workers
  'TIMEOUT', // a request took longer than its time limit; its worker was replaced
  'WORKER_EXITED', // a database worker stopped while running a write; SQLite rolled it back
  'NO_DATABASE', // a read-only command found no database (it never creates one)
  'CONFIRMATION_REQUIRED', // going down a version removes data and needs the user's yes
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface CodeidxErrorOptions {
  hint?: string;
  transient?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
  /** The command that fixes it, rendered by each adapter (a CLI line, a VS Code button). */
  fix?: Fix;
}

/**
 * One error class for everything the storage core refuses or fails at. `code` is stable
 * (documented in the README), `transient` tells the retry policy whether trying again can help,
 * and `hint` is the sentence a user needs: what to do next.
 */
export class CodeidxError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly transient: boolean;
  readonly details: Record<string, unknown>;
  readonly fix: Fix | undefined;

  constructor(code: ErrorCode, message: string, options: CodeidxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CodeidxError';
    this.code = code;
    this.hint = options.hint;
    this.transient = options.transient ?? false;
    this.details = options.details ?? {};
    this.fix = options.fix;
  }

  /** The message and the hint on one line, as a CLI or a notification shows it. */
  get userMessage(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      hint: this.hint,
      transient: this.transient,
      details: this.details,
      ...(this.fix ? { fix: this.fix } : {}),
    };
  }
}

/** SQLite result codes (primary or extended, as better-sqlite3 reports them in `err.code`). */
const SQLITE_CODES: Record<
  string,
  { code: ErrorCode; transient: boolean; hint: string; fix?: Fix }
> = {
  SQLITE_BUSY: {
    code: 'BUSY',
    transient: true,
    hint: 'Another program is writing to the database; try again in a moment.',
  },
  SQLITE_LOCKED: {
    code: 'BUSY',
    transient: true,
    hint: 'The database is locked by another connection; try again in a moment.',
  },
  SQLITE_CORRUPT: {
    code: 'CORRUPT',
    transient: false,
    hint: 'Repair moves it aside (it is kept) and creates a new one.',
    fix: REPAIR,
  },
  SQLITE_NOTADB: {
    code: 'CORRUPT',
    transient: false,
    hint: 'The file is not an SQLite database. Repair moves it aside (it is kept) and creates a new one.',
    fix: REPAIR,
  },
  SQLITE_FULL: {
    code: 'DISK_FULL',
    transient: false,
    hint: 'The disk is full: free some space and try again. Nothing was changed.',
  },
  SQLITE_READONLY: {
    code: 'READONLY',
    transient: false,
    hint: 'Check that the database file and its folder are writable by you.',
  },
  SQLITE_CANTOPEN: {
    code: 'READONLY',
    transient: false,
    hint: 'Check that the folder exists and is writable by you.',
  },
  SQLITE_IOERR: {
    code: 'INTERNAL',
    transient: false,
    hint: 'A disk I/O error occurred; check the disk and free space, then try again.',
  },
};

/** The SQLite result code of an error thrown by better-sqlite3, if it is one. */
export function sqliteCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    return err.code.startsWith('SQLITE_') ? err.code : undefined;
  }
  return undefined;
}

/**
 * Wraps any thrown value as a CodeidxError, classifying SQLite errors so the retry policy and
 * the user see what they mean. A CodeidxError passes through unchanged.
 */
export function toCodeidxError(err: unknown, context?: string): CodeidxError {
  if (err instanceof CodeidxError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const message = context ? `${context}: ${raw}` : raw;
  const sqlite = sqliteCode(err);
  if (sqlite) {
    const primary = sqlite.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1');
    const known = SQLITE_CODES[sqlite] ?? SQLITE_CODES[primary];
    if (known) {
      return new CodeidxError(known.code, message, {
        hint: known.hint,
        transient: known.transient,
        fix: known.fix,
        cause: err,
        details: { sqliteCode: sqlite },
      });
    }
  }
  if (err && typeof err === 'object' && 'code' in err && err.code === 'ENOSPC') {
    return new CodeidxError('DISK_FULL', message, {
      hint: SQLITE_CODES.SQLITE_FULL!.hint,
      cause: err,
    });
  }
  if (
    err &&
    typeof err === 'object' &&
    'code' in err &&
    (err.code === 'EACCES' || err.code === 'EROFS' || err.code === 'EPERM')
  ) {
    return new CodeidxError('READONLY', message, {
      hint: SQLITE_CODES.SQLITE_READONLY!.hint,
      cause: err,
    });
  }
  return new CodeidxError('INTERNAL', message, {
    cause: err,
    details: sqlite ? { sqliteCode: sqlite } : {},
  });
}
