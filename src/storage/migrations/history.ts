/**
 * The history table and what it says: the version and applied migrations read in one snapshot,
 * the problems they show against this build's migrations, and the refusal those problems cause.
 */
import type { Connection } from '../database/connection.ts';
import { CodeidxError, type ErrorCode } from '../errors.ts';
import { ACCEPT_CHECKSUMS } from '../fixes.ts';
import { newerRefusal } from '../policy.ts';
import type { Migration, MigrationProblem, MigrationRecord } from '../types.ts';

/** The history table that migration 001 creates: one row per applied migration. */
export const HISTORY_TABLE = 'schema_migrations';

/**
 * The codes a run refuses with before any step runs, because of what the history says (a newer
 * schema, changed checksums, a history or schema that does not match). They leave the database as
 * it is: the service keeps a database open for reports when its migration on open is refused.
 */
export const MIGRATION_REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'DATABASE_NEWER',
  'CHECKSUM_MISMATCH',
  'SCHEMA_DRIFT',
]);

/** The schema version and the history rows, as read together in one transaction. */
export interface Snapshot {
  version: number;
  applied: MigrationRecord[];
}

/** Whether a table of this name exists (the bookkeeping tables are gone at version 0). */
export function tableExists(db: Connection, name: string): boolean {
  return (
    db
      .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
      .pluck()
      .get(name) !== undefined
  );
}

/** Reads the version and the history; the caller holds the transaction that makes it one snapshot. */
export function readSnapshot(db: Connection): Snapshot {
  const version = Number(db.pragma('user_version', { simple: true }));
  const applied = tableExists(db, HISTORY_TABLE)
    ? (db
        .prepare(
          `SELECT version, name, checksum, applied_at AS appliedAt, execution_ms AS executionMs FROM ${HISTORY_TABLE} ORDER BY version`,
        )
        .all() as MigrationRecord[])
    : [];
  return { version, applied };
}

/** What is wrong with the history against this build's migrations: nothing, when empty. */
export function findProblems(
  snapshot: Snapshot,
  migrations: readonly Migration[],
): MigrationProblem[] {
  const latest = migrations.length;
  const problems: MigrationProblem[] = [];
  if (snapshot.version > latest) {
    problems.push({
      kind: 'database-newer',
      version: snapshot.version,
      message: `The database is at schema version ${snapshot.version}, newer than this build knows (${latest}).`,
      hint: 'Update codeidx (the extension or the CLI); the database was left as it is.',
    });
  }
  for (const record of snapshot.applied) {
    const migration = migrations[record.version - 1];
    if (!migration) {
      if (record.version <= latest || snapshot.version <= latest) {
        problems.push({
          kind: 'unknown-applied',
          version: record.version,
          message: `The history lists migration ${record.version} (${record.name}), which this build does not have.`,
          hint: 'Update codeidx, or run `codeidx repair` to rebuild the database.',
        });
      }
      continue;
    }
    if (migration.name !== record.name) {
      problems.push({
        kind: 'history-mismatch',
        version: record.version,
        message: `Migration ${record.version} is "${record.name}" in the database but "${migration.name}" in this build.`,
        hint: 'Run `codeidx repair` to move the database aside and rebuild it.',
      });
    } else if (migration.checksum !== record.checksum) {
      problems.push({
        kind: 'checksum-mismatch',
        version: record.version,
        message: `Migration ${String(record.version).padStart(3, '0')}_${record.name} changed after it was applied: recorded ${record.checksum}, file ${migration.checksum}.`,
        hint: `If the change was intended, run \`${ACCEPT_CHECKSUMS.cli}\`; otherwise restore the original migration file (reinstall codeidx).`,
      });
    }
  }
  const expected = Math.min(snapshot.version, latest);
  const versions = snapshot.applied.map((r) => r.version).filter((v) => v <= latest);
  const contiguous = versions.length === expected && versions.every((v, i) => v === i + 1);
  if (!contiguous && snapshot.version <= latest) {
    problems.push({
      kind: 'history-mismatch',
      message: `The schema version is ${snapshot.version} but the history lists [${versions.join(', ')}].`,
      hint: 'Run `codeidx repair` to move the database aside and rebuild it.',
    });
  }
  return problems;
}

/** Throws the refusal (one of MIGRATION_REFUSALS) when the history has a problem. */
export function refuseOnProblems(
  snapshot: Snapshot,
  migrations: readonly Migration[],
  direction: 'up' | 'down',
): void {
  const problems = findProblems(snapshot, migrations);
  const newer = newerRefusal({ problems });
  if (newer) throw newer;
  const first = problems[0];
  if (!first) return;
  const code = first.kind === 'checksum-mismatch' ? 'CHECKSUM_MISMATCH' : 'SCHEMA_DRIFT';
  throw new CodeidxError(
    code,
    `Refusing to ${direction === 'up' ? 'migrate' : 'roll back'}: ${first.message}`,
    { hint: first.hint, details: { problems, refusedVersion: first.version } },
  );
}

/** Records an applied migration (inside the run's transaction). */
export function recordApplied(db: Connection, migration: Migration, executionMs: number): void {
  db.prepare(
    `INSERT INTO ${HISTORY_TABLE} (version, name, checksum, applied_at, execution_ms) VALUES (?, ?, ?, ?, ?)`,
  ).run(
    migration.version,
    migration.name,
    migration.checksum,
    new Date().toISOString(),
    Math.round(executionMs),
  );
}

/**
 * Forgets a rolled-back migration. Returns false when the history table is gone (the down step
 * of migration 001 drops it), so there is nothing to forget and nowhere to audit.
 */
export function recordUndone(db: Connection, version: number): boolean {
  if (!tableExists(db, HISTORY_TABLE)) return false;
  db.prepare(`DELETE FROM ${HISTORY_TABLE} WHERE version = ?`).run(version);
  return true;
}

/** Replaces the recorded checksum of an applied migration. */
export function replaceChecksum(db: Connection, version: number, checksum: string): void {
  db.prepare(`UPDATE ${HISTORY_TABLE} SET checksum = ? WHERE version = ?`).run(checksum, version);
}
