/**
 * The messages between the database workers (worker.ts) and their client (client.ts, pool.ts),
 * declared once. `METHODS` is the single list of worker methods: each entry names its kind and,
 * as types, its arguments and result; the worker's handlers and the client's methods are derived
 * from it. Adding a method is one line here plus its handler(s) in worker.ts.
 * Everything sent is plain data: it crosses the thread boundary by structured clone.
 */
import type {
  BackupResult,
  DatabaseInfo,
  DefinitionRow,
  Fix,
  HealthReport,
  MigrationRunResult,
  MigrationStatus,
  OpenNotice,
  ProgressEvent,
  RepairResult,
  RestoreResult,
  SearchPart,
  SymbolMatch,
} from '../types.ts';
import type { IndexSummary } from '../../indexer/index.ts';

// Declared with the core's shapes; the extension imports them from here with the other messages.
export type { DatabaseInfo, OpenNotice };

/** How the writer opens its database: the serialisable part of the service's options. */
export interface OpenArgs {
  workspace?: string;
  dbPath?: string;
  autoBackup?: boolean;
  backupKeep?: number;
  backupDir?: string;
  backupKey?: string;
  busyTimeoutMs?: number;
  /**
   * Checkpoint policy: after a write, when the WAL file is larger than this many bytes, the
   * writer checkpoints it and truncates it (readers keep it from shrinking otherwise). 0 or
   * absent: only SQLite's automatic checkpoints.
   */
  walTruncateBytes?: number;
  /**
   * Load the SQLite driver's binary from this file instead of the packaged prebuild. For
   * diagnosing a native module problem (and for testing the error): `CODEIDX_NATIVE_BINDING`.
   */
  nativeBinding?: string;
}

/** What the `index` method indexes, and how (see src/indexer/index.ts). */
export interface IndexArgs {
  /** The folder to walk, absolute. */
  folder: string;
  /** Re-parse every file, not only the changed ones. */
  full?: boolean;
  /** gitignore-style globs relative to the folder. */
  exclude?: string[];
  /** Files larger than this are skipped. */
  maxFileBytes?: number;
  /** 0 < share <= 1: how busy each parse thread may be. */
  cpuShare?: number;
  /** Only these changed paths (relative, forward slashes), not a walk of the whole folder. */
  paths?: string[];
}

export interface OpenResult {
  path: string;
  created: boolean;
  notice?: OpenNotice;
  status: MigrationStatus;
  sqliteVersion: string;
}

/**
 * Where a method runs. `read`: on a read-only connection of the pool when there is one (else on
 * the writer, in order with the writes). `write`: on the writer, one at a time. `replace`: on the
 * writer, with the readers closed around it (it replaces the database file). `control`: the
 * client's own lifecycle messages, not offered as client methods.
 */
export type Kind = 'read' | 'write' | 'replace' | 'control';

/** One method's declaration. `types` exists only for the compiler (it is never set). */
export interface Spec<A, R, K extends Kind = Kind> {
  kind: K;
  /** Sends a `read` to the writer for these arguments (a check that needs to write). */
  onWriter?: (args: A) => boolean;
  types?: { args: A; result: R };
}

function spec<A, R>() {
  return <K extends Kind>(kind: K, onWriter?: (args: A) => boolean): Spec<A, R, K> =>
    onWriter ? { kind, onWriter } : { kind };
}

type None = Record<string, never>;

/** Every operation the workers serve: its kind, arguments and result. */
export const METHODS = {
  open: spec<OpenArgs, OpenResult>()('control'),
  close: spec<None, null>()('control'),
  status: spec<None, MigrationStatus>()('read'),
  // FTS5's integrity-check is an INSERT: a full check needs the writer.
  health: spec<{ full?: boolean }, HealthReport>()('read', (a) => a.full === true),
  // Search: a whole search, or one part of a search split by file id over the readers
  // (client.ts writes out `search`, which sends this and merges the parts).
  searchPart: spec<{ text: string; limit?: number; after?: number; upTo?: number }, SearchPart>()(
    'read',
  ),
  findDefinitions: spec<{ name: string; prefix?: boolean; limit?: number }, DefinitionRow[]>()(
    'read',
  ),
  symbols: spec<{ text: string; limit?: number }, SymbolMatch[]>()('read'),
  info: spec<None, DatabaseInfo>()('read'),
  migrate: spec<{ to?: number; dryRun?: boolean }, MigrationRunResult>()('write'),
  rollback: spec<{ to: number }, MigrationRunResult>()('write'),
  backup: spec<{ out?: string; encrypt?: boolean }, BackupResult>()('write'),
  rebuildFts: spec<None, { rows: number; ms: number }>()('write'),
  index: spec<IndexArgs, IndexSummary>()('write'),
  restore: spec<{ file: string }, RestoreResult>()('replace'),
  repair: spec<{ acceptChecksums?: boolean }, RepairResult>()('replace'),
};

type Methods = typeof METHODS;
export type Method = keyof Methods;
type TypesOf<M extends Method> = NonNullable<Methods[M]['types']>;
export type ArgsOf<M extends Method> = TypesOf<M>['args'];
export type ResultOf<M extends Method> = TypesOf<M>['result'];
export type KindOf<M extends Method> = Methods[M]['kind'];
/** The methods a read-only worker serves. */
export type ReadMethod = { [M in Method]: KindOf<M> extends 'read' ? M : never }[Method];
/** Methods the client sends on its own account, not offered as client methods. */
export const INTERNAL_METHODS = ['searchPart'] as const satisfies readonly Method[];

/** The methods a client offers (all but the lifecycle messages and the internal ones). */
export type PublicMethod = Exclude<
  { [M in Method]: KindOf<M> extends 'control' ? never : M }[Method],
  (typeof INTERNAL_METHODS)[number]
>;

/** The worker's role: one writer owns the DatabaseService; readers hold read-only connections. */
export type Role = 'writer' | 'reader';

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
