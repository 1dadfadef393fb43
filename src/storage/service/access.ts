/** Whether the user may write the database files, and the chmod that fixes it when not. */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { COMPANION_SUFFIXES } from '../database/quarantine.ts';
import { CodeidxError } from '../errors.ts';
import { makeWritable } from '../fixes.ts';
import type { HealthCheck } from '../types.ts';

/** The files SQLite writes for a WAL database: the file itself and its companions present. */
function databaseFiles(path: string): string[] {
  return [path, ...COMPANION_SUFFIXES.map((s) => path + s).filter((p) => existsSync(p))];
}

/** Whether this process may write `path` (an access check, as the kernel decides it). */
function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why the database cannot be opened for writing, if it cannot: the file or a companion the
 * user may not write (a 0400 `-shm` left behind keeps writes failing after the file is fixed),
 * or a folder where the missing `-wal` and `-shm` cannot be created.
 */
export function unwritable(path: string): CodeidxError | undefined {
  if (!existsSync(path)) return undefined;
  const denied = databaseFiles(path).filter((p) => !canWrite(p));
  const folder = dirname(path);
  const missing = ['-wal', '-shm'].some((s) => !existsSync(path + s));
  if (missing && !canWrite(folder)) denied.push(folder);
  if (!denied.length) return undefined;
  return new CodeidxError(
    'READONLY',
    `The database is read-only for you: ${denied.join(', ')} ${denied.length === 1 ? 'is' : 'are'} not writable. Reads work; writes are refused.`,
    {
      hint: 'Make them writable (the file is not damaged; repair would not help).',
      fix: makeWritable(denied),
      details: { paths: denied },
    },
  );
}

/** The reason writes are refused on a connection a read-only command opened. */
export function openedForReading(path: string): CodeidxError {
  return new CodeidxError('READONLY', `${path} was opened for reading only.`, {
    details: { paths: [] },
  });
}

/** The `writable` health check: which files the user cannot write, and the chmod that fixes it. */
export function writableCheck(readOnlyReason: CodeidxError | undefined): HealthCheck {
  const denied = readOnlyReason?.details.paths as string[] | undefined;
  if (!readOnlyReason || !denied?.length) {
    return { name: 'writable', status: 'healthy', message: 'The database files are writable.' };
  }
  return {
    name: 'writable',
    status: 'unhealthy',
    message: readOnlyReason.message,
    fix: readOnlyReason.fix,
  };
}
