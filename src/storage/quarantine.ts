import { existsSync, renameSync } from 'node:fs';
import { toCodeidxError } from './errors.ts';

const COMPANIONS = ['-wal', '-shm', '-journal'];

/** `2026-11-28T06-30-00-123Z`: an ISO time that is safe in a file name. */
export function fileStamp(now: Date = new Date()): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

/**
 * Moves a database file and its `-wal`, `-shm` and `-journal` companions to
 * `<path>.<reason>-<time>` (adding `-2`, `-3`… rather than overwrite anything), never deleting
 * a byte. Returns the new path of the main file. The caller has closed its connections.
 */
export function moveAside(
  path: string,
  reason: 'corrupt' | 'foreign' | 'drift' | 'repair' | 'replaced',
  now: Date = new Date(),
): string {
  const base = `${path}.${reason}-${fileStamp(now)}`;
  let target = base;
  for (let n = 2; [target, ...COMPANIONS.map((s) => target + s)].some((p) => existsSync(p)); n++)
    target = `${base}-${n}`;
  try {
    if (existsSync(path)) renameSync(path, target);
    for (const suffix of COMPANIONS)
      if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  } catch (err) {
    throw toCodeidxError(err, `Cannot move ${path} aside`);
  }
  return target;
}
