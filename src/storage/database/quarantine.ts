import { existsSync, renameSync } from 'node:fs';
import { CodeidxError, toCodeidxError } from '../errors.ts';

/** The files SQLite may keep beside a database, moved together with it. */
export const COMPANION_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

/** Why a database file was moved aside; the word becomes part of the new name. */
export type MoveAsideReason = 'corrupt' | 'foreign' | 'drift' | 'repair';

/** `2026-11-28T06-30-00-123Z`: a UTC ISO time to the millisecond that is safe in a file name. */
export function fileStamp(now: Date = new Date()): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

/**
 * Moves a database file and its `-wal`, `-shm` and `-journal` companions (those present) to
 * `<dbPath>.<reason>-<time>` plus the same suffixes, and returns the new path of the main file.
 * Nothing is ever deleted or overwritten: when a target name is taken, `-2`, `-3`… is added.
 * The companions travel with the main file because a `-wal` left behind would be replayed into
 * the new database created at `dbPath`. If one of the renames fails, the ones already done are
 * undone and the error is thrown (READONLY, …): the files are then where they were.
 *
 * The caller has closed every connection to `dbPath` first.
 */
export function moveAside(dbPath: string, reason: MoveAsideReason, now: Date = new Date()): string {
  return moveDatabaseFiles(dbPath, reason, now);
}

/**
 * `moveAside` with any label (restore uses `replaced`). Exported for backup.ts; other callers
 * use `moveAside`, whose reasons are the documented ones.
 */
export function moveDatabaseFiles(dbPath: string, label: string, now: Date = new Date()): string {
  if (!/^[a-z]+$/.test(label)) {
    throw new CodeidxError('INVALID_ARGUMENT', `Not a valid move-aside label: "${label}".`);
  }
  const present = ['', ...COMPANION_SUFFIXES].filter((suffix) => existsSync(dbPath + suffix));
  const base = `${dbPath}.${label}-${fileStamp(now)}`;
  let target = base;
  for (let n = 2; ['', ...COMPANION_SUFFIXES].some((s) => existsSync(target + s)); n++) {
    target = `${base}-${n}`;
  }
  const done: string[] = [];
  try {
    for (const suffix of present) {
      renameSync(dbPath + suffix, target + suffix);
      done.push(suffix);
    }
  } catch (err) {
    for (const suffix of done.reverse()) {
      try {
        renameSync(target + suffix, dbPath + suffix);
      } catch {
        // nothing more can be done; the error below names the file that did not move
      }
    }
    throw toCodeidxError(err, `Cannot move ${dbPath} aside`);
  }
  return target;
}
