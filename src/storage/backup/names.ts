/**
 * The names backups, restores and their temp files go by. Backups:
 * `<folder>/codeidx-<UTC time to the ms, e.g. 2026-11-28T06-30-00-123Z>-v<schema>.db`, `.db.enc`
 * when encrypted; the default folder is `codeidx-backups/` beside the database. Work in progress:
 * `.codeidx-backup-<pid>-<random>.<tag>.tmp` (backups) and `.<db name>.restore-<pid>-<random>.<tag>.tmp`
 * (restores, and every plaintext temp of an encrypted backup, which lives beside the database).
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileStamp } from '../database/quarantine.ts';

/** Folder name, beside the database, that holds its backups by default. */
export const BACKUP_DIR_NAME = 'codeidx-backups';
/** How many backups rotation keeps by default (and how many `.replaced-*` restore leaves). */
export const DEFAULT_KEEP = 5;
/** Prefix of backup temp files in a backup folder. */
export const BACKUP_TEMP_PREFIX = '.codeidx-backup-';
/** Temp files older than this are removed even when the pid in their name still runs. */
export const STALE_TEMP_MS = 60 * 60 * 1000;

const NAME_PATTERN = /^codeidx-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)-v(\d+)\.db(\.enc)?$/;

/**
 * The folder that holds a database's backups: `dir` when the user chose one, else
 * `<dirname(dbPath)>/codeidx-backups`. The one rule for the core, the CLI and the extension.
 */
export function backupFolder(dbPath: string, dir?: string): string {
  return dir === undefined ? join(dirname(resolve(dbPath)), BACKUP_DIR_NAME) : resolve(dir);
}

/** Prefix of the temp files a restore (or an encrypted backup's plaintext) leaves beside `dbPath`. */
export function restoreTempPrefix(dbPath: string): string {
  return `.${basename(dbPath)}.restore-`;
}

/** The file that records a restore between its renames (see restore.ts). */
export function restoreIntentPath(dbPath: string): string {
  return join(dirname(dbPath), `.${basename(dbPath)}.restore-intent.json`);
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

/** A file name for a new backup; a taken time moves on by a millisecond, keeping the order. */
export function uniqueName(dir: string, at: Date, version: number, encrypted: boolean): string {
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
