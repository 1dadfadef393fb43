/**
 * Temp files a killed backup, verify or restore leaves behind (a decrypted, plaintext copy among
 * them). Each name carries its writer's pid: a file whose writer no longer runs is removed at
 * once; one whose writer still runs (a backup in progress elsewhere) only when over an hour old.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive, tempOwner } from '../database/files.ts';
import type { Logger } from '../log.ts';
import { STALE_TEMP_MS } from './names.ts';
import { VERIFY_DIR_PREFIX } from './verify.ts';

/** `.tmp` plus the journal SQLite may write beside it (VACUUM INTO leaves `.tmp-journal`). */
const TEMP_END = /\.tmp(-journal|-wal|-shm)?$/;

/** Whether a leftover named with `prefix` may go: its writer is gone, or it is over an hour old. */
function abandoned(path: string, name: string, prefix: string, now: number): boolean {
  const owner = tempOwner(name, prefix);
  if (owner !== undefined && owner !== process.pid && !processAlive(owner)) return true;
  return now - statSync(path).mtimeMs > STALE_TEMP_MS;
}

/**
 * Removes the abandoned temp files in `dir` whose names start with one of `prefixes`, logging
 * each; returns their paths. A missing folder has none; files that vanish meanwhile are skipped.
 */
export function removeLeftoverTemps(dir: string, prefixes: string[], logger: Logger): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const now = Date.now();
  const removed: string[] = [];
  for (const name of names) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    if (prefix === undefined || !TEMP_END.test(name)) continue;
    const path = join(dir, name);
    try {
      if (!abandoned(path, name, prefix, now)) continue;
      rmSync(path, { force: true });
      removed.push(path);
      logger.info(`Removed a temp file left by an interrupted backup or restore: ${path}`);
    } catch {
      // another process removed it
    }
  }
  return removed;
}

/** Removes the private folders a killed `verifyBackup` left in the OS temp folder. */
export function removeLeftoverVerifyDirs(logger: Logger, base: string = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(base).filter((n) => n.startsWith(VERIFY_DIR_PREFIX));
  } catch {
    return [];
  }
  const now = Date.now();
  const removed: string[] = [];
  for (const name of names) {
    const path = join(base, name);
    try {
      if (!abandoned(path, name, VERIFY_DIR_PREFIX, now)) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
      logger.info(`Removed a folder left by an interrupted backup check: ${path}`);
    } catch {
      // not ours to worry about
    }
  }
  return removed;
}
