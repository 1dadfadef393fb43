/**
 * Shapes shared by the storage core, the CLI, the worker protocol and the extension.
 * Everything here is plain data (structured-clone safe) so it crosses the worker boundary as is.
 */

/** One migration as the loader found it in the build's `migrations/` folder. */
export interface Migration {
  version: number;
  /** snake_case name from the file name, e.g. `add_fts_index`. */
  name: string;
  /** First `-- ` comment line of the up file, or the name in words. */
  description: string;
  /** SQL of the up and down files, line endings normalised to LF. */
  up: string;
  down: string;
  /** `sha256:<hex>` over the normalised up and down files. */
  checksum: string;
}

/** One row of the migration history table. */
export interface MigrationRecord {
  version: number;
  name: string;
  checksum: string;
  /** ISO 8601 time the migration was applied. */
  appliedAt: string;
  executionMs: number;
}

/** The outcome of one migration step in a run. */
export interface MigrationResult {
  version: number;
  name: string;
  direction: 'up' | 'down';
  success: boolean;
  error?: string;
  executionMs: number;
}

/** A problem the manager found; `status` lists them, a run refuses while any is an error. */
export interface MigrationProblem {
  kind:
    | 'checksum-mismatch'
    | 'database-newer'
    | 'unknown-applied'
    | 'history-mismatch'
    | 'schema-drift';
  version?: number;
  message: string;
  hint: string;
}

export interface MigrationStatus {
  currentVersion: number;
  latestVersion: number;
  applied: MigrationRecord[];
  pending: { version: number; name: string; description: string; checksum: string }[];
  problems: MigrationProblem[];
}

export interface MigrationPlanStep {
  version: number;
  name: string;
  direction: 'up' | 'down';
  sql: string;
}

export interface MigrationRunResult {
  fromVersion: number;
  toVersion: number;
  dryRun: boolean;
  steps: MigrationResult[];
  /** The plan; with dryRun the SQL that would run. */
  plan: MigrationPlanStep[];
  /** Path of the backup taken before the run, if one was. */
  backup?: string;
  totalMs: number;
}

/**
 * Progress of long work, for a UI. `increment` is the share of the whole run (0-100) this event
 * adds, so a VS Code progress bar can add it as is; `message` is ready to show.
 */
export interface ProgressEvent {
  phase:
    | 'backup'
    | 'migrate'
    | 'rollback'
    | 'populate'
    | 'rebuild'
    | 'import'
    | 'restore'
    | 'verify'
    | 'index';
  message: string;
  increment?: number;
  step?: number;
  totalSteps?: number;
  version?: number;
  name?: string;
  done?: number;
  total?: number;
}

export type ProgressListener = (event: ProgressEvent) => void;

/**
 * Cooperative cancellation that also works across a worker boundary: the flag lives in shared
 * memory, and long loops check it between batches. `Atomics.store(flag, 0, 1)` cancels.
 */
export type CancelFlag = Int32Array;

export type HealthState = 'healthy' | 'degraded' | 'unhealthy';

/**
 * What fixes a finding or a refusal: the CLI command line and the matching VS Code command id,
 * with a title for a button. Each adapter renders it its own way; the core never names a UI.
 */
export interface Fix {
  /** A command line, e.g. `codeidx repair`, or a shell command such as `chmod u+w FILE`. */
  cli: string;
  /** The VS Code command that does the same, when there is one. */
  command?: string;
  title: string;
}

export interface HealthCheck {
  name:
    | 'integrity'
    | 'foreign-keys'
    | 'fts'
    | 'schema-version'
    | 'checksums'
    | 'schema-objects'
    | 'backup-age'
    | 'circuit'
    | 'writable'
    | 'open';
  status: HealthState;
  message: string;
  /** What fixes it: a CLI command and the matching VS Code command id. */
  fix?: Fix;
}

/** The newest backup of a database and how old it is, as reports show it. */
export interface LastBackup {
  path: string;
  /** When it was taken, ISO 8601 UTC. */
  at: string;
  ageHours: number;
}

/** What the open did to a file it could not use, so the user can be told (and find the file). */
export interface OpenNotice {
  kind: 'moved-aside';
  reason: 'corrupt' | 'foreign';
  movedTo: string;
  message: string;
}

/** The database file at a glance: where, how large, which schema, the last backup. */
export interface DatabaseInfo {
  path: string;
  sizeBytes: number;
  schemaVersion: number;
  latestVersion: number;
  lastBackup?: LastBackup;
}

export interface HealthReport {
  status: HealthState;
  path: string;
  checks: HealthCheck[];
  schemaVersion: number;
  latestVersion: number;
  sizeBytes: number;
  lastBackup?: LastBackup;
  checkedAt: string;
}

export interface BackupResult {
  path: string;
  bytes: number;
  encrypted: boolean;
  verified: boolean;
  ms: number;
  /** Older backups removed by rotation. */
  rotated: string[];
}

export interface RestoreResult {
  restoredFrom: string;
  /** Where the database that was replaced now lives (kept, never deleted). */
  previous?: string;
  schemaVersion: number;
}

export interface RepairResult {
  action: 'none' | 'moved-aside' | 'checksums-accepted';
  movedTo?: string;
  acceptedVersions?: number[];
  message: string;
}

/* ---- repository records ---- */

export type DefinitionType =
  | 'class'
  | 'function'
  | 'method'
  | 'interface'
  | 'component'
  | 'variable'
  | 'type'
  | 'enum'
  | 'constant'
  | 'property'
  | 'module';

export type ImportType = 'es-module' | 'commonjs' | 'dynamic' | 'type-only' | 'side-effect';

export interface DefinitionInput {
  name: string;
  type: DefinitionType;
  line: number;
  column: number;
  exported: boolean;
  docstring?: string | null;
  signature?: string | null;
  decorators?: string[] | null;
}

export interface ImportInput {
  module: string;
  type: ImportType;
  names?: string[] | null;
  line?: number | null;
}

export interface SymbolInput {
  name: string;
  kind: string;
  scope?: string | null;
  line: number;
  column: number;
}

export interface TagInput {
  tag: string;
  weight: number;
}

/** One file as an indexer hands it over (one JSON line of `codeidx import`). */
export interface FileRecordInput {
  path: string;
  size: number;
  /** Milliseconds since the epoch. */
  lastModified: number;
  /** SHA-256 of the file's content, hex; computed from the record when absent. */
  hash?: string;
  language: string;
  definitions?: DefinitionInput[];
  imports?: ImportInput[];
  symbols?: SymbolInput[];
  tags?: TagInput[];
}

export interface FileRow {
  id: number;
  path: string;
  filename: string;
  extension: string;
  size: number;
  lastModified: number;
  hash: string;
  language: string;
  indexedAt: number;
}

export interface DefinitionRow extends DefinitionInput {
  id: number;
  fileId: number;
  path: string;
}

/** One definition found by a symbol search (`DatabaseService.searchSymbols`), best first. */
export interface SymbolMatch {
  name: string;
  kind: DefinitionType;
  path: string;
  /** 1-based. */
  line: number;
  /** 0-based. */
  column: number;
  exported: boolean;
  signature: string | null;
  /** Higher is better: exact name, then prefix, humps, word; then shorter and exported names. */
  score: number;
}

export interface UpsertResult {
  fileId: number;
  /** false when the stored hash was the same and nothing was written. */
  changed: boolean;
}

export interface SearchOptions {
  limit?: number;
  /** Only files with a larger id: one part of a search split over reader threads. */
  after?: number;
  /** Only files with this id or a smaller one. */
  upTo?: number;
}

/** One part of a split search: its best results and the highest file id, for the next split. */
export interface SearchPart {
  results: SearchResult[];
  lastFileId: number;
}

export interface SearchResult {
  path: string;
  /** Higher is better (negated bm25, plus the exact-name boost). */
  score: number;
  snippet: string;
  language: string;
}

export interface ImportReport {
  lines: number;
  files: number;
  unchanged: number;
  definitions: number;
  imports: number;
  symbols: number;
  tags: number;
  /** Bad lines, in line order: the first MAX_REPORTED_ERRORS (1,000) of them. */
  errors: { line: number; message: string }[];
  /** All bad lines, listed or not. */
  errorCount: number;
  ms: number;
}
