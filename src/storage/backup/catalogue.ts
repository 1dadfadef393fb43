/**
 * What lies in a backup folder: the backups (by name pattern only), the newest one and its age,
 * rotation, and the pruning of the `.replaced-*` databases restore leaves beside the database.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { toCodeidxError } from '../errors.ts';
import { removeQuietly } from '../database/files.ts';
import type { Logger } from '../log.ts';
import type { LastBackup } from '../types.ts';
import { backupFolder, parseBackupName } from './names.ts';

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
): LastBackup | undefined {
  let newest: BackupInfo | undefined;
  try {
    newest = listBackups(backupFolder(dbPath, dir))[0];
  } catch {
    return undefined; // an unreadable folder shows as "no backup", it does not break a report
  }
  if (!newest) return undefined;
  const ageHours = Math.round(((now.getTime() - Date.parse(newest.at)) / 3_600_000) * 100) / 100;
  return { path: newest.path, at: newest.at, ageHours };
}

/** Keeps the newest `keep` backups in `dir` (the one just written always among them). */
export function rotate(dir: string, keep: number, written: string, logger: Logger): string[] {
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

/**
 * The databases earlier restores replaced (`<db>.replaced-<time>[-n]`, each with its companions),
 * newest first. Their time is in the name, so the order does not depend on file times.
 */
export function listReplaced(dbPath: string): string[] {
  const base = basename(dbPath).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${base}\\.replaced-(\\d{4}-\\d\\d-\\d\\dT[\\d-]{12}Z)(?:-(\\d+))?$`);
  const dir = dirname(dbPath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, m: pattern.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) =>
      a.m[1] === b.m[1] ? Number(b.m[2] ?? 1) - Number(a.m[2] ?? 1) : a.m[1]! < b.m[1]! ? 1 : -1,
    )
    .map((x) => join(dir, x.name));
}

/**
 * Keeps the newest `keep` replaced databases beside `dbPath` (restore's leftovers, like backups)
 * and removes the older ones with their companions. Returns what it removed.
 */
export function pruneReplaced(dbPath: string, keep: number, logger: Logger): string[] {
  const removed = listReplaced(dbPath).slice(keep);
  for (const path of removed) removeQuietly(path);
  if (removed.length) {
    logger.info(`Removed ${removed.length} database(s) replaced by earlier restores`, { removed });
  }
  return removed;
}
