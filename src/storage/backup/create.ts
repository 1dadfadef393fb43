/**
 * Writing a backup: an online `VACUUM INTO` snapshot, verified, optionally encrypted, renamed into
 * place and rotated. Plaintext temp files of an encrypted backup never enter the backup folder:
 * they live beside the database (which is plaintext anyway), where the next open removes any a
 * killed process left.
 */
import { closeSync, existsSync, fsyncSync, renameSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { APPLICATION_ID, type Connection } from '../database/connection.ts';
import { encryptFile, requireEncryptionKey } from './crypto.ts';
import { CodeidxError, toCodeidxError } from '../errors.ts';
import {
  assertInside,
  createPrivateFile,
  ensurePrivateDir,
  removeQuietly,
  syncDir,
  syncFile,
  tempName,
  testPause,
} from '../database/files.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { BackupResult, ProgressListener } from '../types.ts';
import { rotate } from './catalogue.ts';
import { BACKUP_TEMP_PREFIX, DEFAULT_KEEP, backupFolder, uniqueName } from './names.ts';
import { removeLeftoverTemps } from './leftovers.ts';
import { checkDatabaseFile, decryptToTemp } from './verify.ts';

export interface CreateBackupOptions {
  /** Path of the database `db` is connected to: names the default folder. */
  dbPath: string;
  /** Write exactly this file (it must not exist, its folder must); no rotation then. */
  out?: string;
  /** Folder for named, rotated backups (default `<dirname(dbPath)>/codeidx-backups/`). */
  dir?: string;
  /** Backups to keep in `dir` after this one is written (default 5). */
  keep?: number;
  /** Passphrase: when given, the backup is encrypted (AES-256-GCM, key by scrypt). */
  key?: string;
  logger?: Logger;
  onProgress?: ProgressListener;
  /** The time in the file name (default now). */
  now?: Date;
}

/**
 * Writes a verified backup of the database `db` is connected to, synchronously (run it in a
 * worker thread or the CLI). `VACUUM INTO` takes a consistent snapshot inside one read
 * transaction, so it works on a WAL database while other connections read and write.
 *
 * Steps: snapshot into a temp file (0600; in the target folder, or beside the database when the
 * backup is encrypted); verify it (`quick_check`, codeidx's application_id, the source's
 * user_version); with a key, encrypt it into a temp file in the target folder, remove the
 * plaintext and verify again by decrypting; then rename into place and, without `out`, rotate
 * the folder to the newest `keep` backups. A backup that fails verification never gets its
 * name. Temp files are removed in every outcome (and by the next open after a kill).
 *
 * The default folder must stay inside the database's folder (a `codeidx-backups` symlink leading
 * elsewhere is refused: UNSAFE_PATH); `out` and `dir` are the caller's choice. `out`'s folder
 * must exist: it is not created.
 *
 * Errors: DISK_FULL and READONLY (with hints; the database itself is never changed),
 * FOREIGN_DATABASE when the source is not codeidx's, INVALID_ARGUMENT for bad options or an open
 * transaction on `db`, UNSAFE_PATH, BACKUP_FAILED otherwise.
 */
export function createBackup(db: Connection, options: CreateBackupOptions): BackupResult {
  const t0 = performance.now();
  const logger = options.logger ?? silentLogger;
  const onProgress = options.onProgress;
  const keep = options.keep ?? DEFAULT_KEEP;
  checkOptions(db, options, keep);
  const encrypted = options.key !== undefined;
  const source = readMarks(db, options.dbPath);
  if (source.applicationId !== APPLICATION_ID) {
    throw new CodeidxError(
      'FOREIGN_DATABASE',
      `${options.dbPath} is not marked as a codeidx database (application_id ${source.applicationId}); codeidx backs up only its own.`,
      {
        hint: 'Run `codeidx migrate` on it first, or back it up with the tools of the program it belongs to.',
      },
    );
  }
  const dbDir = dirname(resolve(options.dbPath));
  const out = options.out === undefined ? undefined : resolve(options.out);
  const dir = out ? dirname(out) : backupFolder(options.dbPath, options.dir);
  checkTarget(options.dbPath, dir, out);
  const temps: string[] = [];
  try {
    ensurePrivateDir(dir);
    removeLeftoverTemps(dir, [BACKUP_TEMP_PREFIX], logger);
    const plain = tempName(encrypted ? dbDir : dir, BACKUP_TEMP_PREFIX, 'snapshot');
    temps.push(plain);
    closeSync(createPrivateFile(plain));
    onProgress?.({ phase: 'backup', message: 'Writing a snapshot of the database…', increment: 0 });
    db.prepare('VACUUM INTO ?').run(plain);
    testPause('backup:snapshot');
    onProgress?.({
      phase: 'verify',
      message: 'Verifying the backup…',
      increment: encrypted ? 30 : 60,
    });
    const version = verifySnapshot(plain, db, source.version, options.dbPath);
    let written = plain;
    if (encrypted) {
      const sealed = tempName(dir, BACKUP_TEMP_PREFIX, 'sealed');
      temps.push(sealed);
      const fd = createPrivateFile(sealed);
      try {
        encryptFile(plain, fd, options.key!, (done, total) =>
          onProgress?.({ phase: 'backup', message: 'Encrypting the backup…', done, total }),
        );
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      testPause('backup:sealed');
      removeQuietly(plain);
      onProgress?.({ phase: 'verify', message: 'Verifying the encrypted backup…', increment: 30 });
      const opened = decryptToTemp(sealed, dbDir, options.key!, temps, BACKUP_TEMP_PREFIX);
      testPause('backup:opened');
      const again = checkDatabaseFile(opened, { full: false, label: 'The encrypted backup' });
      removeQuietly(opened);
      if (again !== version) {
        throw new CodeidxError(
          'BACKUP_FAILED',
          'The encrypted backup does not decrypt to the snapshot.',
          { hint: 'Try again; if it keeps failing, check the disk.' },
        );
      }
      written = sealed;
    } else {
      syncFile(plain);
    }
    const path = out ?? join(dir, uniqueName(dir, options.now ?? new Date(), version, encrypted));
    if (existsSync(path)) {
      throw new CodeidxError(
        'INVALID_ARGUMENT',
        `${path} already exists; a backup never overwrites a file.`,
      );
    }
    renameSync(written, path);
    syncDir(dir);
    const rotated = out ? [] : rotate(dir, keep, path, logger);
    const bytes = statSync(path).size;
    const ms = performance.now() - t0;
    logger.info(`Backup written: ${path}`, {
      bytes,
      encrypted,
      version,
      ms: Math.round(ms),
      rotated,
    });
    onProgress?.({ phase: 'backup', message: 'Backup written.', increment: 40 });
    return { path, bytes, encrypted, verified: true, ms, rotated };
  } catch (err) {
    throw backupError(err, dir);
  } finally {
    for (const t of temps) removeQuietly(t);
  }
}

function checkOptions(db: Connection, options: CreateBackupOptions, keep: number): void {
  if (!Number.isInteger(keep) || keep < 1) {
    throw new CodeidxError(
      'INVALID_ARGUMENT',
      `keep must be a whole number of 1 or more (got ${keep}).`,
    );
  }
  if (options.key !== undefined) requireEncryptionKey(options.key);
  if (!db.open) throw new CodeidxError('INVALID_ARGUMENT', 'The connection to back up is closed.');
  if (db.inTransaction) {
    throw new CodeidxError('INVALID_ARGUMENT', 'Cannot back up inside an open transaction.', {
      hint: 'Commit or roll back first.',
    });
  }
}

/** `out` must be new and its folder must exist; the default folder must not lead elsewhere. */
function checkTarget(dbPath: string, dir: string, out: string | undefined): void {
  if (out === undefined) {
    if (dir === backupFolder(dbPath)) {
      assertInside(dirname(resolve(dbPath)), dir, 'The backup folder');
    }
    return;
  }
  if (existsSync(out)) {
    throw new CodeidxError(
      'INVALID_ARGUMENT',
      `${out} already exists; a backup never overwrites a file.`,
      { hint: 'Choose another --out name, or move that file away first.' },
    );
  }
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // missing: said below
  }
  if (!isDir) {
    throw new CodeidxError(
      'INVALID_ARGUMENT',
      `The folder of --out, ${dir}, does not exist; codeidx does not create it.`,
      { hint: `Create it first (mkdir -p "${dir}"), or choose a file in an existing folder.` },
    );
  }
}

function readMarks(db: Connection, dbPath: string): { applicationId: number; version: number } {
  try {
    return {
      applicationId: Number(db.pragma('application_id', { simple: true })),
      version: Number(db.pragma('user_version', { simple: true })),
    };
  } catch (err) {
    throw toCodeidxError(err, `Cannot read ${dbPath}`);
  }
}

/**
 * Verifies the fresh snapshot; its user_version must be the source's. A migration committed by
 * another connection between reading the source's version and the snapshot is accepted when the
 * source now says the same as the snapshot.
 */
function verifySnapshot(
  path: string,
  db: Connection,
  sourceVersion: number,
  dbPath: string,
): number {
  let version: number;
  try {
    version = checkDatabaseFile(path, { full: false, label: 'The new backup' });
  } catch (err) {
    const error = toCodeidxError(err);
    throw new CodeidxError('BACKUP_FAILED', `${error.message} It was removed.`, {
      hint: 'Try again; if it keeps failing, run `codeidx health` on the database and check the disk.',
      cause: err,
    });
  }
  if (version !== sourceVersion && version !== readMarks(db, dbPath).version) {
    throw new CodeidxError(
      'BACKUP_FAILED',
      `The new backup has schema version ${version}, the database ${sourceVersion}; it was removed.`,
      { hint: 'Try again.' },
    );
  }
  return version;
}

function backupError(err: unknown, dir: string): CodeidxError {
  const error = toCodeidxError(err, 'The backup failed');
  switch (error.code) {
    case 'READONLY':
      return new CodeidxError('READONLY', `Cannot write a backup in ${dir}: ${error.message}`, {
        hint: `Check that ${dir} is writable by you, or choose another place (--out FILE). The database was not changed.`,
        cause: error.cause ?? err,
        details: error.details,
      });
    case 'BACKUP_INVALID':
      // The new backup itself did not verify (after encryption): it was removed.
      return new CodeidxError('BACKUP_FAILED', `${error.message} The backup was removed.`, {
        hint: 'Try again; if it keeps failing, check the disk. The database was not changed.',
        cause: err,
      });
    case 'INTERNAL':
      return new CodeidxError('BACKUP_FAILED', error.message, {
        hint: 'Check the disk and the folder, then try again. The database was not changed.',
        cause: error.cause ?? err,
        details: error.details,
      });
    default:
      return error;
  }
}
