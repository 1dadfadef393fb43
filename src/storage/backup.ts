/**
 * Backups of a codeidx database: create (an online `VACUUM INTO` snapshot, verified, rotated,
 * optionally encrypted), list, verify and restore (verified, then swapped in atomically).
 *
 * Names: `<folder>/codeidx-<UTC time to the ms, e.g. 2026-11-28T06-30-00-123Z>-v<schema>.db`,
 * `.db.enc` when encrypted (format in crypto.ts). The default folder is `codeidx-backups/` beside
 * the database. Backups and the folder are created with modes 0600 and 0700 whatever the umask.
 * Work in progress lives in `.codeidx-backup-*.tmp` files (0600) in the same folder, removed in
 * every outcome; only files matching the name pattern are listed or rotated.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { APPLICATION_ID, probeFile, type Connection } from './connection.ts';
import { decryptFile, encryptFile, isEncryptedFile, pumpFile, writeAll } from './crypto.ts';
import { CodeidxError, toCodeidxError } from './errors.ts';
import { silentLogger, type Logger } from './log.ts';
import { COMPANION_SUFFIXES, fileStamp, moveDatabaseFiles } from './quarantine.ts';
import type { BackupResult, ProgressListener, RestoreResult } from './types.ts';

/** Folder name, beside the database, that holds its backups by default. */
export const BACKUP_DIR_NAME = 'codeidx-backups';
/** How many backups rotation keeps by default. */
export const DEFAULT_KEEP = 5;

const NAME_PATTERN = /^codeidx-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)-v(\d+)\.db(\.enc)?$/;
const TEMP_PREFIX = '.codeidx-backup-';
/** Temp files older than this (left by a killed process) are removed by the next backup. */
const STALE_TEMP_MS = 60 * 60 * 1000;

export interface CreateBackupOptions {
  /** Path of the database `db` is connected to: names the default folder. */
  dbPath: string;
  /** Write exactly this file (it must not exist); no rotation then. */
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

/** One backup found in a folder. */
export interface BackupInfo {
  path: string;
  /** ISO 8601 time from the file name. */
  at: string;
  /** Schema version the backup holds, from the file name. */
  version: number;
  encrypted: boolean;
  bytes: number;
}

export interface RestoreOptions {
  /** The database to replace. Every connection to it must be closed. */
  dbPath: string;
  /** The backup to restore (plain or encrypted; recognised by its content). */
  file: string;
  /** Passphrase of an encrypted backup. */
  key?: string;
  logger?: Logger;
  onProgress?: ProgressListener;
  /** The time in the `.replaced-<time>` name (default now). */
  now?: Date;
}

/** `<dirname(dbPath)>/codeidx-backups`. */
export function defaultBackupDir(dbPath: string): string {
  return join(dirname(resolve(dbPath)), BACKUP_DIR_NAME);
}

/** `codeidx-2026-11-28T06-30-00-123Z-v2.db` (`.db.enc` when encrypted). */
export function backupFileName(at: Date, version: number, encrypted: boolean): string {
  return `codeidx-${fileStamp(at)}-v${version}.db${encrypted ? '.enc' : ''}`;
}

/** The time, version and encryption a backup's file name states, or undefined for other names. */
export function parseBackupName(
  name: string,
): { at: Date; version: number; encrypted: boolean } | undefined {
  const m = NAME_PATTERN.exec(name);
  if (!m) return undefined;
  const [date, time] = m[1]!.split('T') as [string, string];
  const [h, min, s, ms] = time.slice(0, -1).split('-');
  const at = new Date(`${date}T${h}:${min}:${s}.${ms}Z`);
  if (Number.isNaN(at.getTime())) return undefined;
  return { at, version: Number(m[2]), encrypted: m[3] !== undefined };
}

/**
 * Writes a verified backup of the database `db` is connected to, synchronously (run it in a
 * worker thread or the CLI). `VACUUM INTO` takes a consistent snapshot inside one read
 * transaction, so it works on a WAL database while other connections read and write.
 *
 * Steps: snapshot into a temp file (0600) in the target folder; verify it (`quick_check`,
 * codeidx's application_id, the source's user_version); with a key, encrypt it into a second
 * temp file, remove the plaintext and verify again by decrypting; then rename into place and,
 * without `out`, rotate the folder to the newest `keep` backups. A backup that fails
 * verification never gets its name: its temp files are removed and BACKUP_FAILED is thrown.
 * Temp files are removed in every outcome.
 *
 * Errors: DISK_FULL and READONLY (with hints; the database itself is never changed),
 * FOREIGN_DATABASE when the source is not codeidx's, INVALID_ARGUMENT for bad options or an open
 * transaction on `db`, BACKUP_FAILED otherwise.
 */
export function createBackup(db: Connection, options: CreateBackupOptions): BackupResult {
  const t0 = performance.now();
  const logger = options.logger ?? silentLogger;
  const onProgress = options.onProgress;
  const keep = options.keep ?? DEFAULT_KEEP;
  if (!Number.isInteger(keep) || keep < 1) {
    throw new CodeidxError(
      'INVALID_ARGUMENT',
      `keep must be a whole number of 1 or more (got ${keep}).`,
    );
  }
  if (options.key !== undefined && (typeof options.key !== 'string' || options.key === '')) {
    throw new CodeidxError('INVALID_ARGUMENT', 'An encrypted backup needs a non-empty key.', {
      hint: 'Set CODEIDX_BACKUP_KEY (CLI) or the backup key in VS Code.',
    });
  }
  if (!db.open) throw new CodeidxError('INVALID_ARGUMENT', 'The connection to back up is closed.');
  if (db.inTransaction) {
    throw new CodeidxError('INVALID_ARGUMENT', 'Cannot back up inside an open transaction.', {
      hint: 'Commit or roll back first.',
    });
  }
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

  const out = options.out === undefined ? undefined : resolve(options.out);
  const dir = out ? dirname(out) : resolve(options.dir ?? defaultBackupDir(options.dbPath));
  if (out && existsSync(out)) {
    throw new CodeidxError(
      'INVALID_ARGUMENT',
      `${out} already exists; a backup never overwrites a file.`,
      {
        hint: 'Choose another --out name, or move that file away first.',
      },
    );
  }
  const temps: string[] = [];
  try {
    ensurePrivateDir(dir);
    removeStaleTemps(dir, logger);
    const plain = tempPath(dir, 'snapshot');
    temps.push(plain);
    closeSync(createPrivateFile(plain));
    onProgress?.({ phase: 'backup', message: 'Writing a snapshot of the database…', increment: 0 });
    db.prepare('VACUUM INTO ?').run(plain);
    onProgress?.({
      phase: 'verify',
      message: 'Verifying the backup…',
      increment: encrypted ? 30 : 60,
    });
    const version = verifySnapshot(plain, db, source.version, options.dbPath);
    let written = plain;
    if (encrypted) {
      const sealed = tempPath(dir, 'sealed');
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
      removeQuietly(plain);
      onProgress?.({ phase: 'verify', message: 'Verifying the encrypted backup…', increment: 30 });
      const opened = decryptToTemp(sealed, dir, options.key!, temps);
      const again = checkDatabaseFile(opened, { full: false, label: 'The encrypted backup' });
      removeQuietly(opened);
      if (again !== version) {
        throw new CodeidxError(
          'BACKUP_FAILED',
          'The encrypted backup does not decrypt to the snapshot.',
          {
            hint: 'Try again; if it keeps failing, check the disk.',
          },
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

/** The backups in `dir` (named as createBackup names them), newest first. */
export function listBackups(dir: string): BackupInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw toCodeidxError(err, `Cannot list the backups in ${dir}`);
  }
  const found: (BackupInfo & { time: number })[] = [];
  for (const name of names) {
    const parsed = parseBackupName(name);
    if (!parsed) continue;
    const path = join(dir, name);
    let bytes: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      bytes = st.size;
    } catch {
      continue; // removed meanwhile
    }
    found.push({
      path,
      at: parsed.at.toISOString(),
      version: parsed.version,
      encrypted: parsed.encrypted,
      bytes,
      time: parsed.at.getTime(),
    });
  }
  found.sort((a, b) => b.time - a.time || (a.path < b.path ? 1 : -1));
  return found.map(({ time: _time, ...info }) => info);
}

/** The newest backup of a database (in `dir`, default its `codeidx-backups/`), with its age. */
export function lastBackup(
  dbPath: string,
  dir?: string,
  now: Date = new Date(),
): { path: string; at: string; ageHours: number } | undefined {
  let newest: BackupInfo | undefined;
  try {
    newest = listBackups(dir ?? defaultBackupDir(dbPath))[0];
  } catch {
    return undefined; // an unreadable folder shows as "no backup", it does not break a report
  }
  if (!newest) return undefined;
  const ageHours = Math.round(((now.getTime() - Date.parse(newest.at)) / 3_600_000) * 100) / 100;
  return { path: newest.path, at: newest.at, ageHours };
}

/**
 * Checks that `file` is a usable codeidx backup: an SQLite file (decrypted first when it is
 * encrypted, into a private temp folder that is removed afterwards), with codeidx's
 * application_id, that passes `PRAGMA integrity_check`. Changes nothing beside the file.
 * Throws BACKUP_INVALID with a hint otherwise (also for an encrypted file and no key).
 */
export function verifyBackup(
  file: string,
  options: { key?: string; logger?: Logger } = {},
): { ok: true; schemaVersion: number } {
  const path = resolve(file);
  assertReadable(path);
  if (isEncryptedFile(path)) {
    const key = requireKey(path, options.key);
    const dir = mkdtempSync(join(tmpdir(), 'codeidx-verify-'));
    try {
      chmodSync(dir, 0o700);
      const temps: string[] = [];
      const opened = decryptToTemp(path, dir, key, temps);
      return { ok: true, schemaVersion: checkDatabaseFile(opened, { full: true, label: path }) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (!isWalFile(path)) {
    return {
      ok: true,
      schemaVersion: checkDatabaseFile(path, { full: true, label: path, inPlace: true }),
    };
  }
  // A raw copy of a WAL database: opening it in place would leave -wal/-shm files beside it.
  const dir = mkdtempSync(join(tmpdir(), 'codeidx-verify-'));
  try {
    chmodSync(dir, 0o700);
    const copy = join(dir, 'copy.db');
    copyPrivate(path, copy);
    return { ok: true, schemaVersion: checkDatabaseFile(copy, { full: true, label: path }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Replaces the database at `dbPath` with a backup. **The caller has closed every connection to
 * `dbPath` first** (and checkpointed it, if it wants the WAL folded into the replaced file).
 *
 * The backup is decrypted or copied into a temp file (0600) beside `dbPath` and verified as
 * `verifyBackup` does. Only then is the current database, with its `-wal`, `-shm` and `-journal`
 * files when present, moved to `<dbPath>.replaced-<time>` (kept, never deleted; a `-wal` stays
 * with the file it belongs to) and the temp file renamed to `dbPath`, an atomic swap on one file
 * system. If anything fails before the swap, the current database is untouched and the temp file
 * removed; if the final rename fails, the old files are moved back.
 */
export function restoreBackup(options: RestoreOptions): RestoreResult {
  const logger = options.logger ?? silentLogger;
  const onProgress = options.onProgress;
  const dbPath = resolve(options.dbPath);
  const file = resolve(options.file);
  if (file === dbPath) {
    throw new CodeidxError('INVALID_ARGUMENT', 'A database cannot be restored from itself.', {
      hint: 'Choose a backup file.',
    });
  }
  assertReadable(file);
  const encrypted = isEncryptedFile(file);
  const key = encrypted ? requireKey(file, options.key) : undefined;
  const dir = dirname(dbPath);
  const temps: string[] = [];
  let schemaVersion: number;
  let temp: string;
  try {
    mkdirSync(dir, { recursive: true });
    removeStaleTemps(dir, logger, `.${basename(dbPath)}.restore-`);
    onProgress?.({ phase: 'restore', message: `Reading ${basename(file)}…`, increment: 0 });
    if (key !== undefined) {
      temp = decryptToTemp(file, dir, key, temps, `.${basename(dbPath)}.restore-`);
    } else {
      temp = join(dir, `.${basename(dbPath)}.restore-${randomBytes(6).toString('hex')}.tmp`);
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

  let previous: string | undefined;
  const hadMain = existsSync(dbPath);
  if (['', ...COMPANION_SUFFIXES].some((s) => existsSync(dbPath + s))) {
    try {
      const moved = moveDatabaseFiles(dbPath, 'replaced', options.now);
      if (hadMain) previous = moved;
    } catch (err) {
      removeQuietly(temp);
      throw toCodeidxError(err, `Cannot move the current database aside; it was not changed`);
    }
  }
  try {
    renameSync(temp, dbPath);
  } catch (err) {
    if (previous !== undefined) {
      for (const suffix of ['', ...COMPANION_SUFFIXES]) {
        if (existsSync(previous + suffix)) renameSync(previous + suffix, dbPath + suffix);
      }
    }
    removeQuietly(temp);
    throw toCodeidxError(
      err,
      'Cannot move the restored database into place; the current one was put back',
    );
  }
  syncDir(dir);
  onProgress?.({ phase: 'restore', message: 'Restored.', increment: 50 });
  logger.info(`Restored ${dbPath} from ${file}`, { schemaVersion, previous });
  return previous === undefined
    ? { restoredFrom: file, schemaVersion }
    : { restoredFrom: file, previous, schemaVersion };
}

/* ---- helpers ---- */

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

/**
 * Opens an SQLite file and checks it: codeidx's application_id, then `integrity_check` (full)
 * or `quick_check`. Returns its user_version; throws BACKUP_INVALID. A file of our own (a temp
 * copy) is opened read-write and switched to rollback journaling, so no -wal/-shm stay behind;
 * `inPlace` opens someone's file read-only. `trusted_schema` is off: nothing in the file runs.
 */
function checkDatabaseFile(
  path: string,
  o: { full: boolean; label: string; inPlace?: boolean },
): number {
  const kind = probeFile(path);
  if (kind !== 'sqlite') {
    throw new CodeidxError('BACKUP_INVALID', `${o.label} is not an SQLite database (${kind}).`, {
      hint: 'Choose a file that `codeidx backup` wrote; this one is damaged or something else.',
    });
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: o.inPlace === true, fileMustExist: true });
    db.pragma('trusted_schema = OFF');
    if (!o.inPlace && db.pragma('journal_mode', { simple: true }) === 'wal') {
      db.pragma('journal_mode = DELETE');
    }
    const applicationId = Number(db.pragma('application_id', { simple: true }));
    if (applicationId !== APPLICATION_ID) {
      throw new CodeidxError(
        'BACKUP_INVALID',
        `${o.label} is not a codeidx database (application_id ${applicationId}): it belongs to another program.`,
        { hint: 'Choose a file that `codeidx backup` wrote.' },
      );
    }
    const rows = db.pragma(o.full ? 'integrity_check(20)' : 'quick_check(20)', {
      simple: false,
    }) as Record<string, string>[];
    const messages = rows.map((r) => Object.values(r)[0]);
    if (messages.length !== 1 || messages[0] !== 'ok') {
      throw new CodeidxError(
        'BACKUP_INVALID',
        `${o.label} is damaged: ${messages.slice(0, 3).join('; ')}`,
        {
          hint: 'Use another backup.',
          details: { problems: messages },
        },
      );
    }
    return Number(db.pragma('user_version', { simple: true }));
  } catch (err) {
    if (err instanceof CodeidxError) throw err;
    const error = toCodeidxError(err);
    if (error.code === 'CORRUPT') {
      throw new CodeidxError('BACKUP_INVALID', `${o.label} is damaged: ${error.message}`, {
        hint: 'Use another backup.',
        cause: err,
      });
    }
    throw toCodeidxError(err, `Cannot check ${o.label}`);
  } finally {
    db?.close();
  }
}

function decryptToTemp(
  file: string,
  dir: string,
  key: string,
  temps: string[],
  prefix = TEMP_PREFIX,
): string {
  const temp = join(dir, `${prefix}${randomBytes(6).toString('hex')}.opened.tmp`);
  temps.push(temp);
  const fd = createPrivateFile(temp);
  try {
    decryptFile(file, fd, key);
  } finally {
    closeSync(fd);
  }
  return temp;
}

function requireKey(path: string, key: string | undefined): string {
  if (key === undefined || key === '') {
    throw new CodeidxError('BACKUP_INVALID', `${path} is encrypted and no key was given.`, {
      hint: 'Set CODEIDX_BACKUP_KEY (CLI) or the backup key in VS Code to the passphrase it was made with.',
      details: { reason: 'no-key' },
    });
  }
  return key;
}

function assertReadable(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new CodeidxError('BACKUP_INVALID', `Cannot read the backup ${path}.`, {
      hint: 'Check the path.',
      cause: err,
    });
  }
  if (!st.isFile()) {
    throw new CodeidxError('BACKUP_INVALID', `${path} is not a file.`, { hint: 'Check the path.' });
  }
}

function isWalFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(2);
    readSync(fd, bytes, 0, 2, 18);
    return bytes[0] === 2 || bytes[1] === 2;
  } finally {
    closeSync(fd);
  }
}

/** Creates a new file (failing if it exists) with mode 0600 whatever the umask. */
function createPrivateFile(path: string): number {
  const fd = openSync(path, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/** Creates the folder (and missing parents) with mode 0700 whatever the umask; leaves an existing one as it is. */
function ensurePrivateDir(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    chmodSync(d, 0o700);
    if (d === first || dirname(d) === d) break;
  }
}

function copyPrivate(
  from: string,
  to: string,
  onProgress?: (done: number, total: number) => void,
): void {
  const src = openSync(from, 'r');
  try {
    const dest = createPrivateFile(to);
    try {
      pumpFile(src, (chunk) => writeAll(dest, chunk), onProgress);
    } finally {
      closeSync(dest);
    }
  } finally {
    closeSync(src);
  }
}

function tempPath(dir: string, tag: string): string {
  return join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}.${tag}.tmp`);
}

/**
 * Removes our `<prefix>*.tmp` files older than an hour: left behind by a killed process (a
 * decrypted copy among them, so they should not linger).
 */
function removeStaleTemps(dir: string, logger: Logger, prefix = TEMP_PREFIX): void {
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const path = join(dir, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_TEMP_MS) {
        rmSync(path, { force: true });
        logger.info(`Removed a temp file left by an interrupted backup or restore: ${path}`);
      }
    } catch {
      // another process removed it
    }
  }
}

/** A file name for a new backup; a taken time moves on by a millisecond, keeping the order. */
function uniqueName(dir: string, at: Date, version: number, encrypted: boolean): string {
  let t = at.getTime();
  for (;;) {
    const when = new Date(t);
    const plain = backupFileName(when, version, false);
    if (!existsSync(join(dir, plain)) && !existsSync(join(dir, `${plain}.enc`))) {
      return backupFileName(when, version, encrypted);
    }
    t += 1;
  }
}

/** Keeps the newest `keep` backups in `dir` (the one just written always among them). */
function rotate(dir: string, keep: number, written: string, logger: Logger): string[] {
  const others = listBackups(dir).filter((b) => b.path !== written);
  const removed: string[] = [];
  for (const b of others.slice(Math.max(0, keep - 1))) {
    try {
      rmSync(b.path);
      removed.push(b.path);
    } catch (err) {
      logger.warn(`Could not remove an old backup: ${b.path}`, { error: String(err) });
    }
  }
  if (removed.length) logger.info(`Rotation removed ${removed.length} old backup(s)`, { removed });
  return removed;
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

function syncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a rename durable; not every platform can open a folder, so failures are ignored. */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
    for (const suffix of COMPANION_SUFFIXES) rmSync(path + suffix, { force: true });
  } catch {
    // a temp file that cannot be removed is not worth failing for
  }
}
