/** The health report of an open database, and of a file that could not be opened at all. */
import { lastBackup } from '../backup/index.ts';
import { openConnection, type Connection } from '../database/connection.ts';
import type { CodeidxError, ErrorCode } from '../errors.ts';
import { checkHealth, countSearchIndex, fileSize } from '../health/health.ts';
import { checkSearchIndex } from '../index/fts.ts';
import type { HealthReport, LastBackup } from '../types.ts';
import { writableCheck } from './access.ts';
import type { ServiceState } from './state.ts';

/** Why a file cannot be opened that its health report shows (as one unhealthy `open` check). */
export const UNOPENABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CORRUPT',
  'FOREIGN_DATABASE',
  'NO_DATABASE',
  'READONLY',
]);

/** Every check, each with its fix; `full` runs integrity_check instead of quick_check. */
export function health(state: ServiceState, o: { full?: boolean }): HealthReport {
  const writable = writableCheck(state.readOnlyReason);
  return checkHealth({
    writable,
    db: state.db,
    path: state.path,
    manager: state.manager,
    checkSearchIndex: (db) => checkIndex(state.path, db, writable.status === 'healthy'),
    lastBackup: newestBackup(state),
    circuitState: state.resilience.state,
    full: o.full,
    drift: state.checkDrift(),
  });
}

/** The newest backup in the database's backup folder, with its age. */
export function newestBackup(state: ServiceState): LastBackup | undefined {
  return lastBackup(state.path, state.options.backupDir);
}

/**
 * The FTS5 integrity-check needs a writable connection, though it changes nothing. A read
 * command's connection is read-only: when the user can write the file, the check runs on a
 * short-lived second connection that keeps the journal mode; otherwise only the counts.
 */
function checkIndex(
  path: string,
  db: Connection,
  canWrite: boolean,
): { ok: boolean; message: string } {
  if (!db.readonly) return checkSearchIndex(db);
  if (!canWrite) return countSearchIndex(db);
  const checker = openConnection(path, { create: false, journalMode: 'keep' });
  try {
    return checkSearchIndex(checker);
  } finally {
    checker.close();
  }
}

/** The report of a file that could not be opened at all: one unhealthy `open` check. */
export function unopenableReport(path: string, error: CodeidxError): HealthReport {
  return {
    status: 'unhealthy',
    path,
    checks: [
      {
        name: 'open',
        status: 'unhealthy',
        message: error.hint ? `${error.message} ${error.hint}` : error.message,
        ...(error.fix ? { fix: error.fix } : {}),
      },
    ],
    schemaVersion: 0,
    latestVersion: 0,
    sizeBytes: fileSize(path),
    checkedAt: new Date().toISOString(),
  };
}
