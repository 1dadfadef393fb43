// Shared by the CLI tests: the CLI is built once per mocha run and run as a real process in a
// fresh temporary folder per test.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMigrations } from '../../src/storage/migrations/loader.ts';

/** The build's latest schema version. */
export const LATEST = loadMigrations().length;

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli.js');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'indexer');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let built = false;

/** Bundles dist/cli.js (and the parse worker) once for all CLI test files. */
export function buildCli(): void {
  if (built) return;
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, timeout: 60_000 });
  built = true;
}

/**
 * Registers the hooks of a CLI suite: builds the CLI, and gives each test an empty temporary
 * folder (`ws()`) that is the CLI's working directory.
 */
export function cliWorkspace(): {
  ws: () => string;
  dbFile: () => string;
  cli: (args: string[], options?: { input?: string; env?: Record<string, string> }) => Run;
} {
  let ws = '';
  before(function () {
    this.timeout(60_000);
    buildCli();
  });
  beforeEach(() => {
    ws = mkdtempSync(join(tmpdir(), 'codeidx-cli-'));
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));
  return {
    ws: () => ws,
    dbFile: () => join(ws, '.vscode', 'codeidx.db'),
    cli: (args, options = {}) => {
      const r = spawnSync(process.execPath, [CLI, ...args], {
        cwd: ws,
        input: options.input ?? '',
        env: { ...process.env, CODEIDX_BACKUP_KEY: '', ...options.env },
        encoding: 'utf8',
        timeout: 60_000, // a hung CLI fails the test instead of blocking the suite
      });
      if (r.error) throw r.error; // the CLI did not run at all
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

/** The JSON a command printed on stdout. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape; its assertions check it
export function json<T>(r: Run): T {
  return JSON.parse(r.stdout) as T;
}

/** Copies the indexer's fixture folders of these languages (e.g. `python`) into `dir`. */
export function copyFixtures(dir: string, languages: string[]): void {
  for (const l of languages) cpSync(join(FIXTURES, l), join(dir, l), { recursive: true });
}

/** One import record (a JSON line) with the given definition names. */
export function record(path: string, defs: string[] = ['parseHttpRequest']): string {
  return JSON.stringify({
    path,
    size: 120,
    lastModified: 1_700_000_000_000,
    language: 'typescript',
    definitions: defs.map((name, i) => ({
      name,
      type: 'function',
      line: i + 1,
      column: 0,
      exported: true,
    })),
    imports: [{ module: 'node:http', type: 'es-module', names: ['request'], line: 1 }],
    symbols: [{ name: 'req', kind: 'variable', scope: defs[0], line: 2, column: 4 }],
    tags: [{ tag: 'network', weight: 0.5 }],
  });
}
