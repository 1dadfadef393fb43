import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { CodeidxError, toCodeidxError } from '../errors.ts';

/** The one header probe lives in files.ts; re-exported for the callers of the old name. */
export { probeFile } from './files.ts';

/** `PRAGMA application_id` that marks a file as codeidx's ("CIDX"). */
export const APPLICATION_ID = 0x43494458;

export type Connection = Database.Database;

export interface OpenConnectionOptions {
  readonly?: boolean;
  /** Milliseconds to wait for another connection's write lock. */
  busyTimeoutMs?: number;
  /** Create the file (mode 0600) and its folder when missing; default true unless readonly. */
  create?: boolean;
  /**
   * 'keep' leaves the journal mode as the file has it (a check that must not change the file);
   * default 'wal' switches a writable connection to WAL.
   */
  journalMode?: 'wal' | 'keep';
}

/**
 * Opens an SQLite file with codeidx's safety settings: WAL, a busy timeout, foreign keys on,
 * `trusted_schema=OFF` (functions in a planted trigger or view cannot run), defensive mode (set
 * by the driver), and no extension loading (this code never calls `loadExtension`).
 * A new file is created with mode 0600.
 */
export function openConnection(path: string, options: OpenConnectionOptions = {}): Connection {
  const readonly = options.readonly ?? false;
  const create = options.create ?? !readonly;
  if (create && !existsSync(path)) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      // Create the file ourselves so its mode is 0600 whatever the umask; SQLite then reuses it.
      closeSync(openSync(path, 'a', 0o600));
    } catch (err) {
      throw toCodeidxError(err, `Cannot create ${path}`);
    }
  }
  let db: Connection;
  try {
    db = new Database(path, {
      readonly,
      fileMustExist: true,
      timeout: options.busyTimeoutMs ?? 5000,
    });
  } catch (err) {
    throw toCodeidxError(err, `Cannot open ${path}`);
  }
  try {
    // trusted_schema first: nothing read from the schema may call a function before it is off.
    db.pragma('trusted_schema = OFF');
    db.pragma('foreign_keys = ON');
    if (!readonly && options.journalMode !== 'keep') {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') {
        throw new CodeidxError(
          'INTERNAL',
          `Cannot switch ${path} to WAL mode (got ${String(mode)}).`,
          {
            hint: 'The file system may not support WAL (a network share?); move the workspace to a local disk.',
          },
        );
      }
      db.pragma('synchronous = NORMAL');
    }
    return db;
  } catch (err) {
    db.close();
    throw toCodeidxError(err, `Cannot open ${path}`);
  }
}

/** Throws CANCELLED when the flag is set; long loops call it between batches. */
export function throwIfCancelled(flag: Int32Array | undefined, what: string): void {
  if (flag && Atomics.load(flag, 0) !== 0) {
    throw new CodeidxError('CANCELLED', `${what} was cancelled; nothing was changed.`);
  }
}
