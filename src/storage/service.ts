import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createBackup, lastBackup, recoverDatabaseFiles, restoreBackup } from './backup/index.ts';
import {
  APPLICATION_ID,
  openConnection,
  probeFile,
  type Connection,
} from './database/connection.ts';
import { CodeidxError, toCodeidxError } from './errors.ts';
import { CREATE, makeWritable, MIGRATE as MIGRATE_FIX, REPAIR, SET_BACKUP_KEY } from './fixes.ts';
import { checkSearchIndex, optimizeSearchIndex, rebuildSearchIndex } from './index/fts.ts';
import { checkHealth, countSearchIndex, fileSize } from './health/health.ts';
import { importJsonLines } from './index/importer.ts';
import { silentLogger, type Logger } from './log.ts';
import { defaultMigrationsDir, loadMigrations } from './migrations/loader.ts';
import { MigrationManager } from './migrations/manager.ts';
import { describeDrift, findSchemaDrift, type SchemaDrift } from './migrations/schema.ts';
import { newerRefusal, planTarget, type TargetPlan } from './policy.ts';
import { COMPANION_SUFFIXES, moveAside } from './database/quarantine.ts';
import { Repository } from './index/repository.ts';
import { createResilience } from './health/resilience.ts';
import type {
  BackupResult,
  CancelFlag,
  HealthCheck,
  HealthReport,
  ImportReport,
  MigrationRunResult,
  MigrationStatus,
  ProgressListener,
  RepairResult,
  RestoreResult,
  SearchResult,
  SymbolMatch,
} from './types.ts';

const REFUSALS: string[] = ['DATABASE_NEWER', 'SCHEMA_DRIFT', 'CHECKSUM_MISMATCH'];

/** Where a workspace keeps its database, relative to the folder. */
export const DEFAULT_DB_RELATIVE_PATH = join('.vscode', 'codeidx.db');

export interface ServiceOptions {
  /** A folder; the database is `<workspace>/.vscode/codeidx.db`. */
  workspace?: string;
  /** An explicit database file; wins over `workspace`. */
  dbPath?: string;
  /** Run pending migrations on open (default true; never with `readOnly`). */
  migrate?: boolean;
  /**
   * Move a damaged file (or, at the database's own path, another program's) aside and create a
   * new one. Only for callers the user asked to do that: `repair`, and the extension's open,
   * which says so in a notification. Default false: open throws CORRUPT or FOREIGN_DATABASE and
   * leaves the file exactly as it is.
   */
  recover?: boolean;
  /**
   * For read-only commands (status, health, search): the connection is read-only, nothing is
   * created, migrated or moved, and a missing database is NO_DATABASE with the way to create one.
   */
  readOnly?: boolean;
  /** Take a verified backup before a migration run or rollback when the database holds data (default true). */
  autoBackup?: boolean;
  backupKeep?: number;
  backupDir?: string;
  /** Passphrase for AES-256-GCM backups. */
  backupKey?: string;
  logger?: Logger;
  onProgress?: ProgressListener;
  cancel?: CancelFlag;
  busyTimeoutMs?: number;
  /** For tests: another migrations folder. Never taken from the workspace. */
  migrationsDir?: string;
}

export interface OpenNotice {
  kind: 'moved-aside';
  reason: 'corrupt' | 'foreign';
  movedTo: string;
  message: string;
}

/** Resolves the database path from the options: `dbPath`, else `<workspace>/.vscode/codeidx.db`. */
export function resolveDatabasePath(options: Pick<ServiceOptions, 'workspace' | 'dbPath'>): string {
  if (options.dbPath) return resolve(options.dbPath);
  return resolve(options.workspace ?? process.cwd(), DEFAULT_DB_RELATIVE_PATH);
}

/**
 * The database of one workspace: opens it safely, keeps its schema migrated, and offers health,
 * backups, repair, search and import. Synchronous SQLite underneath; methods that may wait for a
 * lock are async because they retry with backoff.
 */
export class DatabaseService {
  readonly path: string;
  readonly notice: OpenNotice | undefined;
  readonly created: boolean;
  /** Why the migration on open was refused (newer schema, drift, changed checksums), if it was. */
  migrationError: CodeidxError | undefined;
  private db: Connection;
  private manager: MigrationManager;
  private repository: Repository | undefined;
  private readonly options: ServiceOptions;
  private readonly logger: Logger;
  private readonly resilience: ReturnType<typeof createResilience>;
  private blocked: CodeidxError | undefined;
  /** Why the file cannot be written (permissions, or opened for reading only), if so. */
  private readonly readOnlyReason: CodeidxError | undefined;

  private constructor(
    path: string,
    db: Connection,
    options: ServiceOptions,
    created: boolean,
    notice?: OpenNotice,
    readOnlyReason?: CodeidxError,
  ) {
    this.path = path;
    this.readOnlyReason = readOnlyReason;
    this.db = db;
    this.options = options;
    this.created = created;
    this.notice = notice;
    this.logger = options.logger ?? silentLogger;
    this.manager = new MigrationManager(
      db,
      loadMigrations(options.migrationsDir ?? defaultMigrationsDir()),
      this.logger,
    );
    this.resilience = createResilience({ logger: this.logger });
    this.checkDrift();
  }

  /**
   * Opens the database and, unless `migrate: false`, migrates it. Creates it (and its folder,
   * mode 0600) when missing, except with `readOnly`. A file that is not codeidx's or is damaged
   * is refused and left as it is, unless `recover` says to move it aside (never deleted): see
   * `notice`. A file the user cannot write is opened read-only: reads work, writes refuse with
   * READONLY and the `chmod` that fixes it.
   */
  static async open(options: ServiceOptions = {}): Promise<DatabaseService> {
    const path = resolveDatabasePath(options);
    const logger = options.logger ?? silentLogger;
    // Leftovers of a killed restore or backup are ours to finish or remove, even before a read.
    recoverDatabaseFiles(path, options);
    const readOnly = options.readOnly === true;
    const probe = probeFile(path);
    if (readOnly && (probe === 'missing' || probe === 'empty')) throw noDatabase(path);
    const created = probe === 'missing' || probe === 'empty';
    let notice: OpenNotice | undefined;
    let db: Connection | undefined;
    let readOnlyReason: CodeidxError | undefined;
    try {
      if (probe === 'not-sqlite') throw notSqlite(path);
      // Identify the file read-only first: a foreign file must not even be switched to WAL.
      if (probe === 'sqlite') identify(openConnection(path, { readonly: true }), path);
      // A read command also names files the user cannot write: health shows the real cause.
      readOnlyReason = readOnly ? (unwritable(path) ?? openedForReading(path)) : unwritable(path);
      db = openConnection(path, {
        busyTimeoutMs: options.busyTimeoutMs,
        readonly: readOnlyReason !== undefined,
      });
    } catch (err) {
      db?.close();
      const error = toCodeidxError(err, `Cannot open ${path}`);
      const movable = error.code === 'CORRUPT' || error.code === 'FOREIGN_DATABASE';
      if (!movable || !options.recover || readOnly) throw error;
      const reason = error.code === 'CORRUPT' ? 'corrupt' : 'foreign';
      const movedTo = moveAside(path, reason);
      const message =
        reason === 'corrupt'
          ? `The codeidx database was damaged; it was moved to ${movedTo} and a new, empty one was created.`
          : `${path} was not a codeidx database; it was moved to ${movedTo} and a new, empty one was created.`;
      logger.warn(message, { cause: error.message });
      notice = { kind: 'moved-aside', reason, movedTo, message };
      readOnlyReason = undefined;
      db = openConnection(path, { busyTimeoutMs: options.busyTimeoutMs });
    }
    const service = new DatabaseService(
      path,
      db,
      options,
      created || notice !== undefined,
      notice,
      readOnlyReason,
    );
    // A file the user cannot write is served for reading; its first write names the fix.
    if (options.migrate !== false && !readOnlyReason) {
      try {
        await service.migrate({ onProgress: options.onProgress, cancel: options.cancel });
      } catch (err) {
        // A refusal (newer schema, drift, changed checksums) leaves the database open for reports.
        const error = toCodeidxError(err);
        if (!REFUSALS.includes(error.code)) {
          service.close();
          throw error;
        }
        service.migrationError = error;
      }
    }
    return service;
  }

  /**
   * The health of whatever is at the database's path, also when it cannot be opened (missing,
   * damaged, another program's): that becomes an unhealthy `open` check with its fix. Read-only:
   * creates, migrates and moves nothing.
   */
  static async healthOf(
    options: ServiceOptions,
    o: { full?: boolean } = {},
  ): Promise<HealthReport> {
    let service: DatabaseService;
    try {
      service = await DatabaseService.open({ ...options, readOnly: true, migrate: false });
    } catch (err) {
      const error = toCodeidxError(err);
      if (!['CORRUPT', 'FOREIGN_DATABASE', 'NO_DATABASE', 'READONLY'].includes(error.code))
        throw error;
      return unopenableReport(resolveDatabasePath(options), error);
    }
    try {
      return service.health(o);
    } finally {
      service.close();
    }
  }

  /**
   * Repair as one operation, for a file that may not even open: a damaged or foreign file is
   * moved aside (kept) and a new database created and migrated; otherwise `repair()` runs.
   * The caller has the user's yes (the CLI's --yes, the extension's dialog).
   */
  static async repairFile(
    options: ServiceOptions,
    o: { acceptChecksums?: boolean } = {},
  ): Promise<RepairResult> {
    const service = await DatabaseService.open({
      ...options,
      readOnly: false,
      migrate: false,
      recover: !o.acceptChecksums,
    });
    try {
      if (service.notice) {
        await service.migrate();
        return {
          action: 'moved-aside',
          movedTo: service.notice.movedTo,
          message: `${service.notice.message} Re-index the workspace to fill it.`,
        };
      }
      return await service.repair(o);
    } finally {
      service.close();
    }
  }

  /**
   * Why writes are refused right now, if they are: the file is read-only, its schema is newer
   * than this build, or it drifted (planted or missing objects).
   */
  get writeBlocked(): CodeidxError | undefined {
    return this.readOnlyReason ?? newerRefusal(this.manager.status()) ?? this.blocked;
  }

  /** Whether the connection is read-only (a read command, or a file the user cannot write). */
  get readOnly(): boolean {
    return this.readOnlyReason !== undefined;
  }

  /** Migration status; a drifted schema is listed among the problems. */
  status(): MigrationStatus {
    const status = this.manager.status();
    if (!this.blocked) return status;
    return {
      ...status,
      problems: [
        ...status.problems,
        {
          kind: 'schema-drift',
          message: this.blocked.message,
          hint: `${this.blocked.hint ?? ''} Fix: \`${REPAIR.cli}\`.`.trim(),
        },
      ],
    };
  }

  /** What `migrateTo(to)` would do and whether it needs the user's yes (see policy.planTarget). */
  planTarget(to?: number): TargetPlan {
    return planTarget(this.manager.status(), to);
  }

  /**
   * Moves the schema to `to` (default: the latest), up or down: the one rule behind the CLI's
   * `migrate --to N` and the extension's Migrate command. Going down removes data, so it needs
   * `confirmed: true` (CONFIRMATION_REQUIRED otherwise) and then is a rollback, backup first.
   */
  async migrateTo(
    o: {
      to?: number;
      dryRun?: boolean;
      confirmed?: boolean;
      onProgress?: ProgressListener;
      cancel?: CancelFlag;
    } = {},
  ): Promise<MigrationRunResult> {
    const plan = this.planTarget(o.to);
    if (plan.direction !== 'down') return this.migrate(o);
    if (o.dryRun) return this.manager.rollback({ to: plan.toVersion, dryRun: true });
    if (!o.confirmed) {
      throw new CodeidxError('CONFIRMATION_REQUIRED', plan.confirm!.question, {
        hint: plan.confirm!.detail,
        details: { plan },
      });
    }
    return this.rollback({ to: plan.toVersion, onProgress: o.onProgress, cancel: o.cancel });
  }

  /** Applies pending migrations up to `to` (default: the latest); never goes down. */
  async migrate(
    o: { to?: number; dryRun?: boolean; onProgress?: ProgressListener; cancel?: CancelFlag } = {},
  ): Promise<MigrationRunResult> {
    if (!o.dryRun) this.assertWritable();
    const target = o.to ?? this.manager.latestVersion;
    let backup: string | undefined;
    const result = await this.resilience.execute(() =>
      this.manager.migrate({
        to: target,
        dryRun: o.dryRun,
        onProgress: o.onProgress,
        cancel: o.cancel,
        beforeSteps: () => {
          backup = this.autoBackup(o.onProgress);
        },
      }),
    );
    if (result.steps.length) this.repository = undefined;
    return backup ? { ...result, backup } : result;
  }

  /** Runs down migrations to version `to`, after a backup. The caller has the user's yes. */
  async rollback(o: {
    to: number;
    onProgress?: ProgressListener;
    cancel?: CancelFlag;
  }): Promise<MigrationRunResult> {
    this.assertWritable();
    let backup: string | undefined;
    const result = await this.resilience.execute(() =>
      this.manager.rollback({
        to: o.to,
        onProgress: o.onProgress,
        cancel: o.cancel,
        beforeSteps: () => {
          backup = this.autoBackup(o.onProgress);
        },
      }),
    );
    if (result.steps.length) this.repository = undefined;
    return backup ? { ...result, backup } : result;
  }

  health(o: { full?: boolean } = {}): HealthReport {
    const writable = this.writableCheck();
    return checkHealth({
      writable,
      db: this.db,
      path: this.path,
      manager: this.manager,
      checkSearchIndex: (db) => this.checkIndex(db, writable.status === 'healthy'),
      lastBackup: this.lastBackup(),
      circuitState: this.resilience.state,
      full: o.full,
      drift: this.checkDrift(),
    });
  }

  async backup(
    o: { out?: string; encrypt?: boolean; onProgress?: ProgressListener } = {},
  ): Promise<BackupResult> {
    if (o.encrypt && !this.options.backupKey) {
      throw new CodeidxError('INVALID_ARGUMENT', 'An encrypted backup needs a key.', {
        hint: 'Set the backup encryption key first (CODEIDX_BACKUP_KEY for the CLI).',
        fix: SET_BACKUP_KEY,
      });
    }
    return this.resilience.execute(() =>
      createBackup(this.db, {
        dbPath: this.path,
        out: o.out,
        dir: this.options.backupDir,
        keep: this.options.backupKeep,
        key:
          o.encrypt || (o.encrypt === undefined && this.options.backupKey)
            ? this.options.backupKey
            : undefined,
        logger: this.logger,
        onProgress: o.onProgress,
      }),
    );
  }

  /** Replaces the database with a verified backup; the replaced file is kept beside it. */
  async restore(file: string, o: { onProgress?: ProgressListener } = {}): Promise<RestoreResult> {
    if (this.readOnlyReason) throw this.readOnlyReason;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
    try {
      return restoreBackup({
        dbPath: this.path,
        file: resolve(file),
        key: this.options.backupKey,
        keep: this.options.backupKeep,
        logger: this.logger,
        onProgress: o.onProgress,
      });
    } finally {
      this.reopen();
    }
  }

  async rebuildFts(
    o: { onProgress?: ProgressListener; cancel?: CancelFlag } = {},
  ): Promise<{ rows: number; ms: number }> {
    this.assertWritable();
    this.requireVersion(2, 'The full-text index');
    return this.resilience.execute(() => rebuildSearchIndex(this.db, o));
  }

  /**
   * The way out of every refusal. With `acceptChecksums`, records the current checksums of
   * applied migrations whose files changed on purpose. Otherwise, when the file is damaged,
   * drifted or its history does not match, moves it aside (never deletes it) and builds a new one.
   */
  async repair(o: { acceptChecksums?: boolean } = {}): Promise<RepairResult> {
    // A read-only file is not damaged: moving it aside would not help, and health says why.
    if (this.readOnlyReason) throw this.readOnlyReason;
    const status = this.manager.status();
    const newer = newerRefusal(status);
    if (newer) throw newer;
    if (o.acceptChecksums) {
      const accepted = this.manager.acceptChecksums();
      return {
        action: accepted.length ? 'checksums-accepted' : 'none',
        acceptedVersions: accepted,
        message: accepted.length
          ? `Accepted the current checksums of migration(s) ${accepted.join(', ')}; both sums are in the audit table.`
          : 'No applied migration has a changed checksum; nothing to accept.',
      };
    }
    const report = this.health();
    const broken = report.checks.filter(
      (c) =>
        c.status === 'unhealthy' &&
        ['integrity', 'foreign-keys', 'schema-objects', 'checksums'].includes(c.name),
    );
    if (broken.length === 0 && !this.blocked) {
      return { action: 'none', message: 'The database is healthy; nothing to repair.' };
    }
    this.db.close();
    const movedTo = moveAside(this.path, 'repair');
    this.reopen();
    await this.migrate();
    const message = `Moved the old database to ${movedTo} (${broken.map((c) => c.name).join(', ')}) and created a new one at schema version ${this.manager.status().currentVersion}. Re-index the workspace to fill it.`;
    this.logger.warn(message);
    return { action: 'moved-aside', movedTo, message };
  }

  /** Routine upkeep: FTS5 optimize, ANALYZE via `PRAGMA optimize`, a WAL checkpoint, and VACUUM on request. */
  async maintenance(
    o: { vacuum?: boolean } = {},
  ): Promise<{ ms: number; checkpointed: boolean; vacuumed: boolean }> {
    this.assertWritable();
    const t0 = performance.now();
    return this.resilience.execute(() => {
      if (this.manager.status().currentVersion >= 2) optimizeSearchIndex(this.db);
      this.db.pragma('optimize=0x10002');
      const [checkpoint] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (o.vacuum) this.db.exec('VACUUM');
      return {
        ms: performance.now() - t0,
        checkpointed: checkpoint?.busy === 0,
        vacuumed: Boolean(o.vacuum),
      };
    });
  }

  search(text: string, o: { limit?: number } = {}): SearchResult[] {
    this.requireVersion(2, 'Search');
    try {
      return this.repo().search(text, o);
    } catch (err) {
      // A planted object can break a query; the drift, with its fix, is the real cause.
      if (this.blocked && !(err instanceof CodeidxError)) {
        throw new CodeidxError(this.blocked.code, this.blocked.message, {
          hint: this.blocked.hint,
          fix: this.blocked.fix,
          details: this.blocked.details,
          cause: err,
        });
      }
      throw err;
    }
  }

  /** Definitions matching `text` (exact name, prefix, camel humps, a word), best first. */
  searchSymbols(text: string, options: { limit?: number } = {}): SymbolMatch[] {
    return this.repo().searchSymbols(text, options);
  }

  /** The repository over this connection, for indexers that write records one by one. */
  repo(): Repository {
    this.requireVersion(this.manager.latestVersion, 'The repository');
    this.repository ??= new Repository(this.db);
    return this.repository;
  }

  async importRecords(
    input: AsyncIterable<string> | NodeJS.ReadableStream,
    o: {
      strict?: boolean;
      batchSize?: number;
      onProgress?: ProgressListener;
      cancel?: CancelFlag;
    } = {},
  ): Promise<ImportReport> {
    this.assertWritable();
    this.requireVersion(this.manager.latestVersion, 'Import');
    return importJsonLines(this.db, input, { ...o, logger: this.logger });
  }

  info(): {
    path: string;
    sizeBytes: number;
    schemaVersion: number;
    latestVersion: number;
    lastBackup?: { path: string; at: string; ageHours: number };
  } {
    const status = this.manager.status();
    const last = this.lastBackup();
    return {
      path: this.path,
      sizeBytes: fileSize(this.path),
      schemaVersion: status.currentVersion,
      latestVersion: status.latestVersion,
      ...(last ? { lastBackup: last } : {}),
    };
  }

  /** The connection, for tests and the benchmark. */
  get connection(): Connection {
    return this.db;
  }

  close(): void {
    if (!this.db.open) return;
    try {
      if (!this.db.readonly && !this.writeBlocked) this.db.pragma('optimize');
    } catch {
      // a busy or read-only file does not stop a close
    }
    this.db.close();
  }

  private lastBackup(): { path: string; at: string; ageHours: number } | undefined {
    return lastBackup(this.path, this.options.backupDir);
  }

  /**
   * A verified backup before a run, when the database holds data and backups are on. Called
   * inside the run's write transaction (so only a process that really migrates takes one);
   * the snapshot is read through a second, read-only connection, which the lock does not block.
   */
  private autoBackup(onProgress: ProgressListener | undefined): string | undefined {
    if (this.options.autoBackup === false || !this.hasData()) return undefined;
    onProgress?.({ phase: 'backup', message: 'Backing up before the migration…' });
    const reader = openConnection(this.path, { readonly: true });
    try {
      return this.backupFrom(reader);
    } finally {
      reader.close();
    }
  }

  private backupFrom(db: Connection): string {
    const result = createBackup(db, {
      dbPath: this.path,
      dir: this.options.backupDir,
      keep: this.options.backupKeep,
      key: this.options.backupKey,
      logger: this.logger,
    });
    this.logger.info(`Backup taken before the migration run: ${result.path}`);
    return result.path;
  }

  private hasData(): boolean {
    const hasFiles = this.db
      .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'files'")
      .pluck()
      .get();
    return (
      hasFiles !== undefined &&
      this.db.prepare('SELECT EXISTS (SELECT 1 FROM files)').pluck().get() === 1
    );
  }

  /**
   * The FTS5 integrity-check needs a writable connection, though it changes nothing. A read
   * command's connection is read-only: when the user can write the file, the check runs on a
   * short-lived second connection that keeps the journal mode; otherwise only the counts.
   */
  private checkIndex(db: Connection, canWrite: boolean): { ok: boolean; message: string } {
    if (!db.readonly) return checkSearchIndex(db);
    if (!canWrite) return countSearchIndex(db);
    const checker = openConnection(this.path, { create: false, journalMode: 'keep' });
    try {
      return checkSearchIndex(checker);
    } finally {
      checker.close();
    }
  }

  /** The `writable` health check: which files the user cannot write, and the chmod that fixes it. */
  private writableCheck(): HealthCheck {
    const denied = this.readOnlyReason?.details.paths as string[] | undefined;
    if (!denied?.length) {
      return { name: 'writable', status: 'healthy', message: 'The database files are writable.' };
    }
    return {
      name: 'writable',
      status: 'unhealthy',
      message: this.readOnlyReason!.message,
      fix: this.readOnlyReason!.fix,
    };
  }

  private reopen(): void {
    this.db = openConnection(this.path, { busyTimeoutMs: this.options.busyTimeoutMs });
    this.manager = new MigrationManager(this.db, this.manager.migrations, this.logger);
    this.repository = undefined;
    this.checkDrift();
  }

  /** Planted or missing schema objects block every write until a repair rebuilds the file. */
  private checkDrift(): SchemaDrift | undefined {
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

  /** Every write calls this first: a read-only file, a newer schema or drift refuses it. */
  private assertWritable(): void {
    const refusal = this.writeBlocked;
    if (refusal) throw refusal;
  }

  private requireVersion(version: number, what: string): void {
    const current = this.manager.status().currentVersion;
    if (current < version) {
      throw new CodeidxError(
        'INVALID_ARGUMENT',
        `${what} needs schema version ${version}; the database is at ${current}.`,
        { hint: 'Migrate the database first.', fix: MIGRATE_FIX },
      );
    }
  }
}

/**
 * Refuses a file that is not codeidx's before any of its schema is used: another program's
 * database (a different application_id, or tables without our mark), or a damaged one.
 */
function identify(db: Connection, path: string): void {
  let applicationId: number;
  let objects: number;
  try {
    applicationId = Number(db.pragma('application_id', { simple: true }));
    // Reading the schema also surfaces a damaged file as SQLITE_CORRUPT / SQLITE_NOTADB. SQLite's
    // own tables (sqlite_stat1 after ANALYZE) stay after `rollback --to 0`: they mark no owner.
    objects = Number(
      db
        .prepare("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        .pluck()
        .get(),
    );
  } finally {
    db.close();
  }
  if (applicationId === APPLICATION_ID || (applicationId === 0 && objects === 0)) return;
  throw new CodeidxError(
    'FOREIGN_DATABASE',
    `${path} is an SQLite database of another program; it was left as it is.`,
    {
      hint: `Point codeidx at another file; or, if codeidx should own this path, repair moves the file aside (it is kept) and creates a new database in ${dirname(path)}.`,
      fix: REPAIR,
    },
  );
}

/** A file without the SQLite header: nothing of codeidx's, so nothing is done to it. */
function notSqlite(path: string): CodeidxError {
  return new CodeidxError(
    'CORRUPT',
    `${path} is not an SQLite database (no SQLite header); it was left as it is.`,
    {
      hint: 'Point codeidx at another file; or, if this is a damaged codeidx database, repair moves it aside (it is kept) and creates a new one.',
      fix: REPAIR,
    },
  );
}

function noDatabase(path: string): CodeidxError {
  return new CodeidxError('NO_DATABASE', `There is no codeidx database at ${path}.`, {
    hint: 'This command only reads; `codeidx migrate` (or opening the folder in VS Code) creates it.',
    fix: CREATE,
    details: { path },
  });
}

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
function unwritable(path: string): CodeidxError | undefined {
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
function openedForReading(path: string): CodeidxError {
  return new CodeidxError('READONLY', `${path} was opened for reading only.`, {
    details: { paths: [] },
  });
}

/** The report of a file that could not be opened at all: one unhealthy `open` check. */
function unopenableReport(path: string, error: CodeidxError): HealthReport {
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
