/**
 * What a reader worker of the pool serves: the read-only operations over one read-only
 * connection (a WAL reader), so they run while the writer migrates, imports or rebuilds.
 * It never creates, migrates or repairs the file: the writer has opened it first.
 */
import { lastBackup } from '../backup/index.ts';
import { openConnection, type Connection } from '../database/connection.ts';
import { MIGRATE } from '../fixes.ts';
import { CodeidxError } from '../errors.ts';
import { checkHealth, fileSize } from '../health/health.ts';
import { defaultMigrationsDir, loadMigrations } from '../migrations/loader.ts';
import { MigrationManager } from '../migrations/manager.ts';
import { findSchemaDrift } from '../migrations/schema.ts';
import type { DatabaseInfo } from '../types.ts';
import { Repository } from '../index/repository.ts';
import type {
  DefinitionRow,
  HealthReport,
  MigrationStatus,
  SearchOptions,
  SearchPart,
  SymbolMatch,
} from '../types.ts';

export interface ReaderOptions {
  path: string;
  backupDir?: string;
  busyTimeoutMs?: number;
}

/** The read-only face of one database: status, health (without FTS5's write-based check), search, lookups, info. */
export class ReadOnlyDatabase {
  readonly path: string;
  private readonly db: Connection;
  private readonly manager: MigrationManager;
  private readonly backupDir: string | undefined;
  private repository: { schema: number; repo: Repository } | undefined;

  /** Opens `path` read-only; fails (never creates) when it is missing. */
  constructor(options: ReaderOptions) {
    this.path = options.path;
    this.backupDir = options.backupDir;
    this.db = openConnection(options.path, {
      readonly: true,
      create: false,
      busyTimeoutMs: options.busyTimeoutMs,
    });
    this.manager = new MigrationManager(this.db, loadMigrations(defaultMigrationsDir()));
  }

  status(): MigrationStatus {
    return this.manager.status();
  }

  /**
   * The checks that only read. The full-text index is cross-checked by row counts; FTS5's own
   * integrity-check (an INSERT) runs on the writer with `full`.
   */
  health(): HealthReport {
    return checkHealth({
      db: this.db,
      path: this.path,
      manager: this.manager,
      checkSearchIndex: countIndexRows,
      lastBackup: lastBackup(this.path, this.backupDir),
      drift: findSchemaDrift(this.db, this.manager.migrations),
    });
  }

  searchPart(text: string, options: SearchOptions): SearchPart {
    return this.repo('Search').searchPart(text, options);
  }

  findDefinitions(name: string, o: { prefix?: boolean; limit?: number }): DefinitionRow[] {
    return this.repo('Definition lookup').findDefinitions(name, o);
  }

  searchSymbols(text: string, limit?: number): SymbolMatch[] {
    return this.repo('Symbol search').searchSymbols(text, { limit });
  }

  info(): DatabaseInfo {
    const status = this.manager.status();
    const last = lastBackup(this.path, this.backupDir);
    return {
      path: this.path,
      sizeBytes: fileSize(this.path),
      schemaVersion: status.currentVersion,
      latestVersion: status.latestVersion,
      ...(last ? { lastBackup: last } : {}),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** The repository's statements, prepared again whenever the writer changed the schema. */
  private repo(what: string): Repository {
    const schema = Number(this.db.pragma('schema_version', { simple: true }));
    if (this.repository?.schema === schema) return this.repository.repo;
    const current = Number(this.db.pragma('user_version', { simple: true }));
    const latest = this.manager.latestVersion;
    if (current < latest) {
      throw new CodeidxError(
        'INVALID_ARGUMENT',
        `${what} needs schema version ${latest}; the database is at ${current}.`,
        { hint: 'Migrate the database first.', fix: MIGRATE },
      );
    }
    this.repository = { schema, repo: new Repository(this.db) };
    return this.repository.repo;
  }
}

/** Every file has one index row and no row is left for a removed file. */
function countIndexRows(db: Connection): { ok: boolean; message: string } {
  const row = db
    .prepare(
      `SELECT (SELECT count(*) FROM files) AS files, (SELECT count(*) FROM search_index) AS rows,
         (SELECT count(*) FROM search_index WHERE rowid NOT IN (SELECT id FROM files)) AS orphans`,
    )
    .get() as { files: number; rows: number; orphans: number };
  if (row.rows !== row.files || row.orphans > 0) {
    return {
      ok: false,
      message: `The full-text index has ${row.rows} rows for ${row.files} files${row.orphans ? ` (${row.orphans} for files that are gone)` : ''}.`,
    };
  }
  return { ok: true, message: `Full-text index rows match the files (${row.files} files).` };
}
