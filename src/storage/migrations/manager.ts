import { APPLICATION_ID, throwIfCancelled, type Connection } from '../database/connection.ts';
import { CodeidxError, toCodeidxError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { newerRefusal } from '../policy.ts';
import type {
  CancelFlag,
  Migration,
  MigrationPlanStep,
  MigrationProblem,
  MigrationRecord,
  MigrationResult,
  MigrationRunResult,
  MigrationStatus,
  ProgressListener,
} from '../types.ts';
import { parseChunks } from './loader.ts';

/** Names of the bookkeeping tables that migration 001 creates. */
export const HISTORY_TABLE = 'schema_migrations';
export const AUDIT_TABLE = 'migration_audit';

export interface RunOptions {
  /** Target version; default the latest for migrate. 0 is a valid target (an empty schema). */
  to?: number;
  dryRun?: boolean;
  onProgress?: ProgressListener;
  cancel?: CancelFlag;
  /**
   * Called inside the write transaction, after the version was read under the lock and only
   * when there are steps to run: the place for the pre-run backup, so that of several
   * processes migrating at once only the one that really migrates takes it.
   */
  beforeSteps?: (plan: readonly MigrationPlanStep[], fromVersion: number) => void;
}

interface Snapshot {
  version: number;
  applied: MigrationRecord[];
}

const REPAIR_CHECKSUMS = 'codeidx repair --accept-checksums';
const REFUSALS = new Set(['DATABASE_NEWER', 'CHECKSUM_MISMATCH', 'SCHEMA_DRIFT']);

/**
 * Plans and runs migrations on one connection. Every run is one `BEGIN IMMEDIATE` transaction:
 * the version is read inside it (so concurrent processes apply each migration exactly once),
 * all steps commit together or not at all, and a crash at any instant leaves the old version.
 * Synchronous on purpose: better-sqlite3 transactions cannot span an `await`.
 */
export class MigrationManager {
  readonly migrations: readonly Migration[];
  private readonly db: Connection;
  private readonly logger: Logger;

  constructor(db: Connection, migrations: readonly Migration[], logger: Logger = silentLogger) {
    this.db = db;
    this.migrations = migrations;
    this.logger = logger;
  }

  get latestVersion(): number {
    return this.migrations.length;
  }

  /** Version, history and problems, read in one snapshot. */
  status(): MigrationStatus {
    const snapshot = this.readInTransaction(() => this.snapshot());
    const appliedVersions = new Set(snapshot.applied.map((r) => r.version));
    return {
      currentVersion: snapshot.version,
      latestVersion: this.latestVersion,
      applied: snapshot.applied,
      pending: this.migrations
        .filter((m) => m.version > snapshot.version && !appliedVersions.has(m.version))
        .map(({ version, name, description, checksum }) => ({
          version,
          name,
          description,
          checksum,
        })),
      problems: this.problems(snapshot),
    };
  }

  /** The steps that would take the database from `from` to `to`. */
  plan(from: number, to: number): MigrationPlanStep[] {
    if (to >= from) {
      return this.migrations
        .filter((m) => m.version > from && m.version <= to)
        .map((m) => ({ version: m.version, name: m.name, direction: 'up', sql: m.up }));
    }
    return this.migrations
      .filter((m) => m.version <= from && m.version > to)
      .reverse()
      .map((m) => ({ version: m.version, name: m.name, direction: 'down', sql: m.down }));
  }

  /** Applies pending migrations up to `to` (default: the latest). */
  migrate(options: RunOptions = {}): MigrationRunResult {
    const to = options.to ?? this.latestVersion;
    this.checkTarget(to);
    return this.run('up', to, options);
  }

  /** Runs down migrations until the schema is at version `to`. */
  rollback(options: RunOptions & { to: number }): MigrationRunResult {
    this.checkTarget(options.to);
    return this.run('down', options.to, options);
  }

  /**
   * Records the current checksums of applied migrations whose files changed on purpose.
   * Both sums go to the audit table. Returns the versions whose checksum was replaced.
   */
  acceptChecksums(): number[] {
    return this.writeTransaction(() => {
      const snapshot = this.snapshot();
      const accepted: number[] = [];
      for (const record of snapshot.applied) {
        const migration = this.migrations[record.version - 1];
        if (!migration || migration.checksum === record.checksum) continue;
        this.db
          .prepare(`UPDATE ${HISTORY_TABLE} SET checksum = ? WHERE version = ?`)
          .run(migration.checksum, record.version);
        this.audit(
          'accept-checksum',
          migration,
          `previous ${record.checksum}; now ${migration.checksum}`,
        );
        accepted.push(record.version);
      }
      return accepted;
    });
  }

  /** Writes an audit row in its own transaction (used for refusals and failures). */
  auditAlone(
    action: string,
    migration: Pick<Migration, 'version' | 'name'> | undefined,
    detail: string,
  ): void {
    try {
      if (!this.tableExists(AUDIT_TABLE)) return;
      this.writeTransaction(() => this.audit(action, migration, detail));
    } catch (err) {
      this.logger.warn('Could not write the audit row', { action, error: String(err) });
    }
  }

  private checkTarget(to: number): void {
    if (!Number.isInteger(to) || to < 0 || to > this.latestVersion) {
      throw new CodeidxError('INVALID_ARGUMENT', `Target version ${to} does not exist.`, {
        hint: `Choose a version from 0 to ${this.latestVersion}.`,
      });
    }
  }

  private run(direction: 'up' | 'down', to: number, options: RunOptions): MigrationRunResult {
    const started = performance.now();
    if (options.dryRun) {
      const snapshot = this.readInTransaction(() => this.snapshot());
      this.refuseOnProblems(snapshot, direction);
      const from = snapshot.version;
      const plan = this.plan(from, direction === 'up' ? Math.max(from, to) : Math.min(from, to));
      return {
        fromVersion: from,
        toVersion: from,
        dryRun: true,
        steps: [],
        plan,
        totalMs: performance.now() - started,
      };
    }

    // Table rebuilds in a migration need foreign keys off; it cannot change inside a transaction.
    this.db.pragma('foreign_keys = OFF');
    const steps: MigrationResult[] = [];
    let current: MigrationPlanStep | undefined;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const snapshot = this.snapshot();
        const from = snapshot.version;
        this.refuseOnProblems(snapshot, direction);
        const plan = this.plan(from, direction === 'up' ? Math.max(from, to) : Math.min(from, to));
        if (plan.length) options.beforeSteps?.(plan, from);
        plan.forEach((step, index) => {
          current = step;
          throwIfCancelled(options.cancel, 'The migration run');
          const t0 = performance.now();
          const label = `${direction === 'up' ? 'Migrating' : 'Rolling back'} ${index + 1}/${plan.length}: ${describe(step.name)}`;
          options.onProgress?.({
            phase: direction === 'up' ? 'migrate' : 'rollback',
            message: label,
            step: index + 1,
            totalSteps: plan.length,
            version: step.version,
            name: step.name,
          });
          this.logger.info(label, { version: step.version });
          const share = 100 / plan.length;
          const given = this.execute(step, index, plan.length, share, options);
          const executionMs = Math.round((performance.now() - t0) * 1000) / 1000;
          const migration = this.migrations[step.version - 1]!;
          if (direction === 'up') {
            this.db
              .prepare(
                `INSERT INTO ${HISTORY_TABLE} (version, name, checksum, applied_at, execution_ms) VALUES (?, ?, ?, ?, ?)`,
              )
              .run(
                step.version,
                step.name,
                migration.checksum,
                new Date().toISOString(),
                Math.round(executionMs),
              );
            this.audit('up', migration, `applied in ${executionMs.toFixed(1)} ms`);
          } else if (this.tableExists(HISTORY_TABLE)) {
            this.db.prepare(`DELETE FROM ${HISTORY_TABLE} WHERE version = ?`).run(step.version);
            this.audit('down', migration, `rolled back in ${executionMs.toFixed(1)} ms`);
          }
          steps.push({
            version: step.version,
            name: step.name,
            direction,
            success: true,
            executionMs,
          });
          // Each step is an equal share of the bar; a populate step has already given part of it.
          options.onProgress?.({
            phase: direction === 'up' ? 'migrate' : 'rollback',
            message: label,
            increment: share - given,
            step: index + 1,
            totalSteps: plan.length,
          });
        });
        current = undefined;
        const target = plan.length
          ? plan[plan.length - 1]!.version - (direction === 'down' ? 1 : 0)
          : from;
        if (plan.length) {
          const violations = this.db.pragma('foreign_key_check') as unknown[];
          if (violations.length) {
            throw new CodeidxError(
              'MIGRATION_FAILED',
              `The migration left ${violations.length} foreign key violation(s).`,
              {
                hint: 'This is a bug in the migration; nothing was changed. Report it with the log.',
                details: { violations: violations.slice(0, 10) },
              },
            );
          }
          this.db.pragma(`user_version = ${target}`);
          // Version 0 is still codeidx's file: the mark stays, so the next open does not call it foreign.
          this.db.pragma(`application_id = ${APPLICATION_ID}`);
        }
        this.db.exec('COMMIT');
        return {
          fromVersion: from,
          toVersion: target,
          dryRun: false,
          steps,
          plan,
          totalMs: performance.now() - started,
        };
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } catch (err) {
      const error = this.failure(err, current);
      if (!current && REFUSALS.has(error.code)) {
        this.logger.error(error.message, { hint: error.hint });
        const version = error.details.refusedVersion as number | undefined;
        this.auditAlone(
          'refused',
          version ? this.migrations[version - 1] : undefined,
          error.message,
        );
      } else if (current) {
        this.logger.error(
          `Migration ${current.version} ${current.direction} failed; the run was rolled back`,
          {
            error: error.message,
          },
        );
        this.auditAlone(
          error.code === 'CANCELLED' ? 'cancelled' : 'failed',
          current,
          error.message,
        );
      }
      throw error;
    } finally {
      this.db.pragma('foreign_keys = ON');
    }
  }

  private failure(err: unknown, step: MigrationPlanStep | undefined): CodeidxError {
    if (err instanceof CodeidxError || !step) return toCodeidxError(err);
    const cause = toCodeidxError(err);
    if (cause.transient || cause.code === 'DISK_FULL' || cause.code === 'READONLY') return cause;
    return new CodeidxError(
      'MIGRATION_FAILED',
      `Migration ${String(step.version).padStart(3, '0')}_${step.name} (${step.direction}) failed: ${cause.message}. The run was rolled back; the database is unchanged.`,
      {
        hint: 'See the log for the SQL error; run `codeidx health` to check the database.',
        cause: err,
      },
    );
  }

  /** Runs one step's SQL; returns how much of the step's progress share its batches reported. */
  private execute(
    step: MigrationPlanStep,
    index: number,
    count: number,
    share: number,
    options: RunOptions,
  ): number {
    let given = 0;
    for (const chunk of parseChunks(step.sql)) {
      if (chunk.kind === 'sql') {
        this.db.exec(chunk.sql);
        continue;
      }
      const total = Number(this.db.prepare(chunk.totalSql).pluck().get() ?? 0);
      const statement = this.db.prepare(chunk.sql);
      let done = 0;
      for (;;) {
        throwIfCancelled(options.cancel, 'The migration run');
        const { changes } = statement.run();
        if (changes === 0) break;
        done += changes;
        // Batches fill 90% of the step's share in proportion to the rows done.
        const increment = total > 0 ? (share * 0.9 * Math.min(changes, total)) / total : 0;
        given += increment;
        options.onProgress?.({
          phase: 'populate',
          message: `${step.direction === 'up' ? 'Migrating' : 'Rolling back'} ${index + 1}/${count}: ${describe(step.name)} (${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} files)`,
          done,
          total,
          step: index + 1,
          totalSteps: count,
          increment,
        });
      }
    }
    return Math.min(given, share);
  }

  private problems(snapshot: Snapshot): MigrationProblem[] {
    const problems: MigrationProblem[] = [];
    if (snapshot.version > this.latestVersion) {
      problems.push({
        kind: 'database-newer',
        version: snapshot.version,
        message: `The database is at schema version ${snapshot.version}, newer than this build knows (${this.latestVersion}).`,
        hint: 'Update codeidx (the extension or the CLI); the database was left as it is.',
      });
    }
    for (const record of snapshot.applied) {
      const migration = this.migrations[record.version - 1];
      if (!migration) {
        if (record.version <= this.latestVersion || snapshot.version <= this.latestVersion) {
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
          hint: `If the change was intended, run \`${REPAIR_CHECKSUMS}\`; otherwise restore the original migration file (reinstall codeidx).`,
        });
      }
    }
    const expected = Math.min(snapshot.version, this.latestVersion);
    const versions = snapshot.applied.map((r) => r.version).filter((v) => v <= this.latestVersion);
    const contiguous = versions.length === expected && versions.every((v, i) => v === i + 1);
    if (!contiguous && snapshot.version <= this.latestVersion) {
      problems.push({
        kind: 'history-mismatch',
        message: `The schema version is ${snapshot.version} but the history lists [${versions.join(', ')}].`,
        hint: 'Run `codeidx repair` to move the database aside and rebuild it.',
      });
    }
    return problems;
  }

  private refuseOnProblems(snapshot: Snapshot, direction: 'up' | 'down'): void {
    const problems = this.problems(snapshot);
    const newer = newerRefusal({ problems });
    if (newer) throw newer;
    const first = problems[0];
    if (!first) return;
    const code = first.kind === 'checksum-mismatch' ? 'CHECKSUM_MISMATCH' : 'SCHEMA_DRIFT';
    throw new CodeidxError(
      code,
      `Refusing to ${direction === 'up' ? 'migrate' : 'roll back'}: ${first.message}`,
      {
        hint: first.hint,
        details: { problems, refusedVersion: first.version },
      },
    );
  }

  private snapshot(): Snapshot {
    const version = Number(this.db.pragma('user_version', { simple: true }));
    const applied = this.tableExists(HISTORY_TABLE)
      ? (this.db
          .prepare(
            `SELECT version, name, checksum, applied_at AS appliedAt, execution_ms AS executionMs FROM ${HISTORY_TABLE} ORDER BY version`,
          )
          .all() as MigrationRecord[])
      : [];
    return { version, applied };
  }

  private tableExists(name: string): boolean {
    return (
      this.db
        .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
        .pluck()
        .get(name) !== undefined
    );
  }

  private audit(
    action: string,
    migration: Pick<Migration, 'version' | 'name'> | undefined,
    detail: string,
  ): void {
    const checksum =
      migration && 'checksum' in migration ? (migration as Migration).checksum : null;
    this.db
      .prepare(
        `INSERT INTO ${AUDIT_TABLE} (at, action, version, name, checksum, detail) VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(
        new Date().toISOString(),
        action,
        migration?.version ?? null,
        migration?.name ?? null,
        checksum,
        detail,
      );
  }

  private readInTransaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    this.db.exec('BEGIN');
    try {
      return fn();
    } finally {
      this.db.exec('COMMIT');
    }
  }

  private writeTransaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }
}

/** `add_fts_index` → `add FTS index`, as a progress message shows it. */
function describe(name: string): string {
  return name.replace(/_/g, ' ').replace(/\bfts\b/g, 'FTS');
}
