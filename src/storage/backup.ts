import Database from 'better-sqlite3';
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { APPLICATION_ID, probeFile, type Connection } from './connection.ts';
import { CodeidxError, toCodeidxError } from './errors.ts';
import { silentLogger, type Logger } from './log.ts';
import { fileStamp, moveAside } from './quarantine.ts';
import type { BackupResult, ProgressListener, RestoreResult } from './types.ts';

/**
 * Encrypted backup format (version 1): the 12-byte magic `CODEIDX-ENC\0`, a version byte, a
 * 16-byte scrypt salt and a 12-byte AES-GCM IV (together the header, authenticated as AAD),
 * then the AES-256-GCM ciphertext of the SQLite file, then the 16-byte tag. The key is
 * scrypt(passphrase, salt, N=2^15, r=8, p=1).
 */
const MAGIC = Buffer.from('CODEIDX-ENC\0', 'latin1');
const FORMAT_VERSION = 1;
const HEADER_LENGTH = MAGIC.length + 1 + 16 + 12;
const TAG_LENGTH = 16;
const CHUNK = 1 << 20;
const NAME = /^codeidx-(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)-v(\d+)\.db(\.enc)?$/;

export interface BackupOptions {
  dbPath: string;
  /** Write exactly here instead of the backup folder (no rotation then). */
  out?: string;
  /** Default `<db folder>/codeidx-backups`. */
  dir?: string;
  /** Backups to keep in the folder (default 5). */
  keep?: number;
  /** Passphrase: when given the backup is encrypted. */
  key?: string;
  logger?: Logger;
  onProgress?: ProgressListener;
  now?: Date;
}

export interface BackupEntry {
  path: string;
  at: string;
  version: number;
  encrypted: boolean;
  bytes: number;
}

/** Where backups of `dbPath` go unless told otherwise. */
export function defaultBackupDir(dbPath: string): string {
  return join(dirname(dbPath), 'codeidx-backups');
}

function deriveKey(passphrase: string, salt: Buffer): Buffer {
  return scryptSync(passphrase, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
}

/** Creates (or truncates) a file that only its owner can read, whatever the umask. */
function privateFile(path: string): number {
  const fd = openSync(path, 'w', 0o600);
  chmodSync(path, 0o600);
  return fd;
}

function isEncrypted(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(MAGIC.length);
    return readSync(fd, head, 0, MAGIC.length, 0) === MAGIC.length && head.equals(MAGIC);
  } finally {
    closeSync(fd);
  }
}

function encryptFile(source: string, target: string, passphrase: string): void {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const header = Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION]), salt, iv]);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(passphrase, salt), iv);
  cipher.setAAD(header);
  const input = openSync(source, 'r');
  const output = privateFile(target);
  try {
    writeSync(output, header);
    const buffer = Buffer.alloc(CHUNK);
    for (let n; (n = readSync(input, buffer, 0, CHUNK, null)) > 0;)
      writeSync(output, cipher.update(buffer.subarray(0, n)));
    writeSync(output, cipher.final());
    writeSync(output, cipher.getAuthTag());
  } finally {
    closeSync(input);
    closeSync(output);
  }
}

function invalid(message: string, hint: string, cause?: unknown): CodeidxError {
  return new CodeidxError('BACKUP_INVALID', message, { hint, cause });
}

function decryptFile(source: string, target: string, passphrase: string): void {
  const input = openSync(source, 'r');
  const output = privateFile(target);
  try {
    const size = fstatSync(input).size;
    const header = Buffer.alloc(HEADER_LENGTH);
    if (
      size < HEADER_LENGTH + TAG_LENGTH ||
      readSync(input, header, 0, HEADER_LENGTH, 0) !== HEADER_LENGTH
    ) {
      throw invalid(
        `${source} is too short to be an encrypted codeidx backup.`,
        'The file is damaged; use another backup.',
      );
    }
    if (header[MAGIC.length] !== FORMAT_VERSION) {
      throw invalid(
        `${source} uses encrypted backup format ${header[MAGIC.length]}, which this build cannot read.`,
        'Update codeidx.',
      );
    }
    const salt = header.subarray(MAGIC.length + 1, MAGIC.length + 17);
    const iv = header.subarray(MAGIC.length + 17, HEADER_LENGTH);
    const tag = Buffer.alloc(TAG_LENGTH);
    readSync(input, tag, 0, TAG_LENGTH, size - TAG_LENGTH);
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(passphrase, salt), iv);
    decipher.setAAD(header);
    decipher.setAuthTag(tag);
    const buffer = Buffer.alloc(CHUNK);
    let position = HEADER_LENGTH;
    const end = size - TAG_LENGTH;
    while (position < end) {
      const n = readSync(input, buffer, 0, Math.min(CHUNK, end - position), position);
      position += n;
      writeSync(output, decipher.update(buffer.subarray(0, n)));
    }
    try {
      decipher.final();
    } catch (err) {
      throw invalid(
        `${source} could not be decrypted: the key is wrong or the file was changed.`,
        'Set CODEIDX_BACKUP_KEY (or the key in VS Code) to the passphrase the backup was made with.',
        err,
      );
    }
  } finally {
    closeSync(input);
    closeSync(output);
  }
}

/** Checks a plain SQLite backup: readable, undamaged, codeidx's. Returns its schema version. */
function verifyPlain(path: string, label: string): number {
  if (probeFile(path) !== 'sqlite')
    throw invalid(`${label} is not an SQLite database.`, 'Choose a codeidx backup file.');
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('trusted_schema = OFF');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok')
      throw invalid(`${label} is damaged: ${String(check)}.`, 'Use another backup.');
    if (Number(db.pragma('application_id', { simple: true })) !== APPLICATION_ID) {
      throw invalid(`${label} is not a codeidx database.`, 'Choose a codeidx backup file.');
    }
    return Number(db.pragma('user_version', { simple: true }));
  } catch (err) {
    if (err instanceof CodeidxError) throw err;
    throw invalid(
      `${label} cannot be read: ${(err as Error).message}.`,
      'Use another backup.',
      err,
    );
  } finally {
    db?.close();
  }
}

function removeQuietly(...paths: string[]): void {
  for (const p of paths) rmSync(p, { force: true });
}

/** Backups in `dir`, newest first. Only files named as codeidx names them. */
export function listBackups(dir: string): BackupEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => ({ name, m: NAME.exec(name) }))
    .filter((e): e is { name: string; m: RegExpExecArray } => e.m !== null)
    .map(({ name, m }) => {
      const path = join(dir, name);
      const [date, time] = m[1]!.split('T') as [string, string];
      const at = `${date}T${time.replace(/^(\d\d)-(\d\d)-(\d\d)-(\d{3})Z$/, '$1:$2:$3.$4Z')}`;
      return {
        path,
        at,
        version: Number(m[2]),
        encrypted: m[3] !== undefined,
        bytes: statSync(path).size,
      };
    })
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}

/** The newest backup of `dbPath` in its backup folder, with its age. */
export function lastBackup(
  dbPath: string,
  dir?: string,
): { path: string; at: string; ageHours: number } | undefined {
  const newest = listBackups(dir ?? defaultBackupDir(dbPath))[0];
  if (!newest) return undefined;
  return {
    path: newest.path,
    at: newest.at,
    ageHours: (Date.now() - Date.parse(newest.at)) / 3_600_000,
  };
}

/**
 * Writes a consistent copy of the open database with `VACUUM INTO` (readers and other writers
 * carry on), verifies it (quick_check, application_id, schema version), encrypts it when a key
 * is given, and rotates the backup folder. New files are 0600 and the folder 0700. A backup that
 * fails verification is removed, and nothing else is touched.
 */
export function createBackup(db: Connection, options: BackupOptions): BackupResult {
  const t0 = performance.now();
  const logger = options.logger ?? silentLogger;
  const dir = options.out
    ? dirname(options.out)
    : (options.dir ?? defaultBackupDir(options.dbPath));
  const version = Number(db.pragma('user_version', { simple: true }));
  const encrypted = Boolean(options.key);
  const target =
    options.out ??
    join(dir, `codeidx-${fileStamp(options.now)}-v${version}.db${encrypted ? '.enc' : ''}`);
  if (existsSync(target)) {
    throw new CodeidxError('BACKUP_FAILED', `${target} already exists.`, {
      hint: 'Choose another --out file.',
    });
  }
  const plain = encrypted ? join(dir, `.${basename(target)}.plain-${process.pid}`) : target;
  const check = encrypted ? join(dir, `.${basename(target)}.check-${process.pid}`) : undefined;
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    options.onProgress?.({ phase: 'backup', message: `Backing up to ${target}` });
    closeSync(privateFile(plain));
    db.prepare('VACUUM INTO ?').run(plain);
    chmodSync(plain, 0o600);
    options.onProgress?.({ phase: 'verify', message: 'Verifying the backup' });
    if (encrypted) {
      encryptFile(plain, target, options.key!);
      decryptFile(target, check!, options.key!);
      verifyPlain(check!, target);
    } else {
      verifyPlain(plain, target);
    }
  } catch (err) {
    removeQuietly(target, plain, ...(check ? [check] : []));
    const error = toCodeidxError(err, 'Backup failed');
    if (error.code === 'BACKUP_INVALID' || error.code === 'INTERNAL') {
      throw new CodeidxError('BACKUP_FAILED', `${error.message} The backup was not kept.`, {
        hint: 'Run `codeidx health` to check the database, then try again.',
        cause: err,
      });
    }
    throw error;
  } finally {
    if (encrypted) removeQuietly(plain, check!);
  }
  const rotated = options.out ? [] : rotate(dir, options.keep ?? 5);
  for (const path of rotated) logger.info(`Removed an old backup: ${path}`);
  const result = {
    path: target,
    bytes: statSync(target).size,
    encrypted,
    verified: true,
    ms: performance.now() - t0,
    rotated,
  };
  logger.info(`Backup written: ${target}`, { bytes: result.bytes, encrypted });
  return result;
}

function rotate(dir: string, keep: number): string[] {
  const old = listBackups(dir).slice(Math.max(1, keep));
  for (const entry of old) rmSync(entry.path, { force: true });
  return old.map((e) => e.path);
}

/**
 * Checks a backup without changing anything: decrypts it (to a private temporary file) when it
 * is encrypted, then checks it is an undamaged codeidx database. Returns its schema version.
 */
export function verifyBackup(
  file: string,
  options: { key?: string } = {},
): { ok: true; schemaVersion: number } {
  if (!existsSync(file)) throw invalid(`${file} does not exist.`, 'Check the path of the backup.');
  if (!isEncrypted(file)) return { ok: true, schemaVersion: verifyPlain(file, file) };
  if (!options.key) {
    throw invalid(
      `${file} is encrypted.`,
      'Set CODEIDX_BACKUP_KEY (or the key in VS Code) to the passphrase it was made with.',
    );
  }
  const temp = join(tmpdir(), `codeidx-verify-${process.pid}-${Date.now()}.db`);
  try {
    decryptFile(file, temp, options.key);
    return { ok: true, schemaVersion: verifyPlain(temp, file) };
  } finally {
    removeQuietly(temp);
  }
}

/**
 * Replaces the database at `dbPath` with a backup. The backup is copied (or decrypted) beside
 * the database and verified first; only then is the current file moved aside to
 * `<dbPath>.replaced-<time>` (kept, with its WAL) and the copy renamed into place, an atomic
 * step on one file system. If anything fails before that, the database is untouched.
 * Every connection to `dbPath` must be closed first.
 */
export function restoreBackup(options: {
  dbPath: string;
  file: string;
  key?: string;
  logger?: Logger;
  onProgress?: ProgressListener;
}): RestoreResult {
  const { dbPath, file } = options;
  if (!existsSync(file)) throw invalid(`${file} does not exist.`, 'Check the path of the backup.');
  const temp = `${dbPath}.restoring-${process.pid}`;
  try {
    options.onProgress?.({ phase: 'restore', message: `Checking ${file}` });
    if (isEncrypted(file)) {
      if (!options.key) {
        throw invalid(
          `${file} is encrypted.`,
          'Set CODEIDX_BACKUP_KEY (or the key in VS Code) to the passphrase it was made with.',
        );
      }
      decryptFile(file, temp, options.key);
    } else {
      copyFileSync(file, temp);
      chmodSync(temp, 0o600);
    }
    const schemaVersion = verifyPlain(temp, file);
    options.onProgress?.({ phase: 'restore', message: 'Swapping the database' });
    const previous = existsSync(dbPath) ? moveAside(dbPath, 'replaced') : undefined;
    renameSync(temp, dbPath);
    (options.logger ?? silentLogger).info(`Restored ${dbPath} from ${file}`, { previous });
    return { restoredFrom: file, ...(previous ? { previous } : {}), schemaVersion };
  } catch (err) {
    removeQuietly(temp);
    throw toCodeidxError(err, 'Restore failed');
  }
}
