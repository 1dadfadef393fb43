import type { Connection } from '../database/connection.ts';
import { CodeidxError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import type {
  Migration,
  MigrationPlanStep,
  MigrationRunResult,
  MigrationStatus,
} from '../types.ts';
import { writeAudit } from './audit.ts';
import { findProblems, readSnapshot, replaceChecksum } from './history.ts';
import { runMigrations, type RunContext, type RunOptions } from './run.ts';
import { planSteps } from './steps.ts';

/**
 * Plans and runs migrations on one connection: status from one snapshot, runs (run.ts) in one
 * `BEGIN IMMEDIATE` transaction each, and the checksum acceptance that repair offers.
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
    const snapshot = this.db.transaction(() => readSnapshot(this.db)).deferred();
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
      problems: findProblems(snapshot, this.migrations),
    };
  }

  /** The steps that would take the database from `from` to `to`. */
  plan(from: number, to: number): MigrationPlanStep[] {
    return planSteps(this.migrations, from, to);
  }

  /** Applies pending migrations up to `to` (default: the latest). */
  migrate(options: RunOptions = {}): MigrationRunResult {
    const to = options.to ?? this.latestVersion;
    this.checkTarget(to);
    return runMigrations(this.context(), 'up', to, options);
  }

  /** Runs down migrations until the schema is at version `to`. */
  rollback(options: RunOptions & { to: number }): MigrationRunResult {
    this.checkTarget(options.to);
    return runMigrations(this.context(), 'down', options.to, options);
  }

  /**
   * Records the current checksums of applied migrations whose files changed on purpose.
   * Both sums go to the audit table. Returns the versions whose checksum was replaced.
   */
  acceptChecksums(): number[] {
    return this.db
      .transaction(() => {
        const accepted: number[] = [];
        for (const record of readSnapshot(this.db).applied) {
          const migration = this.migrations[record.version - 1];
          if (!migration || migration.checksum === record.checksum) continue;
          replaceChecksum(this.db, record.version, migration.checksum);
          writeAudit(
            this.db,
            'accept-checksum',
            migration,
            `previous ${record.checksum}; now ${migration.checksum}`,
          );
          accepted.push(record.version);
        }
        return accepted;
      })
      .immediate();
  }

  private context(): RunContext {
    return { db: this.db, migrations: this.migrations, logger: this.logger };
  }

  private checkTarget(to: number): void {
    if (!Number.isInteger(to) || to < 0 || to > this.latestVersion) {
      throw new CodeidxError('INVALID_ARGUMENT', `Target version ${to} does not exist.`, {
        hint: `Choose a version from 0 to ${this.latestVersion}.`,
      });
    }
  }
}
