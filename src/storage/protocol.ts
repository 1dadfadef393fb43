/**
 * The messages between the database worker (worker.ts) and its client (client.ts), declared once.
 * Everything here is plain data: it crosses the thread boundary by structured clone.
 */
import type {
  BackupResult,
  Fix,
  HealthReport,
  MigrationRunResult,
  MigrationStatus,
  ProgressEvent,
  RepairResult,
  RestoreResult,
  SearchResult,
} from './types.ts';

/** How the worker opens its database: the serialisable part of the service's options. */
export interface OpenArgs {
  workspace?: string;
  dbPath?: string;
  autoBackup?: boolean;
  backupKeep?: number;
  backupDir?: string;
  backupKey?: string;
  busyTimeoutMs?: number;
  /**
   * Load the SQLite driver's binary from this file instead of the packaged prebuild. For
   * diagnosing a native module problem (and for testing the error): `CODEIDX_NATIVE_BINDING`.
   */
  nativeBinding?: string;
}

export interface OpenNotice {
  kind: 'moved-aside';
  reason: 'corrupt' | 'foreign';
  movedTo: string;
  message: string;
}

export interface OpenResult {
  path: string;
  created: boolean;
  notice?: OpenNotice;
  status: MigrationStatus;
  sqliteVersion: string;
}

export interface DatabaseInfo {
  path: string;
  sizeBytes: number;
  schemaVersion: number;
  latestVersion: number;
  lastBackup?: { path: string; at: string; ageHours: number };
}

/** Every operation the worker serves: its arguments and its result. */
export interface WorkerMethods {
  open: { args: OpenArgs; result: OpenResult };
  status: { args: Record<string, never>; result: MigrationStatus };
  migrate: { args: { to?: number; dryRun?: boolean }; result: MigrationRunResult };
  rollback: { args: { to: number }; result: MigrationRunResult };
  health: { args: { full?: boolean }; result: HealthReport };
  backup: { args: { out?: string; encrypt?: boolean }; result: BackupResult };
  restore: { args: { file: string }; result: RestoreResult };
  rebuildFts: { args: Record<string, never>; result: { rows: number; ms: number } };
  repair: { args: { acceptChecksums?: boolean }; result: RepairResult };
  search: { args: { text: string; limit?: number }; result: SearchResult[] };
  info: { args: Record<string, never>; result: DatabaseInfo };
  close: { args: Record<string, never>; result: null };
}

export type Method = keyof WorkerMethods;
export type ArgsOf<M extends Method> = WorkerMethods[M]['args'];
export type ResultOf<M extends Method> = WorkerMethods[M]['result'];

/** Client → worker. `cancel` is a shared Int32Array: `Atomics.store(cancel, 0, 1)` cancels. */
export interface Request<M extends Method = Method> {
  type: 'request';
  id: number;
  method: M;
  args: ArgsOf<M>;
  cancel?: Int32Array;
}

/** A CodeidxError as JSON (`CodeidxError.toJSON()`), re-created on the client's side. */
export interface ErrorJson {
  code: string;
  message: string;
  hint?: string;
  transient?: boolean;
  details?: Record<string, unknown>;
  fix?: Fix;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Worker → client. */
export type WorkerMessage =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: ErrorJson }
  | { type: 'progress'; id: number; event: ProgressEvent }
  | { type: 'log'; level: LogLevel; message: string; fields?: Record<string, unknown> };

export type { ProgressEvent };
