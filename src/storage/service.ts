/**
 * The database of one workspace, as one object: `DatabaseService` is a thin facade over the
 * modules in `service/` (open, migrate, health, backup, repair, maintenance, reads), which all
 * work on one `ServiceState`. The CLI and the worker call this; the extension reaches it only
 * through the worker.
 */
import type { Connection } from './database/connection.ts';
import { resolveDatabasePath } from './database/location.ts';
import { toCodeidxError, type CodeidxError } from './errors.ts';
import type { Repository } from './index/repository.ts';
import { MIGRATION_REFUSALS } from './migrations/history.ts';
import type { TargetPlan } from './policy.ts';
import { backup, restore } from './service/backup.ts';
import { health, UNOPENABLE, unopenableReport } from './service/health.ts';
import { importRecords, maintenance, rebuildFts } from './service/maintenance.ts';
import {
  migrate,
  migrateTo,
  planTarget,
  rollback,
  status,
  type RunRequest,
} from './service/migrate.ts';
import { openFile } from './service/open.ts';
import type { ServiceOptions } from './service/options.ts';
import { info, search, searchPart } from './service/reads.ts';
import { repair, repairMovedAside } from './service/repair.ts';
import { ServiceState } from './service/state.ts';
import type {
  BackupResult,
  DatabaseInfo,
  HealthReport,
  ImportReport,
  MigrationRunResult,
  MigrationStatus,
  OpenNotice,
  ProgressListener,
  RepairResult,
  RestoreResult,
  SearchOptions,
  SearchPart,
  SearchResult,
  SymbolMatch,
} from './types.ts';

export { DEFAULT_DATABASE_PATH, resolveDatabasePath } from './database/location.ts';
export type { ServiceOptions } from './service/options.ts';
export type { OpenNotice } from './types.ts';

/**
 * The database of one workspace: opens it safely, keeps its schema migrated, and offers health,
 * backups, repair, search and import. Synchronous SQLite underneath; methods that may wait for a
 * lock are async because they retry with backoff.
 */
export class DatabaseService {
  readonly path: string;
  /** What the open did to a file it could not use (moved aside), if anything. */
  readonly notice: OpenNotice | undefined;
  /** The file was created (or re-created) by this open. */
  readonly created: boolean;
  /** Why the migration on open was refused (newer schema, drift, changed checksums), if it was. */
  migrationError: CodeidxError | undefined;
  private readonly state: ServiceState;

  private constructor(state: ServiceState, created: boolean, notice: OpenNotice | undefined) {
    this.state = state;
    this.path = state.path;
    this.created = created;
    this.notice = notice;
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
    const file = openFile(path, options);
    const state = new ServiceState(path, file.db, options, file.readOnlyReason);
    const service = new DatabaseService(state, file.created, file.notice);
    // A file the user cannot write is served for reading; its first write names the fix.
    if (options.migrate !== false && !file.readOnlyReason) {
      try {
        await service.migrate({ onProgress: options.onProgress, cancel: options.cancel });
      } catch (err) {
        // A refusal (newer schema, drift, changed checksums) leaves the database open for reports.
        const error = toCodeidxError(err);
        if (!MIGRATION_REFUSALS.has(error.code)) {
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
      if (!UNOPENABLE.has(error.code)) throw error;
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
      if (service.notice) return await repairMovedAside(service.state, service.notice);
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
    return this.state.writeBlocked;
  }

  /** Whether the connection is read-only (a read command, or a file the user cannot write). */
  get readOnly(): boolean {
    return this.state.readOnlyReason !== undefined;
  }

  /** The connection, for tests and the benchmark. */
  get connection(): Connection {
    return this.state.db;
  }

  // Migrations (service/migrate.ts)

  /** Migration status; a drifted schema is listed among the problems. */
  status(): MigrationStatus {
    return status(this.state);
  }

  /** What `migrateTo(to)` would do and whether it needs the user's yes (see policy.planTarget). */
  planTarget(to?: number): TargetPlan {
    return planTarget(this.state, to);
  }

  /**
   * Moves the schema to `to` (default: the latest), up or down: the one rule behind the CLI's
   * `migrate --to N` and the extension's Migrate command. Going down removes data, so it needs
   * `confirmed: true` (CONFIRMATION_REQUIRED otherwise) and then is a rollback, backup first.
   */
  async migrateTo(
    o: RunRequest & { to?: number; dryRun?: boolean; confirmed?: boolean } = {},
  ): Promise<MigrationRunResult> {
    return migrateTo(this.state, o);
  }

  /** Applies pending migrations up to `to` (default: the latest); never goes down. */
  async migrate(
    o: RunRequest & { to?: number; dryRun?: boolean } = {},
  ): Promise<MigrationRunResult> {
    return migrate(this.state, o);
  }

  /** Runs down migrations to version `to`, after a backup. The caller has the user's yes. */
  async rollback(o: RunRequest & { to: number }): Promise<MigrationRunResult> {
    return rollback(this.state, o);
  }

  // Health, backups, repair (service/health.ts, backup.ts, repair.ts)

  /** Every check with its fix; `full` runs integrity_check instead of quick_check. */
  health(o: { full?: boolean } = {}): HealthReport {
    return health(this.state, o);
  }

  /** A verified backup (encrypted when asked, or by default when a key is set). */
  async backup(
    o: { out?: string; encrypt?: boolean; onProgress?: ProgressListener } = {},
  ): Promise<BackupResult> {
    return backup(this.state, o);
  }

  /** Replaces the database with a verified backup; the replaced file is kept beside it. */
  async restore(file: string, o: { onProgress?: ProgressListener } = {}): Promise<RestoreResult> {
    return restore(this.state, file, o);
  }

  /**
   * The way out of every refusal. With `acceptChecksums`, records the current checksums of
   * applied migrations whose files changed on purpose. Otherwise, when the file is damaged,
   * drifted or its history does not match, moves it aside (never deletes it) and builds a new one.
   */
  async repair(o: { acceptChecksums?: boolean } = {}): Promise<RepairResult> {
    return repair(this.state, o);
  }

  // Writes to the index (service/maintenance.ts)

  /** Loads JSON lines of indexer records. */
  async importRecords(
    input: AsyncIterable<string> | NodeJS.ReadableStream,
    o: RunRequest & { strict?: boolean; batchSize?: number } = {},
  ): Promise<ImportReport> {
    return importRecords(this.state, input, o);
  }

  /** Rebuilds the full-text index from the tables. */
  async rebuildFts(o: RunRequest = {}): Promise<{ rows: number; ms: number }> {
    return rebuildFts(this.state, o);
  }

  /** Routine upkeep: FTS5 optimize, ANALYZE via `PRAGMA optimize`, a WAL checkpoint, and VACUUM on request. */
  async maintenance(
    o: { vacuum?: boolean } = {},
  ): Promise<{ ms: number; checkpointed: boolean; vacuumed: boolean }> {
    return maintenance(this.state, o);
  }

  // Reads (service/reads.ts)

  /** Full-text search over the index, best first. */
  search(text: string, o: SearchOptions = {}): SearchResult[] {
    return search(this.state, text, o);
  }

  /** One part of a search split by file id, with the highest file id (the client's read pool). */
  searchPart(text: string, o: SearchOptions = {}): SearchPart {
    return searchPart(this.state, text, o);
  }

  /** Definitions matching `text` (exact name, prefix, camel humps, a word), best first. */
  searchSymbols(text: string, options: { limit?: number } = {}): SymbolMatch[] {
    return this.repo().searchSymbols(text, options);
  }

  /** The repository over this connection, for indexers that write records one by one. */
  repo(): Repository {
    return this.state.repo();
  }

  /** Where the file is, how large, which schema, and its last backup. */
  info(): DatabaseInfo {
    return info(this.state);
  }

  close(): void {
    const { db } = this.state;
    if (!db.open) return;
    try {
      if (!db.readonly && !this.writeBlocked) db.pragma('optimize');
    } catch {
      // a busy or read-only file does not stop a close
    }
    db.close();
  }
}
