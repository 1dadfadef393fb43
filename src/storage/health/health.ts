import { statSync } from 'node:fs';
import type { Connection } from '../database/connection.ts';
import type { MigrationManager } from '../migrations/manager.ts';
import { describeDrift, type SchemaDrift } from '../migrations/schema.ts';
import { ACCEPT_CHECKSUMS, BACKUP, MIGRATE, REBUILD_FTS as REBUILD, REPAIR } from '../fixes.ts';
import type { HealthCheck, HealthReport, HealthState, LastBackup } from '../types.ts';

export interface HealthInputs {
  db: Connection;
  path: string;
  manager: MigrationManager;
  /** Runs the FTS5 integrity check; absent before migration 002. */
  checkSearchIndex?: (db: Connection) => { ok: boolean; message: string };
  lastBackup?: LastBackup | undefined;
  /** A backup older than this many days makes the report degraded (default 30). */
  backupMaxAgeDays?: number;
  circuitState?: 'closed' | 'open' | 'half-open';
  /** integrity_check instead of quick_check: slower, also checks index content. */
  full?: boolean;
  /** The schema drift the caller found (findSchemaDrift), undefined when the schema matches. */
  drift: SchemaDrift | undefined;
  /** Whether the user can write the files (the caller's access check), first in the report. */
  writable?: HealthCheck;
}

function rowsText(rows: unknown[]): string {
  return rows
    .slice(0, 3)
    .map((r) => (typeof r === 'object' && r ? Object.values(r).join(' ') : String(r)))
    .join('; ');
}

/**
 * Checks a database and says, for each finding, what fixes it. Any unhealthy check makes the
 * report unhealthy; otherwise any degraded one makes it degraded.
 */
export function checkHealth(inputs: HealthInputs): HealthReport {
  const { db, manager } = inputs;
  const checks: HealthCheck[] = [];
  const add = (check: HealthCheck): void => {
    checks.push(check);
  };
  if (inputs.writable) add(inputs.writable);

  const integrity = db.pragma(inputs.full ? 'integrity_check' : 'quick_check', {
    simple: false,
  }) as {
    [k: string]: string;
  }[];
  const integrityLines = integrity.map((r) => Object.values(r)[0]);
  add(
    integrityLines.length === 1 && integrityLines[0] === 'ok'
      ? {
          name: 'integrity',
          status: 'healthy',
          message: `${inputs.full ? 'integrity_check' : 'quick_check'}: ok`,
        }
      : {
          name: 'integrity',
          status: 'unhealthy',
          message: `The file is damaged: ${integrityLines.slice(0, 3).join('; ')}`,
          fix: REPAIR,
        },
  );

  const fkViolations = db.pragma('foreign_key_check') as unknown[];
  add(
    fkViolations.length === 0
      ? { name: 'foreign-keys', status: 'healthy', message: 'No foreign key violations.' }
      : {
          name: 'foreign-keys',
          status: 'unhealthy',
          message: `${fkViolations.length} foreign key violation(s): ${rowsText(fkViolations)}`,
          fix: REPAIR,
        },
  );

  const status = manager.status();
  const newer = status.problems.find((p) => p.kind === 'database-newer');
  if (newer) {
    add({ name: 'schema-version', status: 'unhealthy', message: `${newer.message} ${newer.hint}` });
  } else if (status.pending.length) {
    add({
      name: 'schema-version',
      status: 'degraded',
      message: `Schema version ${status.currentVersion} of ${status.latestVersion}: ${status.pending.length} migration(s) pending.`,
      fix: MIGRATE,
    });
  } else {
    add({
      name: 'schema-version',
      status: 'healthy',
      message: `Schema version ${status.currentVersion} (latest).`,
    });
  }

  const checksumProblems = status.problems.filter((p) => p.kind !== 'database-newer');
  add(
    checksumProblems.length === 0
      ? { name: 'checksums', status: 'healthy', message: 'Applied migrations match this build.' }
      : {
          name: 'checksums',
          status: 'unhealthy',
          message: checksumProblems.map((p) => p.message).join(' '),
          fix: checksumProblems.every((p) => p.kind === 'checksum-mismatch')
            ? ACCEPT_CHECKSUMS
            : REPAIR,
        },
  );

  const drift = inputs.drift;
  add(
    drift
      ? {
          name: 'schema-objects',
          status: 'unhealthy',
          message: `${describeDrift(drift)} Writes are blocked.`,
          fix: REPAIR,
        }
      : {
          name: 'schema-objects',
          status: 'healthy',
          message: 'Schema objects match the migrations.',
        },
  );

  if (inputs.checkSearchIndex && status.currentVersion >= 2 && !drift) {
    const fts = inputs.checkSearchIndex(db);
    add(
      fts.ok
        ? { name: 'fts', status: 'healthy', message: fts.message }
        : { name: 'fts', status: 'degraded', message: fts.message, fix: REBUILD },
    );
  }

  const maxAgeDays = inputs.backupMaxAgeDays ?? 30;
  if (!inputs.lastBackup) {
    add({ name: 'backup-age', status: 'healthy', message: 'No backup yet.', fix: BACKUP });
  } else if (inputs.lastBackup.ageHours > maxAgeDays * 24) {
    add({
      name: 'backup-age',
      status: 'degraded',
      message: `The last backup is ${Math.round(inputs.lastBackup.ageHours / 24)} days old.`,
      fix: BACKUP,
    });
  } else {
    add({
      name: 'backup-age',
      status: 'healthy',
      message: `Last backup ${formatAge(inputs.lastBackup.ageHours)} ago.`,
    });
  }

  if (inputs.circuitState && inputs.circuitState !== 'closed') {
    add({
      name: 'circuit',
      status: 'degraded',
      message: 'Recent operations kept failing; codeidx is pausing before it tries again.',
    });
  }

  return {
    status: worst(checks.map((c) => c.status)),
    path: inputs.path,
    checks,
    schemaVersion: status.currentVersion,
    latestVersion: status.latestVersion,
    sizeBytes: fileSize(inputs.path),
    ...(inputs.lastBackup ? { lastBackup: inputs.lastBackup } : {}),
    checkedAt: new Date().toISOString(),
  };
}

/**
 * The part of the index check a read-only file allows: one index row per file. FTS5's
 * integrity-check is an INSERT, and its "readonly" failure would say nothing about the index.
 */
export function countSearchIndex(db: Connection): { ok: boolean; message: string } {
  const files = Number(db.prepare('SELECT count(*) FROM files').pluck().get());
  const rows = Number(db.prepare('SELECT count(*) FROM search_index').pluck().get());
  return rows === files
    ? {
        ok: true,
        message: `Full-text index has a row for each of the ${files} files (its integrity check needs write access).`,
      }
    : { ok: false, message: `The full-text index has ${rows} rows for ${files} files.` };
}

/** Unhealthy beats degraded beats healthy. */
export function worst(states: HealthState[]): HealthState {
  if (states.includes('unhealthy')) return 'unhealthy';
  if (states.includes('degraded')) return 'degraded';
  return 'healthy';
}

/** The database file plus its WAL, as the user's disk sees it. */
export function fileSize(path: string): number {
  let total = 0;
  for (const suffix of ['', '-wal']) {
    try {
      total += statSync(path + suffix).size;
    } catch {
      // a missing WAL is normal
    }
  }
  return total;
}

function formatAge(hours: number): string {
  if (hours < 1) return `${Math.max(1, Math.round(hours * 60))} min`;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} days`;
}
