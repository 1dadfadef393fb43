import { openConnection, type Connection } from '../database/connection.ts';
import { CodeidxError } from '../errors.ts';
import { MIGRATE, REPAIR } from '../fixes.ts';
import { createResilience } from '../health/resilience.ts';
import { Repository } from '../index/repository.ts';
import { silentLogger, type Logger } from '../log.ts';
import { defaultMigrationsDir, loadMigrations } from '../migrations/loader.ts';
import { MigrationManager } from '../migrations/manager.ts';
import { describeDrift, findSchemaDrift, type SchemaDrift } from '../migrations/schema.ts';
import { newerRefusal } from '../policy.ts';
import type { ServiceOptions } from './options.ts';

/**
 * What every operation of the service works on: the open connection and its migration manager,
 * the retry policy, and the guards that refuse writes (read-only file, newer schema, drift).
 * The service's modules (migrate, health, backup, repair, maintenance, reads) take this.
 */
export class ServiceState {
  readonly path: string;
  readonly options: ServiceOptions;
  readonly logger: Logger;
  readonly resilience: ReturnType<typeof createResilience>;
  /** Why the file cannot be written (permissions, or opened for reading only), if so. */
  readonly readOnlyReason: CodeidxError | undefined;
  db: Connection;
  manager: MigrationManager;
  /** Planted or missing schema objects, as a refusal; set by `checkDrift`. */
  blocked: CodeidxError | undefined;
  private repository: Repository | undefined;

  constructor(
    path: string,
    db: Connection,
    options: ServiceOptions,
    readOnlyReason: CodeidxError | undefined,
  ) {
    this.path = path;
    this.db = db;
    this.options = options;
    this.readOnlyReason = readOnlyReason;
    this.logger = options.logger ?? silentLogger;
    this.manager = new MigrationManager(
      db,
      loadMigrations(options.migrationsDir ?? defaultMigrationsDir()),
      this.logger,
    );
    this.resilience = createResilience({ logger: this.logger });
    this.checkDrift();
  }

  /** Why writes are refused right now: a read-only file, a newer schema, or drift. */
  get writeBlocked(): CodeidxError | undefined {
    return this.readOnlyReason ?? newerRefusal(this.manager.status()) ?? this.blocked;
  }

  /** Every write calls this first. */
  assertWritable(): void {
    const refusal = this.writeBlocked;
    if (refusal) throw refusal;
  }

  /** INVALID_ARGUMENT, with the migrate fix, when the schema is older than `version`. */
  requireVersion(version: number, what: string): void {
    const current = this.manager.status().currentVersion;
    if (current < version) {
      throw new CodeidxError(
        'INVALID_ARGUMENT',
        `${what} needs schema version ${version}; the database is at ${current}.`,
        { hint: 'Migrate the database first.', fix: MIGRATE },
      );
    }
  }

  /** The repository over this connection (schema at the latest version). */
  repo(): Repository {
    this.requireVersion(this.manager.latestVersion, 'The repository');
    this.repository ??= new Repository(this.db);
    return this.repository;
  }

  /** After the schema changed: the next `repo()` prepares its statements anew. */
  schemaChanged(): void {
    this.repository = undefined;
  }

  /** Opens the file at `path` again (after a restore or a repair replaced it). */
  reopen(): void {
    this.db = openConnection(this.path, { busyTimeoutMs: this.options.busyTimeoutMs });
    this.manager = new MigrationManager(this.db, this.manager.migrations, this.logger);
    this.repository = undefined;
    this.checkDrift();
  }

  /** Planted or missing schema objects block every write until a repair rebuilds the file. */
  checkDrift(): SchemaDrift | undefined {
    const drift = findSchemaDrift(this.db, this.manager.migrations);
    this.blocked = drift
      ? new CodeidxError(
          'SCHEMA_DRIFT',
          `${describeDrift(drift)} Writes are blocked so that nothing foreign runs.`,
          {
            hint: 'Repair moves the file aside (it is kept) and rebuilds it.',
            fix: REPAIR,
            details: { drift },
          },
        )
      : undefined;
    if (this.blocked) this.logger.error(this.blocked.message, { hint: this.blocked.hint });
    return drift;
  }
}
