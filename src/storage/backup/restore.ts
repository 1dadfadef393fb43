/**
 * Restoring a backup, atomically at every instant. The backup is decrypted or copied into a temp
 * file beside the database, verified and flushed. Then an intent file is written (atomically)
 * that names the temp file and the `.replaced-<time>` name, and the swap runs:
 *
 * 1. the current database gets a second name, `<db>.replaced-<time>` (a hard link; a copy where
 *    the file system has none), so `<db>` still holds it;
 * 2. its `-wal`, `-shm` and `-journal` move to the replaced name (a `-wal` must never meet the
 *    restored file, SQLite would replay it into it);
 * 3. the temp file is renamed over `<db>` (one atomic rename);
 * 4. the intent file is removed.
 *
 * Steps 1 to 4 run under the database's write lock, taken as every writer takes it (busy timeout,
 * then retries with backoff): a restore started while an import, a migration or the editor's
 * worker writes waits for it, and nothing is half-written into the file being replaced.
 *
 * `<db>` always holds the old database or the restored one. A process killed after the intent is
 * written leaves work the next open finishes (`finishInterruptedRestore`); killed before, it
 * leaves only temp files, which the next open removes.
 *
 * A connection another process still holds keeps the replaced file (now `<db>.replaced-<time>`)
 * open: it goes on reading and writing that file, never the restored one, until it reopens. When
 * it closes, SQLite sees the file was moved and skips its checkpoint and the removal of `<db>-wal`,
 * so the restored database's files are never touched by it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { CodeidxError, toCodeidxError } from '../errors.ts';
import {
  copyPrivate,
  probeHeader,
  removeQuietly,
  syncFile,
  tempName,
  testPause,
} from '../database/files.ts';
import { openConnection, type Connection } from '../database/connection.ts';
import { beginWrite, type WriteLockOptions } from '../database/lock.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { ProgressListener, RestoreResult } from '../types.ts';
import { pruneReplaced } from './catalogue.ts';
import { removeLeftoverTemps } from './leftovers.ts';
import { BACKUP_TEMP_PREFIX, DEFAULT_KEEP, restoreTempPrefix } from './names.ts';
import { assertReadable, checkDatabaseFile, decryptToTemp, requireKey } from './verify.ts';
import { finishInterruptedRestore, swapLocked } from './swap.ts';

export { finishInterruptedRestore } from './swap.ts';

export interface RestoreOptions {
  /** The database to replace. Every connection to it must be closed. */
  dbPath: string;
  /** The backup to restore (plain or encrypted; recognised by its content). */
  file: string;
  /** Passphrase of an encrypted backup. */
  key?: string;
  /** Replaced databases (`.replaced-*`) to keep beside it, like backups (default 5). */
  keep?: number;
  logger?: Logger;
  onProgress?: ProgressListener;
  /** The time in the `.replaced-<time>` name (default now). */
  now?: Date;
  /** How long each attempt at the write lock waits, in milliseconds (default 5000). */
  busyTimeoutMs?: number;
  /** Attempts and backoff of the wait for the write lock (defaults: `writeTransaction`'s). */
  lock?: Omit<WriteLockOptions, 'logger'>;
}

/**
 * Replaces the database at `dbPath` with a backup. **The caller has closed its own connections
 * to `dbPath` first** (and checkpointed it, if it wants the WAL folded into the replaced file);
 * another process's writer is waited for (the write lock), and fails it with BUSY when it holds
 * the lock past every attempt, the database unchanged.
 *
 * The backup is verified as `verifyBackup` does before anything of the database is touched; a
 * failure then leaves it byte for byte as it was. The replaced database and its companions are
 * kept as `<dbPath>.replaced-<time>` (the newest `keep` of them; older ones are removed). A kill
 * at any instant leaves `dbPath` holding the old database or the restored one (see the module
 * comment); the next open finishes the swap.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const logger = options.logger ?? silentLogger;
  const onProgress = options.onProgress;
  const dbPath = resolve(options.dbPath);
  const file = resolve(options.file);
  const keep = options.keep ?? DEFAULT_KEEP;
  if (file === dbPath) {
    throw new CodeidxError('INVALID_ARGUMENT', 'A database cannot be restored from itself.', {
      hint: 'Choose a backup file.',
    });
  }
  assertReadable(file);
  const encrypted = probeHeader(file).encrypted;
  const key = encrypted ? requireKey(file, options.key) : undefined;
  const dir = dirname(dbPath);
  const prefix = restoreTempPrefix(dbPath);
  const temps: string[] = [];
  let schemaVersion: number;
  let temp: string;
  try {
    mkdirSync(dir, { recursive: true });
    finishInterruptedRestore(dbPath, logger);
    removeLeftoverTemps(dir, [prefix, BACKUP_TEMP_PREFIX], logger);
    onProgress?.({ phase: 'restore', message: `Reading ${basename(file)}…`, increment: 0 });
    if (key !== undefined) {
      temp = decryptToTemp(file, dir, key, temps, prefix);
    } else {
      temp = tempName(dir, prefix, 'copy');
      temps.push(temp);
      copyPrivate(file, temp, (done, total) =>
        onProgress?.({ phase: 'restore', message: 'Copying the backup…', done, total }),
      );
    }
    onProgress?.({ phase: 'verify', message: 'Verifying the backup…', increment: 50 });
    schemaVersion = checkDatabaseFile(temp, { full: true, label: file });
    syncFile(temp);
  } catch (err) {
    for (const t of temps) removeQuietly(t);
    const error = toCodeidxError(err, `Cannot restore ${file}`);
    if (error.code === 'BACKUP_INVALID' || error.code === 'INVALID_ARGUMENT') throw error;
    throw new CodeidxError(error.code, `${error.message} The current database was not changed.`, {
      hint: error.hint,
      transient: error.transient,
      cause: error.cause ?? err,
      details: error.details,
    });
  }
  testPause('restore:prepared');

  let lock: Connection | undefined;
  let swapped: { hadMain: boolean; replaced: string | undefined };
  try {
    onProgress?.({ phase: 'restore', message: 'Waiting for other writers…', increment: 0 });
    lock = await lockCurrent(dbPath, options, logger);
  } catch (err) {
    removeQuietly(temp);
    throw err;
  }
  try {
    swapped = swapLocked(dbPath, temp, file, options.now ?? new Date(), logger);
  } finally {
    // After the swap the lock's file is the replaced one: SQLite sees it moved and closes it
    // without a checkpoint and without removing `<db>-wal`, which may now be the restored one's.
    lock?.close();
  }
  onProgress?.({ phase: 'restore', message: 'Restored.', increment: 50 });
  const previous = swapped.hadMain ? swapped.replaced : undefined;
  logger.info(`Restored ${dbPath} from ${file}`, { schemaVersion, previous });
  pruneReplaced(dbPath, keep, logger);
  return previous === undefined
    ? { restoredFrom: file, schemaVersion }
    : { restoredFrom: file, previous, schemaVersion };
}

/**
 * Takes the write lock of the database about to be replaced, the way every writer does
 * (`beginWrite`: busy timeout, then retries with backoff), and returns the connection that holds
 * it. Nothing to lock where there is no file yet, or where SQLite cannot read it (a damaged
 * database is what a restore is for): then the swap goes ahead without it, and says so.
 */
async function lockCurrent(
  dbPath: string,
  options: RestoreOptions,
  logger: Logger,
): Promise<Connection | undefined> {
  if (!existsSync(dbPath)) return undefined;
  let db: Connection;
  try {
    db = openConnection(dbPath, {
      create: false,
      journalMode: 'keep',
      busyTimeoutMs: options.busyTimeoutMs,
    });
  } catch (err) {
    logger.warn(`Restoring over ${dbPath} without its write lock: ${(err as Error).message}`);
    return undefined;
  }
  try {
    await beginWrite(db, { ...options.lock, logger });
    return db;
  } catch (err) {
    db.close();
    const error = toCodeidxError(err);
    if (error.code !== 'BUSY') {
      logger.warn(`Restoring over ${dbPath} without its write lock: ${error.message}`);
      return undefined;
    }
    throw new CodeidxError(
      'BUSY',
      `Another connection kept writing ${dbPath} while the restore waited for it; the current database was not changed.`,
      {
        hint: 'Try again once the other codeidx command (or VS Code window) has finished writing.',
        transient: true,
        cause: err,
      },
    );
  }
}
