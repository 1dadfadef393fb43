/**
 * A database worker thread. The writer (`workerData.role` 'writer', the default) owns one
 * DatabaseService, so migrations, rebuilds and backups never block the thread that asked for
 * them; a reader owns one read-only connection (reader.ts) and serves the `read` methods of
 * protocol.ts beside it. Each serves its requests one at a time, forwards progress and log lines,
 * and sends every failure as CodeidxError JSON.
 *
 * The SQLite driver is loaded only after the runtime has been checked (Node-API 10 and the
 * platform's binary present, native.ts), so a host that cannot load it gets one clear
 * NATIVE_MODULE error instead of a crash.
 */
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { CodeidxError, toCodeidxError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { plainLogFields } from './logFields.ts';
import type {
  ArgsOf,
  LogLevel,
  Method,
  OpenArgs,
  ReadMethod,
  Request,
  ResultOf,
  Role,
  WorkerMessage,
} from './protocol.ts';
import { loadDriver } from './native.ts';
import type { ReadOnlyDatabase } from './reader.ts';
import type { DatabaseService } from '../service.ts';
import type { ProgressListener } from '../types.ts';

const port = parentPort;
if (!port) throw new Error('worker.ts runs as a worker thread (see client.ts).');

function post(message: WorkerMessage): void {
  port!.postMessage(message);
}

const logAt =
  (level: LogLevel) =>
  (message: string, fields?: Record<string, unknown>): void =>
    post({ type: 'log', level, message, fields: plainLogFields(fields) });

const logger: Logger = {
  trace: logAt('trace'),
  debug: logAt('debug'),
  info: logAt('info'),
  warn: logAt('warn'),
  error: logAt('error'),
};

const role: Role = (workerData as { role?: Role } | undefined)?.role ?? 'writer';
let service: DatabaseService | undefined;
let reader: ReadOnlyDatabase | undefined;
let walTruncateBytes = 0;

function need(): DatabaseService {
  if (!service)
    throw new CodeidxError('INTERNAL', 'The database is not open.', {
      hint: 'Reopen the folder.',
    });
  return service;
}

function needReader(): ReadOnlyDatabase {
  if (!reader)
    throw new CodeidxError('INTERNAL', 'The read-only connection is not open.', {
      hint: 'Reopen the folder.',
    });
  return reader;
}

async function open(args: OpenArgs, onProgress: ProgressListener): Promise<ResultOf<'open'>> {
  const mod = await loadDriver(args, () => import('../service.ts'));
  service?.close();
  const { walTruncateBytes: wal, ...rest } = args;
  delete rest.nativeBinding;
  walTruncateBytes = wal ?? 0;
  // The extension's open moves a damaged file aside and says so (the notice); nothing else does.
  service = await mod.DatabaseService.open({
    ...rest,
    migrate: false,
    recover: true,
    logger,
    onProgress,
  });
  const sqliteVersion = String(service.connection.prepare('SELECT sqlite_version()').pluck().get());
  return {
    path: service.path,
    created: service.created,
    ...(service.notice ? { notice: service.notice } : {}),
    status: service.status(),
    sqliteVersion,
  };
}

/** A reader opens the file the writer opened (`dbPath`), read-only; it never creates it. */
async function openReader(args: OpenArgs): Promise<ResultOf<'open'>> {
  const mod = await loadDriver(args, () => import('./reader.ts'));
  if (!args.dbPath) throw new CodeidxError('INVALID_ARGUMENT', 'A reader needs the dbPath.');
  reader?.close();
  reader = new mod.ReadOnlyDatabase({
    path: args.dbPath,
    backupDir: args.backupDir,
    busyTimeoutMs: args.busyTimeoutMs,
  });
  const status = reader.status();
  return { path: reader.path, created: false, status, sqliteVersion: '' };
}

/**
 * The checkpoint policy: after a write, a WAL larger than the limit is checkpointed and, when
 * every frame made it into the database (no reader held an older snapshot), truncated.
 */
function checkpointIfLarge(): void {
  if (!service || walTruncateBytes <= 0) return;
  const wal = statSync(`${service.path}-wal`, { throwIfNoEntry: false });
  if (!wal || wal.size <= walTruncateBytes) return;
  const db = service.connection;
  const [passive] = db.pragma('wal_checkpoint(PASSIVE)') as {
    busy: number;
    log: number;
    checkpointed: number;
  }[];
  if (passive && passive.busy === 0 && passive.log === passive.checkpointed) {
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
}

let kept: { share: number; pool: import('../../indexer/pool.ts').ParsePool } | undefined;

/**
 * This writer's parse threads, kept between runs so a saved file meets a warm thread (they end
 * after a minute without a run); a new CPU share starts new ones.
 */
async function parsePool(
  cpuShare: number | undefined,
): Promise<import('../../indexer/pool.ts').ParsePool> {
  const share = cpuShare ?? 1;
  if (kept?.share !== share) {
    const { ParsePool } = await import('../../indexer/pool.ts');
    void kept?.pool.close();
    kept = { share, pool: new ParsePool({ cpuShare: share }) };
  }
  return kept.pool;
}

/**
 * Indexes a folder into this writer's database. The parse threads start from here (never from
 * the extension host's thread); progress goes out as `index` events with done/total.
 */
async function indexIn(
  db: DatabaseService,
  a: ArgsOf<'index'>,
  onProgress: ProgressListener,
  cancel: Int32Array | undefined,
): Promise<ResultOf<'index'>> {
  if (!isAbsolute(a.folder)) {
    throw new CodeidxError(
      'INVALID_ARGUMENT',
      `The folder to index must be absolute: ${a.folder}`,
      {
        hint: "Pass the workspace folder's full path.",
      },
    );
  }
  const { indexFolder } = await import('../../indexer/index.ts');
  return indexFolder(db, a.folder, {
    full: a.full,
    pool: await parsePool(a.cpuShare),
    ...(a.paths ? { paths: a.paths } : {}),
    exclude: a.exclude,
    maxFileBytes: a.maxFileBytes,
    cpuShare: a.cpuShare,
    cancel,
    onProgress: (e) =>
      onProgress({ phase: 'index', message: e.message, done: e.done, total: e.total }),
  });
}

type Handler<M extends Method> = (
  args: ArgsOf<M>,
  onProgress: ProgressListener,
  cancel: Int32Array | undefined,
) => Promise<ResultOf<M>> | ResultOf<M>;

type Handlers<K extends Method> = { [M in K]: Handler<M> };

const writerHandlers: Handlers<Method> = {
  open,
  status: () => need().status(),
  migrate: (a, onProgress, cancel) => need().migrateTo({ ...a, onProgress, cancel }),
  rollback: (a, onProgress, cancel) => need().rollback({ ...a, onProgress, cancel }),
  health: (a) => need().health(a),
  backup: (a, onProgress) => need().backup({ ...a, onProgress }),
  restore: (a, onProgress) => need().restore(a.file, { onProgress }),
  rebuildFts: (_a, onProgress, cancel) => need().rebuildFts({ onProgress, cancel }),
  repair: (a) => need().repair(a),
  index: (a, onProgress, cancel) => indexIn(need(), a, onProgress, cancel),
  searchPart: (a) => need().searchPart(a.text, a),
  findDefinitions: (a) => need().repo().findDefinitions(a.name, a),
  symbols: (a) => need().searchSymbols(a.text, { limit: a.limit }),
  info: () => need().info(),
  close: () => {
    service?.close();
    service = undefined;
    return null;
  },
};

const readerHandlers: Handlers<ReadMethod | 'open' | 'close'> = {
  open: openReader,
  status: () => needReader().status(),
  health: () => needReader().health(),
  searchPart: (a) => needReader().searchPart(a.text, a),
  findDefinitions: (a) => needReader().findDefinitions(a.name, a),
  symbols: (a) => needReader().searchSymbols(a.text, a.limit),
  info: () => needReader().info(),
  close: () => {
    reader?.close();
    reader = undefined;
    return null;
  },
};

const handlers: Partial<Handlers<Method>> = role === 'writer' ? writerHandlers : readerHandlers;

async function serve(request: Request): Promise<void> {
  const { id, method, args, cancel } = request;
  const onProgress: ProgressListener = (event) => post({ type: 'progress', id, event });
  try {
    const handler = handlers[method] as Handler<Method> | undefined;
    if (!handler) {
      throw new CodeidxError('INTERNAL', `A ${role} worker does not serve "${method}".`);
    }
    const value = await handler(args, onProgress, cancel);
    if (role === 'writer' && method !== 'close') checkpointIfLarge();
    post({ type: 'result', id, value });
  } catch (err) {
    const error = toCodeidxError(err);
    post({ type: 'error', id, error: error.toJSON() as never });
  }
  if (method === 'close') port!.close();
}

// One request at a time: each worker owns one connection and its operations do not interleave.
let queue: Promise<void> = Promise.resolve();
port.on('message', (request: Request) => {
  queue = queue.then(() => serve(request));
});
