import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConnection, type Connection } from '../src/storage/database/connection.ts';
import { loadMigrations } from '../src/storage/migrations/loader.ts';
import { MigrationManager } from '../src/storage/migrations/manager.ts';
import type { Logger } from '../src/storage/log.ts';
import type { FileRecordInput } from '../src/storage/types.ts';

/** A temporary folder and the databases opened in it, removed after each test. */
export function tempDatabases(): {
  open: (version?: number, name?: string) => Connection;
  dir: () => string;
} {
  let dir = '';
  const opened: Connection[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'codeidx-test-'));
  });
  afterEach(() => {
    for (const db of opened.splice(0)) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    open: (version?: number, name = 'test.db') => {
      const db = openConnection(join(dir, name));
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

/** A logger that keeps `level message` lines, for tests that check what was logged. */
export function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return {
    lines,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}
