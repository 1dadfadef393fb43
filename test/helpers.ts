// Shared by every plain-Node test: temporary folders and databases, records, error checks, a
// recording logger. The CLI tests' process runner is in test/cli/helpers.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  APPLICATION_ID,
  openConnection,
  type Connection,
} from '../src/storage/database/connection.ts';
import { CodeidxError } from '../src/storage/errors.ts';
import { loadMigrations } from '../src/storage/migrations/loader.ts';
import { MigrationManager } from '../src/storage/migrations/manager.ts';
import type { Logger } from '../src/storage/log.ts';
import { DatabaseService } from '../src/storage/service.ts';
import type { FileRecordInput } from '../src/storage/types.ts';

/**
 * Registers hooks that give each test a fresh temporary folder (`codeidx-<prefix>-…`), removed
 * after it. Returns the current test's folder.
 */
export function tempDir(prefix = 'test'): () => string {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), `codeidx-${prefix}-`));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/**
 * A fresh workspace folder per test (`ws()`) and the services opened in it with `open`, closed
 * (`closeAll`, also after each test) before the folder is removed.
 */
export function tempServices(prefix: string): {
  ws: () => string;
  open: (options?: Parameters<typeof DatabaseService.open>[0]) => Promise<DatabaseService>;
  dbFile: () => string;
  closeAll: () => void;
} {
  const services: DatabaseService[] = [];
  const closeAll = (): void => {
    for (const s of services.splice(0)) s.close();
  };
  afterEach(closeAll); // registered first, so it runs before tempDir removes the folder
  const ws = tempDir(prefix);
  return {
    ws,
    open: async (options = {}) => {
      const s = await DatabaseService.open({ workspace: ws(), ...options });
      services.push(s);
      return s;
    },
    dbFile: () => join(ws(), '.vscode', 'codeidx.db'),
    closeAll,
  };
}

/**
 * A temporary folder per test and the databases opened in it (migrated to `version`, the latest
 * by default), closed and removed after each test.
 */
export function tempDatabases(): {
  open: (version?: number, name?: string) => Connection;
  dir: () => string;
} {
  const opened: Connection[] = [];
  afterEach(() => {
    for (const db of opened.splice(0)) if (db.open) db.close();
  });
  const dir = tempDir();
  return {
    dir,
    open: (version?: number, name = 'test.db') => {
      const db = openConnection(join(dir(), name));
      opened.push(db);
      const migrations = loadMigrations();
      new MigrationManager(db, migrations).migrate({ to: version ?? migrations.length });
      return db;
    },
  };
}

/** A small record with the given definition names. */
export function fileRecord(
  path: string,
  names: string[] = ['parseHttpRequest'],
  extra: Partial<FileRecordInput> = {},
): FileRecordInput {
  return {
    path,
    size: 100,
    lastModified: 1_700_000_000_000,
    language: 'typescript',
    definitions: names.map((name, i) => ({
      name,
      type: 'function',
      line: i + 1,
      column: 0,
      exported: true,
    })),
    imports: [{ module: 'node:fs', type: 'es-module', names: ['readFileSync'], line: 1 }],
    symbols: [{ name: 'data', kind: 'variable', scope: null, line: 2, column: 6 }],
    tags: [{ tag: 'io', weight: 0.5 }],
    ...extra,
  };
}

// eslint-disable-next-line @typescript-eslint/require-await -- a stand-in for a stream, async like one
export async function* jsonLines(records: unknown[]): AsyncGenerator<string> {
  for (const r of records) yield typeof r === 'string' ? r : JSON.stringify(r);
}

/**
 * A logger that keeps `level message` lines, and each entry with its fields, for tests that
 * check what was logged. `onEntry` (settable) runs inside each call: a test can act at the
 * moment something is logged (e.g. release a lock when a retry is announced).
 */
export function recorder(): Logger & {
  lines: string[];
  entries: { level: string; message: string; fields: Record<string, unknown> }[];
  onEntry: ((level: string, message: string) => void) | undefined;
} {
  const lines: string[] = [];
  const entries: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const self = {
    lines,
    entries,
    onEntry: undefined as ((level: string, message: string) => void) | undefined,
    trace: (m: string, f?: Record<string, unknown>) => at('trace', m, f),
    debug: (m: string, f?: Record<string, unknown>) => at('debug', m, f),
    info: (m: string, f?: Record<string, unknown>) => at('info', m, f),
    warn: (m: string, f?: Record<string, unknown>) => at('warn', m, f),
    error: (m: string, f?: Record<string, unknown>) => at('error', m, f),
  };
  function at(level: string, message: string, fields: Record<string, unknown> = {}): void {
    lines.push(`${level} ${message}`);
    entries.push({ level, message, fields });
    self.onEntry?.(level, message);
  }
  return self;
}

/** Asserts that `fn` throws a CodeidxError with this code, and returns it. */
export function throwsWith(fn: () => unknown, code: string): CodeidxError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CodeidxError, `expected a CodeidxError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

/**
 * Asserts that `promise` rejects with a CodeidxError with this code, and returns it. (Errors
 * that cross the worker thread boundary come back as CodeidxError instances too.)
 */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<CodeidxError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof CodeidxError, `expected a CodeidxError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

/** The schema objects of a database (SQLite's own excluded), to compare before and after. */
export function schemaOf(db: Database.Database): unknown[] {
  return db
    .prepare(
      "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all();
}

/** A small codeidx-marked database (WAL, like the real one) with a table of notes. */
export function notesDatabase(
  path: string,
  o: { version?: number; notes?: string[] } = {},
): Connection {
  const db = openConnection(path);
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.pragma(`user_version = ${o.version ?? 2}`);
  db.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO notes (body) VALUES (?)');
  for (const body of o.notes ?? ['alpha', 'beta']) insert.run(body);
  return db;
}

/** The notes of a database made by `notesDatabase`, read through a read-only connection. */
export function notesIn(path: string): string[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT body FROM notes ORDER BY id').pluck().all() as string[];
  } finally {
    db.close();
  }
}
