/**
 * Checking backups: `verifyBackup` for users, and the checks create and restore share (open an
 * SQLite file safely, check its mark and integrity; decrypt into a private temp file).
 */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { APPLICATION_ID } from '../database/connection.ts';
import { decryptFile, isUsableKey } from './crypto.ts';
import { SET_BACKUP_KEY } from '../fixes.ts';
import { CodeidxError, toCodeidxError } from '../errors.ts';
import { copyPrivate, createPrivateFile, probeHeader, tempName } from '../database/files.ts';
import type { Logger } from '../log.ts';

/** Prefix of the private folders verifyBackup decrypts into, under the OS temp folder. */
export const VERIFY_DIR_PREFIX = 'codeidx-verify-';

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
  const header = probeHeader(path);
  if (!header.encrypted && !(header.kind === 'sqlite' && header.wal)) {
    return {
      ok: true,
      schemaVersion: checkDatabaseFile(path, { full: true, label: path, inPlace: true }),
    };
  }
  const key = header.encrypted ? requireKey(path, options.key) : undefined;
  // The pid in the name lets the next run remove a folder a killed verify left (plaintext).
  const dir = mkdtempSync(join(tmpdir(), `${VERIFY_DIR_PREFIX}${process.pid}-`));
  try {
    chmodSync(dir, 0o700);
    let copy: string;
    if (key !== undefined) {
      copy = decryptToTemp(path, dir, key, [], 'v-');
    } else {
      // A raw copy of a WAL database: opening it in place would leave -wal/-shm files beside it.
      copy = join(dir, 'copy.db');
      copyPrivate(path, copy);
    }
    return { ok: true, schemaVersion: checkDatabaseFile(copy, { full: true, label: path }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Opens an SQLite file and checks it: codeidx's application_id, then `integrity_check` (full)
 * or `quick_check`. Returns its user_version; throws BACKUP_INVALID. A file of our own (a temp
 * copy) is opened read-write and switched to rollback journaling, so no -wal/-shm stay behind;
 * `inPlace` opens someone's file read-only. `trusted_schema` is off: nothing in the file runs.
 */
export function checkDatabaseFile(
  path: string,
  o: { full: boolean; label: string; inPlace?: boolean },
): number {
  const kind = probeHeader(path).kind;
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
        { hint: 'Use another backup.', details: { problems: messages } },
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

/**
 * Decrypts `file` into a new private temp file in `dir` (named with `prefix`, pushed on `temps`
 * before a byte is written so the caller removes it in every outcome) and returns its path.
 */
export function decryptToTemp(
  file: string,
  dir: string,
  key: string,
  temps: string[],
  prefix: string,
): string {
  const temp = tempName(dir, prefix, 'opened');
  temps.push(temp);
  const fd = createPrivateFile(temp);
  try {
    decryptFile(file, fd, key);
  } finally {
    closeSync(fd);
  }
  return temp;
}

/** The key for an encrypted backup, or BACKUP_INVALID saying which variable to set. */
export function requireKey(path: string, key: string | undefined): string {
  if (!isUsableKey(key)) {
    throw new CodeidxError('BACKUP_INVALID', `${path} is encrypted and no key was given.`, {
      hint: 'Set CODEIDX_BACKUP_KEY (CLI) or the backup key in VS Code to the passphrase it was made with.',
      fix: SET_BACKUP_KEY,
      details: { reason: 'no-key' },
    });
  }
  return key;
}

/** BACKUP_INVALID unless `path` is a readable file. */
export function assertReadable(path: string): void {
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
