import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openConnection } from '../src/storage/database/connection.ts';
import type { CodeidxError } from '../src/storage/errors.ts';
import {
  importJsonLines,
  MAX_BATCH_BYTES,
  MAX_REPORTED_ERRORS,
} from '../src/storage/index/importer.ts';
import { Repository } from '../src/storage/index/repository.ts';
import { startChild } from './fixtures/child-process.ts';
import { fileRecord, jsonLines, tempDatabases } from './helpers.ts';

const IMPORT_CHILD = fileURLToPath(new URL('./fixtures/import-child.ts', import.meta.url));
const LOCK_HOLDER = fileURLToPath(new URL('./fixtures/lock-holder.ts', import.meta.url));

describe('import streaming and strict mode', () => {
  const t = tempDatabases();

  it('reads no further than one batch ahead of what it has written (memory does not grow with input)', async () => {
    const db = t.open();
    let pulled = 0;
    // eslint-disable-next-line @typescript-eslint/require-await -- a stand-in for a stream, async like one
    async function* endless(): AsyncGenerator<string> {
      for (let i = 0; ; i++) {
        pulled++;
        yield JSON.stringify(fileRecord(`src/f${i}.ts`, [`name${i}`]));
      }
    }
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const seen: number[] = [];
    await assert.rejects(
      importJsonLines(db, endless(), {
        batchSize: 50,
        cancel,
        onProgress: (e) => {
          seen.push(pulled);
          if (e.done === 150) Atomics.store(cancel, 0, 1);
        },
      }),
      (err: CodeidxError) => err.code === 'CANCELLED',
    );
    // At each batch's progress event exactly that batch's lines have been read: an endless
    // input is consumed batch by batch, never buffered whole.
    assert.deepEqual(seen, [50, 100, 150]);
    assert.equal(db.prepare('SELECT count(*) FROM files').pluck().get(), 150);
  });

  // Ensure a batch is bounded in bytes as well as in lines: 500 records of a few MB each would
  // otherwise be held at once.
  it('writes a batch once it holds MAX_BATCH_BYTES of input, before batchSize lines', async () => {
    const db = t.open();
    const doc = 'x'.repeat(MAX_BATCH_BYTES / 4);
    const lines = Array.from({ length: 10 }, (_, i) => {
      const r = fileRecord(`src/big${i}.ts`);
      r.definitions![0]!.docstring = doc;
      return `${JSON.stringify(r)}\n`;
    });
    const done: number[] = [];
    const report = await importJsonLines(db, Readable.from(lines.map((l) => Buffer.from(l))), {
      onProgress: (e) => done.push(e.done!),
    });
    assert.equal(report.files, 10);
    assert.deepEqual(done, [4, 8, 10], 'four lines of a quarter each fill a batch');
    assert.equal(db.prepare('SELECT count(*) FROM search_index').pluck().get(), 10);
  });

  // Ensure an input of nothing but bad lines cannot fill the memory with error messages.
  it('lists the first MAX_REPORTED_ERRORS bad lines and counts them all', async () => {
    const db = t.open();
    const n = MAX_REPORTED_ERRORS + 250;
    const input = Readable.from([Buffer.from('{"path":\n'.repeat(n))]);
    const report = await importJsonLines(db, input);
    assert.equal(report.errorCount, n);
    assert.equal(report.errors.length, MAX_REPORTED_ERRORS);
    assert.deepEqual(
      report.errors.slice(0, 3).map((e) => e.line),
      [1, 2, 3],
    );
  });

  // Ensure a re-import of unchanged files only looks them up: no trigger DDL (which would
  // re-prepare every statement), nothing written.
  it('skips unchanged files without touching the schema or writing', async () => {
    const db = t.open();
    const records = Array.from({ length: 30 }, (_, i) => fileRecord(`src/f${i}.ts`, [`n${i}`]));
    await importJsonLines(db, jsonLines(records), { batchSize: 10 });
    const schemaVersion = db.pragma('schema_version', { simple: true });
    const changes = db.prepare('SELECT total_changes()').pluck().get();
    const report = await importJsonLines(db, jsonLines(records), { batchSize: 10 });
    assert.equal(report.unchanged, 30);
    assert.equal(report.files, 0);
    assert.equal(db.pragma('schema_version', { simple: true }), schemaVersion);
    assert.equal(db.prepare('SELECT total_changes()').pluck().get(), changes);
  });

  // Ensure an import leaves no large WAL behind and merges index segments: the database must not
  // grow round after round of re-imports.
  it('checkpoints and truncates the WAL after an import that wrote files', async () => {
    const db = t.open();
    const records = Array.from({ length: 200 }, (_, i) => fileRecord(`src/f${i}.ts`, [`n${i}`]));
    await importJsonLines(db, jsonLines(records), { batchSize: 20 });
    assert.equal(statSync(`${db.name}-wal`).size, 0, 'the WAL was truncated');
    assert.equal(db.prepare('SELECT count(*) FROM search_index').pluck().get(), 200);
    assert.equal(db.pragma('busy_timeout', { simple: true }), 5000, 'the busy timeout is back');
  });

  it('with strict, a row the database refuses in a later batch rolls back every batch', async () => {
    const db = t.open();
    db.exec('CREATE UNIQUE INDEX test_unique_name ON definitions (name)');
    const schema = (): unknown[] =>
      db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all();
    const before = schema();
    const records = Array.from({ length: 10 }, (_, i) => fileRecord(`src/f${i}.ts`, [`n${i}`]));
    records.push(fileRecord('src/dup.ts', ['n3'])); // line 11, third batch: unique index refuses it
    await assert.rejects(
      importJsonLines(db, jsonLines(records), { strict: true, batchSize: 4 }),
      (err: CodeidxError) =>
        err.code === 'IMPORT_INVALID' && /Line 11: .*UNIQUE constraint failed/.test(err.message),
    );
    assert.equal(db.prepare('SELECT count(*) FROM files').pluck().get(), 0);
    assert.equal(db.prepare('SELECT count(*) FROM search_index').pluck().get(), 0);
    assert.deepEqual(schema(), before, 'the sync triggers are all there');
    assert.equal(db.inTransaction, false);
  });
});

describe('writers wait for each other', () => {
  const t = tempDatabases();

  /** A JSON lines file of `n` records under `prefix/`, 20 definitions each. */
  const recordsFile = (prefix: string, n: number): string => {
    const file = join(t.dir(), `${prefix}.jsonl`);
    const names = Array.from({ length: 20 }, (_, k) => `name${k}`);
    writeFileSync(
      file,
      Array.from({ length: n }, (_, i) =>
        JSON.stringify(fileRecord(`${prefix}/f${i}.ts`, names)),
      ).join('\n'),
    );
    return file;
  };

  // Ensure two imports started at once both finish: each batch takes the write lock with BEGIN
  // IMMEDIATE (a deferred transaction that read first failed at once with "database is locked").
  it('two processes importing into one database at once both succeed with all their rows', async () => {
    t.open().close();
    const dbPath = join(t.dir(), 'test.db');
    const files = [recordsFile('a', 1500), recordsFile('b', 1500)];
    const children = files.map((file) => startChild(IMPORT_CHILD, [dbPath, file]));
    const results = await Promise.all(children.map((c) => c.exited));
    assert.deepEqual(
      results.map((r) => r.code),
      [0, 0],
      'both imports exit 0',
    );
    const db = openConnection(dbPath);
    try {
      const count = (sql: string): unknown => db.prepare(sql).pluck().get();
      assert.equal(count("SELECT count(*) FROM files WHERE path LIKE 'a/%'"), 1500);
      assert.equal(count("SELECT count(*) FROM files WHERE path LIKE 'b/%'"), 1500);
      assert.equal(count('SELECT count(*) FROM definitions'), 3000 * 20);
      assert.equal(count('SELECT count(*) FROM search_index'), 3000);
    } finally {
      db.close();
    }
  });

  // Ensure a writer that finds the lock held waits for it (busy timeout) instead of failing.
  it('an import waits while another connection holds the write lock, then succeeds', async () => {
    t.open().close();
    const dbPath = join(t.dir(), 'test.db');
    const holder = startChild(LOCK_HOLDER, [dbPath, '400']);
    await holder.waitFor((out) => out.includes('locked'), 'it held the lock');
    const db = openConnection(dbPath);
    try {
      const report = await importJsonLines(
        db,
        jsonLines([fileRecord('src/a.ts'), fileRecord('src/b.ts')]),
      );
      assert.equal(report.files, 2);
      assert.equal((await holder.exited).code, 0);
      // The holder's row and ours: both writers committed.
      assert.deepEqual(db.prepare('SELECT path FROM files ORDER BY id').pluck().all(), [
        'held/by-holder.ts',
        'src/a.ts',
        'src/b.ts',
      ]);
    } finally {
      db.close();
    }
  });

  // Ensure the repository's single writes wait too: their lookup before the write must not
  // leave them holding a read lock that cannot be upgraded.
  it('a repository write waits while another connection holds the write lock', async () => {
    t.open().close();
    const dbPath = join(t.dir(), 'test.db');
    const holder = startChild(LOCK_HOLDER, [dbPath, '400']);
    await holder.waitFor((out) => out.includes('locked'), 'it held the lock');
    const db = openConnection(dbPath);
    try {
      assert.equal(new Repository(db).upsertFile(fileRecord('src/a.ts')).changed, true);
      assert.equal((await holder.exited).code, 0);
      assert.equal(db.prepare('SELECT count(*) FROM files').pluck().get(), 2);
    } finally {
      db.close();
    }
  });
});
