import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { loadMigrations } from '../src/storage/migrations/loader.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function record(path: string, defs: string[] = ['parseHttpRequest']): string {
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

describe('codeidx CLI', function () {
  let ws: string;
  const dbFile = (): string => join(ws, '.vscode', 'codeidx.db');
  const cli = (
    args: string[],
    options: { input?: string; env?: Record<string, string> } = {},
  ): Run => {
    const r = spawnSync(process.execPath, [CLI, ...args], {
      cwd: ws,
      input: options.input ?? '',
      env: { ...process.env, CODEIDX_BACKUP_KEY: '', ...options.env },
      encoding: 'utf8',
      timeout: 60_000, // a hung CLI fails the test instead of blocking the suite
    });
    if (r.error) throw r.error; // the CLI did not run at all
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const json = <T>(r: Run): T => JSON.parse(r.stdout) as T;

  before(function () {
    this.timeout(60_000);
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, timeout: 60_000 });
  });
  beforeEach(() => {
    ws = mkdtempSync(join(tmpdir(), 'codeidx-cli-'));
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  it('migrate creates .vscode/codeidx.db (0600) in the current folder and shows the status', () => {
    const r = cli(['migrate']);
    assert.equal(r.code, 0, r.stderr);
    const latest = loadMigrations().length;
    assert.match(r.stdout, new RegExp(`Applied ${latest} migration\\(s\\) \\(0 → ${latest}\\)`));
    assert.match(r.stdout, new RegExp(`Version {3}${latest} of ${latest} \\(up to date\\)`));
    assert.equal(statSync(dbFile()).mode & 0o777, 0o600);
    const again = cli(['migrate', '--workspace', ws]);
    assert.match(again.stdout, /Nothing to do/);
  });

  it('status --json has the documented fields', () => {
    cli(['migrate', '--to', '1']);
    const s = json<{
      currentVersion: number;
      latestVersion: number;
      applied: {
        version: number;
        name: string;
        checksum: string;
        appliedAt: string;
        executionMs: number;
      }[];
      pending: { version: number }[];
      problems: unknown[];
    }>(cli(['status', '--json']));
    assert.equal(s.currentVersion, 1);
    assert.equal(s.latestVersion, loadMigrations().length);
    assert.deepEqual(Object.keys(s.applied[0]!).sort(), [
      'appliedAt',
      'checksum',
      'executionMs',
      'name',
      'version',
    ]);
    assert.deepEqual(
      s.pending.map((p) => p.version),
      Array.from({ length: loadMigrations().length - 1 }, (_, i) => i + 2),
    );
    assert.deepEqual(s.problems, []);
  });

  it('migrate --dry-run prints the SQL and changes nothing', () => {
    const r = cli(['migrate', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Dry run: would run ${loadMigrations().length} step\\(s\\)`));
    assert.match(r.stdout, /CREATE TABLE/);
    assert.equal(json<{ currentVersion: number }>(cli(['status', '--json'])).currentVersion, 0);
  });

  it('exits 2 with the usage on a usage error', () => {
    for (const args of [
      ['frobnicate'],
      ['migrate', '--to', 'two'],
      ['status', '--db', 'a', '--workspace', 'b'],
      ['search'],
      ['rollback'],
      [],
    ]) {
      const r = cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.trim().length > 0);
    }
    assert.equal(cli(['--help']).code, 0);
    assert.match(cli(['import', '--help']).stdout, /Usage: codeidx import FILE\|-/);
  });

  it('rollback asks for --yes without a terminal, then rolls back after a backup', () => {
    cli(['migrate']);
    cli(['import', '-'], { input: record('src/a.ts') + '\n' });
    const refused = cli(['rollback', '--to', '1']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--yes/);
    const r = cli(['rollback', '--to', '1', '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = json<{ toVersion: number; backup: string }>(r);
    assert.equal(result.toVersion, 1);
    assert.ok(existsSync(result.backup), 'a backup was taken first');
  });

  it('imports JSON lines from stdin, reports a bad line by number and loads the rest', () => {
    cli(['migrate']);
    const input = [
      record('src/a.ts'),
      '{"path": "broken"',
      record('src/b.ts', ['parse_http_request']),
    ].join('\n');
    const r = cli(['import', '-', '--json'], { input });
    assert.equal(r.code, 1, 'a bad line makes the exit code 1');
    const report = json<{ files: number; errors: { line: number }[] }>(r);
    assert.equal(report.files, 2);
    assert.deepEqual(
      report.errors.map((e) => e.line),
      [2],
    );
    const results = json<{ path: string; score: number }[]>(
      cli(['search', 'http request', '--json']),
    );
    assert.deepEqual(results.map((x) => x.path).sort(), ['src/a.ts', 'src/b.ts']);
    assert.ok(results.every((x) => typeof x.score === 'number'));
  });

  it('search survives FTS5 syntax in the text', () => {
    cli(['migrate']);
    cli(['import', '-'], { input: record('src/a.ts') });
    for (const text of [
      '"',
      'NEAR(',
      'foo-bar',
      'a AND OR NOT',
      '*',
      '^x',
      "'; DROP TABLE files; --",
    ]) {
      const r = cli(['search', text, '--json']);
      assert.ok(
        r.code === 0 || (r.code === 1 && /codeidx search: /.test(r.stderr)),
        `${text}: ${r.stderr}`,
      );
      assert.doesNotMatch(r.stderr, /SqliteError|fts5: syntax error/);
    }
  });

  it('health exits 0 when healthy and 1 with the named object when a trigger was planted', () => {
    cli(['migrate']);
    const ok = cli(['health', '--json']);
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal(json<{ status: string }>(ok).status, 'healthy');
    const db = new Database(dbFile());
    db.exec('CREATE TRIGGER planted AFTER INSERT ON files BEGIN SELECT 1; END');
    db.close();
    const bad = cli(['health']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /UNHEALTHY/);
    assert.match(bad.stdout, /trigger "planted"/);
    assert.match(bad.stdout, /fix: codeidx repair/);
    const blocked = cli(['import', '-'], { input: record('src/a.ts') });
    assert.equal(blocked.code, 1);
    assert.match(blocked.stderr, /Writes are blocked.*codeidx repair/);
    const repaired = cli(['repair', '--yes']);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stdout, /Moved the old database to .*codeidx\.db\.repair-/);
    assert.equal(cli(['health']).code, 0);
  });

  it('refuses a changed checksum with the fix, and repair --accept-checksums accepts it', () => {
    cli(['migrate']);
    const db = new Database(dbFile());
    db.prepare("UPDATE schema_migrations SET checksum = 'sha256:0000' WHERE version = 2").run();
    db.close();
    const r = cli(['migrate']);
    assert.equal(r.code, 1, 'a run is refused while an applied migration changed');
    assert.equal(cli(['status', '--json']).code, 0);
    const status = json<{ problems: { kind: string }[] }>(cli(['status', '--json']));
    assert.equal(status.problems[0]!.kind, 'checksum-mismatch');
    const rb = cli(['rollback', '--to', '1', '--yes']);
    assert.equal(rb.code, 1);
    assert.match(
      rb.stderr,
      /002_add_fts_index changed after it was applied: recorded sha256:0000.*codeidx repair --accept-checksums/,
    );
    const fixed = cli(['repair', '--accept-checksums', '--yes']);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /Accepted the current checksums of migration\(s\) 2/);
    assert.equal(cli(['health']).code, 0);
  });

  it('refuses a corrupt file on every command but repair, which moves it aside and says where it went', () => {
    const file = dbFile();
    cli(['migrate']);
    writeFileSync(file, Buffer.alloc(8192, 7));
    const health = cli(['health', '--json']);
    assert.equal(health.code, 1);
    assert.equal(json<{ status: string }>(health).status, 'unhealthy');
    for (const args of [['migrate'], ['search', 'x'], ['rebuild-fts'], ['maintenance']]) {
      const refused = cli(args);
      assert.equal(refused.code, 1, args[0]);
      assert.match(refused.stderr, /not an SQLite database.*left as it is.*Fix: `codeidx repair`/);
    }
    assert.deepEqual(
      readdirSync(join(ws, '.vscode')).filter((f) => f.startsWith('codeidx.db.')),
      [],
      'nothing was moved',
    );
    const r = cli(['repair', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /damaged; it was moved to .*codeidx\.db\.corrupt-/);
    assert.doesNotMatch(r.stdout, /will be rebuilt/);
    const kept = readdirSync(join(ws, '.vscode')).filter(
      (f) => f.startsWith('codeidx.db.corrupt-') && !/-(wal|shm)$/.test(f),
    );
    assert.equal(kept.length, 1);
    assert.equal(
      statSync(join(ws, '.vscode', kept[0]!)).size,
      8192,
      'the old file is kept as it was',
    );
  });

  it('backs up, refuses --encrypt without a key, and restores an encrypted backup', () => {
    cli(['migrate']);
    cli(['import', '-'], { input: record('src/a.ts') });
    const noKey = cli(['backup', '--encrypt']);
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /CODEIDX_BACKUP_KEY/);
    const env = { CODEIDX_BACKUP_KEY: 'correct horse battery staple' };
    const b = json<{ path: string; encrypted: boolean; verified: boolean }>(
      cli(['backup', '--encrypt', '--json'], { env }),
    );
    assert.ok(b.encrypted && b.verified);
    assert.equal(statSync(b.path).mode & 0o777, 0o600);
    cli(['import', '-'], { input: record('src/b.ts') });
    const wrong = cli(['restore', b.path, '--yes'], { env: { CODEIDX_BACKUP_KEY: 'wrong' } });
    assert.equal(wrong.code, 1);
    const r = cli(['restore', b.path, '--yes'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /The replaced database was kept at /);
    const paths = json<{ path: string }[]>(cli(['search', 'parseHttpRequest', '--json']));
    assert.deepEqual(
      paths.map((p) => p.path),
      ['src/a.ts'],
      'the restored database has what the backup had',
    );
  });

  it('rebuild-fts reports the count', () => {
    cli(['migrate']);
    cli(['import', '-'], { input: [record('src/a.ts'), record('src/b.ts')].join('\n') });
    const r = cli(['rebuild-fts']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Rebuilt the full-text index: 2 files/);
  });

  it('prints one line naming the Node it needs on a Node without Node-API 10', function () {
    const old = ['/usr/bin/node', '/usr/local/bin/node'].find(
      (p) =>
        existsSync(p) &&
        Number(
          execFileSync(p, ['-p', 'process.versions.napi'], { encoding: 'utf8', timeout: 30_000 }),
        ) < 10,
    );
    if (!old) this.skip();
    const r = spawnSync(old!, [CLI, 'status'], { cwd: ws, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /^codeidx: needs Node\.js 22\.14 or newer \(Node-API 10\); found Node v\d+/,
    );
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
