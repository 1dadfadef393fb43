// The core's open and refusal policy: what codeidx may create, move or write, and what it asks
// first. Service-level tests use the core directly; the CLI ones run the built `dist/cli.js`.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { DatabaseClient } from '../../src/storage/worker/client.ts';
import { loadMigrations } from '../../src/storage/migrations/loader.ts';
import { APPLICATION_ID } from '../../src/storage/database/connection.ts';
import { CodeidxError } from '../../src/storage/errors.ts';
import { planTarget, shouldAutoMigrate } from '../../src/storage/policy.ts';
import { DatabaseService } from '../../src/storage/service.ts';
import {
  fileRecord as record,
  jsonLines as lines,
  rejectsWith,
  tempServices,
  throwsWith,
} from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The build's latest schema version. */
const LATEST = loadMigrations().length;
const CLI = join(ROOT, 'dist', 'cli.js');

describe('Open and refusal policy', function () {
  const { ws, open, dbFile, closeAll } = tempServices('policy');

  describe('in the core', () => {
    // Ensure a read-only open never creates a folder or a file, and names the way to create one.
    it('a read-only open of a folder without a database creates nothing and says how to create one', async () => {
      const error = await rejectsWith(open({ readOnly: true }), 'NO_DATABASE');
      assert.match(error.message, /no codeidx database/);
      assert.equal(error.fix?.cli, 'codeidx migrate');
      assert.equal(existsSync(join(ws(), '.vscode')), false, 'no folder was created');
      const report = await DatabaseService.healthOf({ workspace: ws() });
      assert.equal(report.status, 'unhealthy');
      assert.equal(report.checks[0]!.fix?.cli, 'codeidx migrate');
      assert.equal(existsSync(join(ws(), '.vscode')), false);
    });

    // Ensure a file that is not an SQLite database is refused and left byte for byte.
    it('refuses a file that is not a database and leaves it exactly as it is', async () => {
      const notes = join(ws(), 'notes.txt');
      writeFileSync(notes, 'my notes\n'.repeat(100));
      const before = readFileSync(notes);
      for (const options of [{}, { readOnly: true }, { migrate: false }]) {
        const error = await rejectsWith(open({ dbPath: notes, ...options }), 'CORRUPT');
        assert.match(error.message, /not an SQLite database.*left as it is/);
      }
      assert.deepEqual(readFileSync(notes), before);
      assert.deepEqual(readdirSync(ws()), ['notes.txt'], 'nothing created beside it');
    });

    // Ensure version 0 (after rollback --to 0, with sqlite_stat1 left by ANALYZE) is still ours.
    it('keeps a database rolled back to version 0 as codeidx\u2019s own', async () => {
      const s = await open();
      await s.importRecords(lines([record('src/a.ts')]));
      s.connection.exec('ANALYZE');
      await s.rollback({ to: 0 });
      assert.equal(s.connection.pragma('application_id', { simple: true }), APPLICATION_ID);
      closeAll();
      const raw = new Database(dbFile());
      assert.ok(
        raw.prepare("SELECT 1 FROM sqlite_schema WHERE name LIKE 'sqlite_stat%'").get(),
        'ANALYZE left its table',
      );
      raw.pragma('application_id = 0'); // as a build before this fix left it
      raw.close();
      const again = await open();
      assert.equal(again.notice, undefined, 'not moved aside');
      assert.equal(again.status().currentVersion, LATEST, 'migrated up again');
    });

    // Ensure one rule decides a target: below the current version asks, like rollback.
    it('migrateTo a lower version needs confirmation, and plans name what goes', async () => {
      const s = await open();
      const plan = s.planTarget(1);
      assert.equal(plan.direction, 'down');
      assert.match(plan.confirm!.detail, /002 add_fts_index/);
      await rejectsWith(s.migrateTo({ to: 1 }), 'CONFIRMATION_REQUIRED');
      assert.equal(s.status().currentVersion, LATEST, 'nothing was changed');
      const down = await s.migrateTo({ to: 1, confirmed: true });
      assert.equal(down.toVersion, 1);
      assert.equal(s.planTarget().direction, 'up');
      assert.equal(s.planTarget(1).direction, 'none');
      throwsWith(() => s.planTarget(5), 'INVALID_ARGUMENT');
      assert.equal(shouldAutoMigrate(s.status(), true), true);
      assert.equal(shouldAutoMigrate(s.status(), false), false);
      assert.equal(planTarget(s.status(), 0).steps.length, 1);
    });

    // Ensure a database of a newer build is read, never written: every write refuses alike.
    it('refuses every write to a newer database with the same message, and still reads it', async () => {
      const s = await open();
      await s.importRecords(lines([record('src/a.ts')]));
      s.connection.pragma('user_version = 7');
      closeAll();
      const before = readFileSync(dbFile());
      const n = await open();
      const refusals = [
        await rejectsWith(n.importRecords(lines([record('src/b.ts')])), 'DATABASE_NEWER'),
        await rejectsWith(n.rebuildFts(), 'DATABASE_NEWER'),
        await rejectsWith(n.maintenance({ vacuum: true }), 'DATABASE_NEWER'),
        await rejectsWith(n.migrate(), 'DATABASE_NEWER'),
        await rejectsWith(n.rollback({ to: 1 }), 'DATABASE_NEWER'),
        await rejectsWith(n.repair(), 'DATABASE_NEWER'),
      ];
      assert.equal(new Set(refusals.map((e) => e.message)).size, 1, 'one message for all');
      assert.match(refusals[0]!.message, /newer than this build.*never writes/);
      assert.equal(n.migrationError?.message, refusals[0]!.message);
      // A newer schema is no "lower target": it is refused, not offered as a rollback.
      await rejectsWith(n.migrateTo(), 'DATABASE_NEWER');
      await rejectsWith(n.migrateTo({ to: 1, confirmed: true }), 'DATABASE_NEWER');
      assert.deepEqual(n.connection.prepare('SELECT path FROM files').pluck().all(), ['src/a.ts']);
      closeAll();
      assert.deepEqual(readFileSync(dbFile()), before, 'the file is unchanged');
    });

    // Ensure a search on a drifted database fails with the drift and its fix, not bare SQLite.
    it('answers a search on a database with a planted trigger with the drift error and its fix', async () => {
      const s = await open();
      await s.importRecords(lines([record('src/a.ts')]));
      closeAll();
      const raw = new Database(dbFile());
      raw.exec(
        "CREATE TRIGGER planted AFTER INSERT ON files BEGIN SELECT load_extension('/tmp/x.so'); END",
      );
      raw.close();
      for (const readOnly of [false, true]) {
        const d = await open({ readOnly });
        let error: unknown;
        try {
          d.search('parseHttpRequest');
        } catch (err) {
          error = err;
        }
        // The planted trigger makes preparing the repository fail ("unsafe use of load_extension").
        assert.ok(error instanceof CodeidxError, String(error));
        assert.equal(error.code, 'SCHEMA_DRIFT');
        assert.equal(error.fix?.cli, 'codeidx repair');
        const drift = d.status().problems.find((p) => p.kind === 'schema-drift');
        assert.ok(drift, 'status lists the drift');
        assert.match(drift.message, /trigger "planted"/);
        closeAll();
      }
    });
  });

  describe('through the worker (the extension\u2019s way in)', () => {
    // Ensure the extension gets the same rules: a lower target asks, a refusal brings its fix.
    it('refuses a lower migrate target without confirmation, and sends the drift fix across', async () => {
      const { client, opened } = await DatabaseClient.open({ workspace: ws() });
      try {
        assert.equal(opened.status.currentVersion, 0);
        await client.migrate();
        await assert.rejects(client.migrate({ to: 1 }), (err: CodeidxError) => {
          assert.equal(err.code, 'CONFIRMATION_REQUIRED');
          assert.match(err.hint ?? '', /002 add_fts_index/);
          return true;
        });
        assert.equal((await client.status()).currentVersion, LATEST, 'nothing was dropped');
      } finally {
        await client.close();
      }
      const raw = new Database(dbFile());
      raw.exec('CREATE TRIGGER planted AFTER INSERT ON files BEGIN SELECT 1; END');
      raw.close();
      const again = await DatabaseClient.open({ workspace: ws() });
      try {
        await assert.rejects(again.client.rebuildFts(), (err: CodeidxError) => {
          assert.equal(err.code, 'SCHEMA_DRIFT');
          assert.deepEqual(err.fix?.command, 'codeidx.repair');
          return true;
        });
      } finally {
        await again.client.close();
      }
    });
  });

  describe('through the CLI', function () {
    interface Run {
      code: number | null;
      stdout: string;
      stderr: string;
    }
    const cli = (args: string[], options: { input?: string; uid?: number } = {}): Run => {
      const r = spawnSync(process.execPath, [CLI, ...args], {
        cwd: ws(),
        input: options.input ?? '',
        env: { ...process.env, CODEIDX_BACKUP_KEY: '' },
        encoding: 'utf8',
        ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
      });
      if (r.error) throw r.error;
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    before(function () {
      this.timeout(60_000);
      execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT });
    });

    // Ensure no command renames, replaces or creates a file it was pointed at by mistake.
    it('leaves a text file given as --db exactly as it is, whatever the command', () => {
      writeFileSync(join(ws(), 'notes.txt'), 'my notes\n'.repeat(100));
      const before = readFileSync(join(ws(), 'notes.txt'));
      for (const args of [
        ['search', 'foo'],
        ['import', '-'],
        ['rebuild-fts'],
        ['maintenance'],
        ['migrate'],
        ['status'],
        ['health'],
      ]) {
        const r = cli([...args, '--db', 'notes.txt'], {
          input: JSON.stringify(record('src/a.ts')),
        });
        assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
        assert.match(r.stdout + r.stderr, /not an SQLite database/);
      }
      assert.deepEqual(readFileSync(join(ws(), 'notes.txt')), before);
      assert.deepEqual(readdirSync(ws()), ['notes.txt'], 'nothing renamed or created');
    });

    // Ensure read commands on a folder without a database create nothing and say what to do.
    it('status, health and search on a folder without a database create nothing', () => {
      for (const args of [['status'], ['health'], ['search', 'x'], ['status', '--json']]) {
        const r = cli(args);
        assert.equal(r.code, 1, args.join(' '));
        assert.match(r.stdout + r.stderr, /no codeidx database.*codeidx migrate/);
      }
      assert.deepEqual(readdirSync(ws()), [], 'no .vscode folder');
    });

    // Ensure status is a pure read: the file's bytes are the same after it.
    it('status and health never change the file', () => {
      cli(['migrate']);
      cli(['import', '-'], {
        input: Array.from({ length: 50 }, (_, i) => JSON.stringify(record(`src/f${i}.ts`))).join(
          '\n',
        ),
      });
      // A file in rollback-journal mode (as the sqlite3 shell or a restored backup may leave it):
      // a read must not switch it to WAL, which rewrites the header.
      const raw = new Database(dbFile());
      raw.pragma('journal_mode = DELETE');
      raw.close();
      const before = readFileSync(dbFile());
      assert.equal(cli(['status']).code, 0);
      assert.equal(cli(['health']).code, 0);
      assert.equal(cli(['search', 'parseHttpRequest']).code, 0);
      assert.deepEqual(readFileSync(dbFile()), before);
    });

    // Ensure counts are checked per option, and a target that does not exist is a usage error.
    it('validates --limit, --batch-size and --to as usage errors (exit 2)', () => {
      cli(['migrate']);
      for (const [args, message] of [
        [['search', 'x', '--limit', '0'], /--limit takes a whole number of at least 1/],
        [['search', 'x', '--limit', 'abc'], /--limit takes a whole number/],
        [['import', '-', '--batch-size', '0'], /--batch-size takes a whole number/],
        [['migrate', '--to', '9'], new RegExp(`Target version 9 does not exist.*0 to ${LATEST}`)],
        [['rollback', '--to', '9', '--yes'], /Target version 9 does not exist/],
      ] as const) {
        const r = cli([...args]);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /version number/);
      }
    });

    // Ensure migrate --to below the current version asks as rollback does, then backs up.
    it('migrate --to a lower version asks for --yes like rollback, then rolls back after a backup', () => {
      cli(['migrate']);
      cli(['import', '-'], { input: JSON.stringify(record('src/a.ts')) });
      const refused = cli(['migrate', '--to', '1']);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /--yes/);
      const status = JSON.parse(cli(['status', '--json']).stdout) as { currentVersion: number };
      assert.equal(status.currentVersion, LATEST, 'nothing dropped without a yes');
      const r = cli(['migrate', '--to', '1', '--yes', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout) as { toVersion: number; backup?: string };
      assert.equal(result.toVersion, 1);
      assert.ok(result.backup && existsSync(result.backup), 'a backup was taken first');
    });

    // Ensure status shows drift instead of "Problems none".
    it('status lists schema drift among the problems', () => {
      cli(['migrate']);
      const db = new Database(dbFile());
      db.exec('CREATE TRIGGER planted AFTER INSERT ON files BEGIN SELECT 1; END');
      db.close();
      const r = cli(['status']);
      assert.match(r.stdout, /trigger "planted"/);
      assert.doesNotMatch(r.stdout, /Problems {2}none/);
      assert.match(r.stdout, /codeidx repair/);
    });

    // Ensure of eight processes migrating at once, only the one that migrates backs up.
    it('eight concurrent migrators take one backup', async function () {
      this.timeout(120_000);
      cli(['migrate', '--to', '1']);
      const db = new Database(dbFile());
      db.prepare(
        "INSERT INTO files (path, filename, extension, size, last_modified, hash, language, indexed_at) VALUES ('src/a.ts', 'a.ts', '.ts', 1, 1, ?, 'typescript', 1)",
      ).run('0'.repeat(64));
      db.close();
      const runs = await Promise.all(
        Array.from(
          { length: 8 },
          () =>
            new Promise<{ code: number | null; out: string }>((resolve) => {
              const child = spawn(process.execPath, [CLI, 'migrate', '--json'], {
                cwd: ws(),
                stdio: ['ignore', 'pipe', 'pipe'],
              });
              let out = '';
              child.stdout.on('data', (d: Buffer) => (out += d.toString()));
              child.stderr.on('data', (d: Buffer) => (out += d.toString()));
              // 'close' fires once whatever the timing; listening before any await is race-free.
              child.on('close', (code) => resolve({ code, out }));
            }),
        ),
      );
      for (const r of runs) assert.equal(r.code, 0, r.out);
      const backups = readdirSync(join(ws(), '.vscode', 'codeidx-backups'));
      assert.equal(backups.length, 1, backups.join(', '));
    });

    // Ensure a read-only database file still serves reads and health names the real cause.
    // Root ignores file modes, so as root the CLI runs as the unprivileged user "nobody".
    it('serves reads from a 0400 database; health and writes name the permissions and the chmod', function () {
      const root = process.getuid?.() === 0;
      const uid = root ? 65534 : undefined;
      const own = (): void => {
        if (!root) return;
        for (const f of [ws(), join(ws(), '.vscode'), ...readdirSync(join(ws(), '.vscode'))])
          chownSync(f.startsWith('/') ? f : join(ws(), '.vscode', f), 65534, 65534);
      };
      cli(['migrate']);
      cli(['import', '-'], { input: JSON.stringify(record('src/a.ts')) });
      own();
      chmodSync(dbFile(), 0o400);
      const search = cli(['search', 'parseHttpRequest', '--json'], { uid });
      assert.equal(search.code, 0, search.stderr);
      assert.deepEqual(
        (JSON.parse(search.stdout) as { path: string }[]).map((r) => r.path),
        ['src/a.ts'],
      );
      assert.equal(cli(['status'], { uid }).code, 0);
      const health = cli(['health'], { uid });
      assert.equal(health.code, 1);
      assert.match(health.stdout, /FAIL writable .*codeidx\.db/);
      assert.match(health.stdout, /fix: chmod u\+w .*codeidx\.db/);
      assert.doesNotMatch(health.stdout, /index is damaged|FAIL fts/);
      const repair = cli(['repair', '--yes'], { uid });
      assert.equal(repair.code, 1);
      assert.match(repair.stderr, /read-only for you.*chmod u\+w/);
      const write = cli(['import', '-'], { input: JSON.stringify(record('src/b.ts')), uid });
      assert.equal(write.code, 1);
      assert.match(write.stderr, /read-only for you.*Fix: `chmod u\+w/);

      // The file is fixed, but a 0400 -shm is left behind: health names it.
      chmodSync(dbFile(), 0o600);
      writeFileSync(`${dbFile()}-shm`, Buffer.alloc(32768));
      own();
      chmodSync(`${dbFile()}-shm`, 0o400);
      const shm = cli(['health'], { uid });
      assert.match(shm.stdout, /FAIL writable .*codeidx\.db-shm/);
      const blocked = cli(['import', '-'], { input: JSON.stringify(record('src/b.ts')), uid });
      assert.equal(blocked.code, 1);
      assert.match(blocked.stderr, /codeidx\.db-shm.*not writable/);
      chmodSync(`${dbFile()}-shm`, 0o600);
      const ok = cli(['import', '-'], { input: JSON.stringify(record('src/b.ts')), uid });
      assert.equal(ok.code, 0, ok.stderr);
      assert.ok(statSync(dbFile()).size > 0);
    });
  });
});
