import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createBackup, lastBackup, recoverDatabaseFiles, restoreBackup } from './backup.ts';
import { APPLICATION_ID, openConnection, probeFile, type Connection } from './connection.ts';
import { CodeidxError, toCodeidxError } from './errors.ts';
import { checkSearchIndex, optimizeSearchIndex, rebuildSearchIndex } from './fts.ts';
import { checkHealth, fileSize } from './health.ts';
import { importJsonLines } from './importer.ts';
import { silentLogger, type Logger } from './log.ts';
import { defaultMigrationsDir, loadMigrations } from './migrations/loader.ts';
import { MigrationManager } from './migrations/manager.ts';
import { describeDrift, findSchemaDrift, type SchemaDrift } from './migrations/schema.ts';
import { moveAside } from './quarantine.ts';
import { Repository } from './repository.ts';
import { createResilience } from './resilience.ts';
import type {
  BackupResult,
  CancelFlag,
  HealthReport,
  ImportReport,
  MigrationRunResult,
  MigrationStatus,
  ProgressListener,
  RepairResult,
  RestoreResult,
  SearchResult,
} from './types.ts';

const REFUSALS: string[] = ['DATABASE_NEWER', 'SCHEMA_DRIFT', 'CHECKSUM_MISMATCH'];

/** Where a workspace keeps its database, relative to the folder. */
export const DEFAULT_DB_RELATIVE_PATH = join('.vscode', 'codeidx.db');

export interface ServiceOptions {
  /** A folder; the database is `<workspace>/.vscode/codeidx.db`. */
  workspace?: string;
  /** An explicit database file; wins over `workspace`. */
  dbPath?: string;
  /** Run pending migrations on open (default true). */
  migrate?: boolean;
  /**
   * Move a corrupt or foreign file aside and create a new one (default true). With false, open
   * throws CORRUPT or FOREIGN_DATABASE and leaves the file alone (for read-only reports).
   */
  recover?: boolean;
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

  private constructor(
    path: string,
    db: Connection,
    options: ServiceOptions,
    created: boolean,
    notice?: OpenNotice,
  ) {
    this.path = path;
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
   * Opens (creating it and `.vscode/` when needed, mode 0600) and, unless `migrate: false`,
   * migrates. A corrupt or foreign file is moved aside, never deleted: see `notice`.
   */
  static async open(options: ServiceOptions = {}): Promise<DatabaseService> {
    const path = resolveDatabasePath(options);
    const logger = options.logger ?? silentLogger;
    recoverDatabaseFiles(path, options);
    const created = !existsSync(path) || probeFile(path) === 'empty';
    let notice: OpenNotice | undefined;
    let db: Connection | undefined;
    try {
      // Identify the file read-only first: a foreign file must not even be switched to WAL.
      if (probeFile(path) === 'sqlite') identify(openConnection(path, { readonly: true }), path);
      db = openConnection(path, { busyTimeoutMs: options.busyTimeoutMs });
    } catch (err) {
      db?.close();
      const error = toCodeidxError(err, `Cannot open ${path}`);
      if (
        (error.code !== 'CORRUPT' && error.code !== 'FOREIGN_DATABASE') ||
        options.recover === false
      )
        throw error;
      const reason = error.code === 'CORRUPT' ? 'corrupt' : 'foreign';
      const movedTo = moveAside(path, reason);
      const message =
        reason === 'corrupt'
          ? `The codeidx database was damaged; it was moved to ${movedTo} and a new one was created. The index will be rebuilt.`
          : `${path} was not a codeidx database; it was moved to ${movedTo} and a new one was created.`;
      logger.warn(message, { cause: error.message });
      notice = { kind: 'moved-aside', reason, movedTo, message };
      db = openConnection(path, { busyTimeoutMs: options.busyTimeoutMs });
    }
    const service = new DatabaseService(path, db, options, created || notice !== undefined, notice);
    if (options.migrate !== false) {
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

  /** Why writes are refused right now (schema drift), if they are. */
  get writeBlocked(): CodeidxError | undefined {
    return this.blocked;
  }

  status(): MigrationStatus {
    return this.manager.status();
  }

  async migrate(
    o: { to?: number; dryRun?: boolean; onProgress?: ProgressListener; cancel?: CancelFlag } = {},
  ): Promise<MigrationRunResult> {
    if (!o.dryRun) this.assertWritable();
    const status = this.manager.status();
    const target = o.to ?? status.latestVersion;
    const backup =
      !o.dryRun && status.problems.length === 0 && target > status.currentVersion
        ? this.autoBackup(o.onProgress)
        : undefined;
    const result = await this.resilience.execute(() =>
      this.manager.migrate({
        to: target,
        dryRun: o.dryRun,
        onProgress: o.onProgress,
        cancel: o.cancel,
      }),
    );
    if (result.steps.length) this.repository = undefined;
    return backup ? { ...result, backup } : result;
  }

  async rollback(o: {
    to: number;
    onProgress?: ProgressListener;
    cancel?: CancelFlag;
  }): Promise<MigrationRunResult> {
    this.assertWritable();
    const status = this.manager.status();
    const backup =
      status.problems.length === 0 && o.to < status.currentVersion
        ? this.autoBackup(o.onProgress)
        : undefined;
    const result = await this.resilience.execute(() =>
      this.manager.rollback({ to: o.to, onProgress: o.onProgress, cancel: o.cancel }),
    );
    if (result.steps.length) this.repository = undefined;
    return backup ? { ...result, backup } : result;
  }

  health(o: { full?: boolean } = {}): HealthReport {
    return checkHealth({
      db: this.db,
      path: this.path,
      manager: this.manager,
      checkSearchIndex,
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
        hint: 'Set CODEIDX_BACKUP_KEY (CLI) or run "CodeIdx: Set Backup Encryption Key" (VS Code).',
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
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
    try {
      return restoreBackup({
        dbPath: this.path,
        file: resolve(file),
        key: this.options.backupKey,
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
    const status = this.manager.status();
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
    if (status.problems.some((p) => p.kind === 'database-newer')) {
      throw new CodeidxError(
        'DATABASE_NEWER',
        'The database is newer than this build; repair will not touch it.',
        {
          hint: 'Update codeidx instead.',
        },
      );
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
    return this.repo().search(text, o);
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
      if (!this.db.readonly && !this.blocked) this.db.pragma('optimize');
    } catch {
      // a busy or read-only file does not stop a close
    }
    this.db.close();
  }

  private lastBackup(): { path: string; at: string; ageHours: number } | undefined {
    return lastBackup(this.path, this.options.backupDir);
  }

  /** A verified backup before a run, when the database holds data and backups are on. */
  private autoBackup(onProgress: ProgressListener | undefined): string | undefined {
    if (this.options.autoBackup === false || !this.hasData()) return undefined;
    onProgress?.({ phase: 'backup', message: 'Backing up before the migration…' });
    const result = createBackup(this.db, {
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
            hint: 'Run `codeidx repair` (or "CodeIdx: Check Health" → Repair) to move the file aside and rebuild it.',
            details: { drift },
          },
        )
      : undefined;
    if (this.blocked) this.logger.error(this.blocked.message, { hint: this.blocked.hint });
    return drift;
  }

  private assertWritable(): void {
    if (this.blocked) throw this.blocked;
  }

  private requireVersion(version: number, what: string): void {
    const current = this.manager.status().currentVersion;
    if (current < version) {
      throw new CodeidxError(
        'INVALID_ARGUMENT',
        `${what} needs schema version ${version}; the database is at ${current}.`,
        {
          hint: 'Run `codeidx migrate` first.',
        },
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
    // Reading the schema also surfaces a damaged file as SQLITE_CORRUPT / SQLITE_NOTADB.
    objects = Number(db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get());
  } finally {
    db.close();
  }
  if (applicationId === APPLICATION_ID || (applicationId === 0 && objects === 0)) return;
  throw new CodeidxError('FOREIGN_DATABASE', `${path} is an SQLite database of another program.`, {
    hint: `Point codeidx at another file, or run \`codeidx repair\` to move it aside (it is kept) and create a new one in ${dirname(path)}.`,
  });
}
