import assert from 'node:assert/strict';
import {
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { APPLICATION_ID } from '../../src/storage/database/connection.ts';
import { CodeidxError } from '../../src/storage/errors.ts';
import { loadMigrations } from '../../src/storage/migrations/loader.ts';
import { DatabaseService, resolveDatabasePath } from '../../src/storage/service.ts';
import {
  fileRecord as record,
  jsonLines as lines,
  recorder,
  rejectsWith,
  tempServices,
} from '../helpers.ts';

describe('DatabaseService', () => {
  const { ws, open, dbFile, closeAll } = tempServices('svc');

  it('creates .vscode/codeidx.db with mode 0600, safe pragmas and the latest schema', async () => {
    const s = await open();
    assert.equal(s.path, dbFile());
    assert.equal(s.created, true);
    assert.equal(statSync(dbFile()).mode & 0o777, 0o600);
    const db = s.connection;
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.pragma('trusted_schema', { simple: true }), 0);
    assert.equal(db.pragma('application_id', { simple: true }), APPLICATION_ID);
    assert.deepEqual(s.status().pending, []);
    assert.equal(s.health().status, 'healthy');
  });

  it('with recover (repair, the extension), moves a corrupt file aside (kept byte for byte) and creates a new one, saying where it went', async () => {
    const garbage = Buffer.from('this is not a database '.repeat(400));
    writeFileSync(join(ws(), 'x'), '');
    const first = await open();
    first.close();
    writeFileSync(dbFile(), garbage);
    await rejectsWith(open(), 'CORRUPT');
    assert.deepEqual(readFileSync(dbFile()), garbage, 'without recover the file is left alone');
    const s = await open({ recover: true });
    assert.equal(s.notice?.reason, 'corrupt');
    assert.match(s.notice.message, /moved to .*codeidx\.db\.corrupt-/);
    assert.deepEqual(readFileSync(s.notice.movedTo), garbage);
    assert.equal(s.health().status, 'healthy');
  });

  it('reports a truncated database as unhealthy or moves it aside, never serving it silently', async () => {
    const s = await open();
    await s.importRecords(
      lines(Array.from({ length: 300 }, (_, i) => record(`src/f${i}.ts`, [`name${i}`, 'shared']))),
    );
    closeAll();
    const size = statSync(dbFile()).size;
    truncateSync(dbFile(), Math.floor(size / 2));
    let outcome: string;
    try {
      const t = await open({ migrate: false, recover: false });
      outcome = t.health({ full: true }).status;
    } catch (err) {
      outcome = (err as CodeidxError).code;
    }
    assert.ok(['unhealthy', 'CORRUPT'].includes(outcome), `outcome ${outcome}`);
  });

  it('refuses a foreign SQLite file without recover, and moves it aside with recover', async () => {
    const foreign = join(ws(), 'other.db');
    const other = new Database(foreign);
    other.exec(
      "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada')",
    );
    other.close();
    const before = readFileSync(foreign);
    await rejectsWith(
      DatabaseService.open({ dbPath: foreign, recover: false }),
      'FOREIGN_DATABASE',
    );
    assert.deepEqual(readFileSync(foreign), before, 'left alone');
    await rejectsWith(DatabaseService.open({ dbPath: foreign }), 'FOREIGN_DATABASE');
    assert.deepEqual(readFileSync(foreign), before, 'recover is off by default');
    const s = await open({ dbPath: foreign, recover: true });
    assert.equal(s.notice?.reason, 'foreign');
    const kept = new Database(s.notice.movedTo, { readonly: true });
    assert.equal(kept.prepare('SELECT name FROM customers').pluck().get(), 'Ada');
    kept.close();
  });

  it('blocks writes on a hostile file with planted triggers and views, names them, and repair rebuilds it', async () => {
    await open();
    closeAll();
    const raw = new Database(dbFile());
    raw.exec(`CREATE TABLE pwned (x TEXT);
      CREATE TRIGGER evil AFTER INSERT ON files BEGIN INSERT INTO pwned VALUES (load_extension('/tmp/evil.so')); END;
      CREATE VIEW evil_view AS SELECT load_extension('/tmp/evil.so') AS x;`);
    raw.close();
    const h = await open();
    assert.ok(h.writeBlocked, 'writes are blocked');
    const report = h.health();
    assert.equal(report.status, 'unhealthy');
    const drift = report.checks.find((c) => c.name === 'schema-objects')!;
    assert.match(drift.message, /trigger "evil"/);
    assert.match(drift.message, /view "evil_view"/);
    assert.match(drift.message, /table "pwned"/);
    assert.equal(drift.fix?.cli, 'codeidx repair');
    await rejectsWith(h.importRecords(lines([record('src/a.ts')])), 'SCHEMA_DRIFT');
    // trusted_schema=OFF: even a read of the planted view cannot call the function.
    assert.throws(
      () => h.connection.prepare('SELECT * FROM evil_view').all(),
      /unsafe use of load_extension|not authorized|no such function/,
    );
    const repaired = await h.repair();
    assert.equal(repaired.action, 'moved-aside');
    assert.ok(existsSync(repaired.movedTo!));
    assert.equal(h.writeBlocked, undefined);
    assert.equal(h.health().status, 'healthy');
  });

  it('leaves a database newer than the build alone and reports it', async () => {
    const s = await open();
    s.connection.pragma('user_version = 7');
    closeAll();
    const n = await open();
    assert.equal(n.migrationError?.code, 'DATABASE_NEWER');
    assert.match(n.migrationError.hint ?? '', /Update codeidx/);
    assert.equal(n.connection.pragma('user_version', { simple: true }), 7);
    assert.equal(n.health().status, 'unhealthy');
    await rejectsWith(n.rollback({ to: 1 }), 'DATABASE_NEWER');
  });

  it('takes a verified backup before migrating a database that holds data', async () => {
    const s = await open();
    await s.importRecords(lines([record('src/a.ts')]));
    const result = await s.rollback({ to: 1 });
    assert.ok(result.backup && existsSync(result.backup), 'backup before rollback');
    const up = await s.migrate();
    assert.ok(up.backup && existsSync(up.backup), 'backup before migrate');
    assert.equal(readdirSync(join(ws(), '.vscode', 'codeidx-backups')).length, 2);
    assert.deepEqual(
      s.search('parseHttpRequest').map((r) => r.path),
      ['src/a.ts'],
      '002 populated the index from rows that existed before it ran',
    );
  });

  it('does not back up an empty database, and honours autoBackup: false', async () => {
    const s = await open({ migrate: false });
    const result = await s.migrate();
    assert.equal(result.backup, undefined);
    await s.importRecords(lines([record('src/a.ts')]));
    s.close();
    const t = await open({ migrate: false, autoBackup: false });
    const down = await t.rollback({ to: 1 });
    assert.equal(down.backup, undefined);
  });

  it('retries while another connection holds the write lock, then succeeds', async () => {
    const logger = recorder();
    const s = await open({ migrate: false, busyTimeoutMs: 20, logger });
    const holder = new Database(dbFile());
    holder.exec('BEGIN IMMEDIATE');
    // The lock goes when the first retry is announced: after an attempt met it, before the next.
    logger.onEntry = (_level, message) => {
      if (holder.inTransaction && message.startsWith('Retrying')) holder.exec('ROLLBACK');
    };
    const result = await s.migrate();
    holder.close();
    assert.equal(result.toVersion, loadMigrations().length);
    assert.equal(logger.lines.filter((l) => l.startsWith('warn Retrying')).length, 1);
  });

  it('turns a full disk into DISK_FULL and loses nothing already stored', async () => {
    const s = await open();
    await s.importRecords(lines([record('src/keep.ts')]));
    const pages = Number(s.connection.pragma('page_count', { simple: true }));
    s.connection.pragma(`max_page_count = ${pages + 2}`);
    const big = Array.from({ length: 200 }, (_, i) =>
      record(
        `src/big${i}.ts`,
        Array.from({ length: 50 }, (_, j) => `fn${i}_${j}`),
      ),
    );
    let error: unknown;
    try {
      const report = await s.importRecords(lines(big));
      error = report.errors.length ? report.errors[0] : undefined;
    } catch (err) {
      error = err;
    }
    assert.ok(error, 'the import reports the full disk');
    assert.match(
      JSON.stringify(
        error instanceof Error
          ? { m: error.message, c: (error as { code?: unknown }).code }
          : error,
      ),
      /DISK_FULL|full/i,
    );
    assert.deepEqual(
      s.search('parseHttpRequest').map((r) => r.path),
      ['src/keep.ts'],
    );
    assert.equal(s.connection.pragma('integrity_check', { simple: true }), 'ok');
  });

  // Ensure the default location and an explicit file are resolved by one rule.
  it('resolves <workspace>/.vscode/codeidx.db, and an explicit dbPath wins', () => {
    assert.equal(resolveDatabasePath({ workspace: ws() }), dbFile());
    assert.equal(
      resolveDatabasePath({ workspace: ws(), dbPath: join(ws(), 'x.db') }),
      join(ws(), 'x.db'),
    );
  });

  // Ensure an encrypted backup without a key is refused before anything is written.
  it('refuses an encrypted backup without a key, naming the fix that sets one', async () => {
    const s = await open();
    const err = await rejectsWith(s.backup({ encrypt: true }), 'INVALID_ARGUMENT');
    assert.equal(err.fix?.command, 'codeidx.setBackupKey');
    assert.ok(!existsSync(join(ws(), '.vscode', 'codeidx-backups')));
  });
});
