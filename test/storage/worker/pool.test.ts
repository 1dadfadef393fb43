import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { DatabaseClient, type ClientOptions } from '../../../src/storage/worker/client.ts';
import { openConnection, type Connection } from '../../../src/storage/database/connection.ts';
import { DatabaseService } from '../../../src/storage/service.ts';
import { fileRecord, jsonLines, recorder, rejectsWith } from '../../helpers.ts';

describe('DatabaseClient read pool', () => {
  let ws: string;
  let dbPath: string;
  const clients: DatabaseClient[] = [];
  const holders: Connection[] = [];

  /** A migrated database with `n` files, each defining `parseHttpRequest<i>`. */
  async function seed(n: number): Promise<void> {
    const service = await DatabaseService.open({ dbPath });
    await service.importRecords(
      jsonLines(
        Array.from({ length: n }, (_, i) =>
          fileRecord(`src/f${i}.ts`, [`parseHttpRequest${i}`, 'shared']),
        ),
      ),
    );
    service.close();
  }

  async function open(options: ClientOptions = {}): Promise<DatabaseClient> {
    // A long busy timeout: a write blocked by the test's lock waits for it instead of failing.
    const { client } = await DatabaseClient.open({ dbPath, busyTimeoutMs: 600_000 }, options);
    clients.push(client);
    await client.readersReady();
    return client;
  }

  /** Another connection holds the write lock: the writer's next write waits until release. */
  function holdWriteLock(): () => void {
    const db = openConnection(dbPath);
    holders.push(db);
    db.exec('BEGIN IMMEDIATE');
    return () => {
      if (db.inTransaction) db.exec('COMMIT');
    };
  }

  beforeEach(() => {
    ws = mkdtempSync(join(tmpdir(), 'codeidx-pool-'));
    dbPath = join(ws, 'pool.db');
  });
  afterEach(async () => {
    for (const db of holders.splice(0)) {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
    }
    await Promise.all(clients.splice(0).map((c) => c.close()));
    rmSync(ws, { recursive: true, force: true });
  });

  // Ensure reads are answered while a write runs: the rebuild cannot finish while the lock is
  // held, so every read that resolves meanwhile was served beside it, not after it.
  it('answers searches, lookups, status, health and info while the writer is held in a rebuild', async () => {
    await seed(50);
    const client = await open({ readers: 2 });
    const release = holdWriteLock();
    let rebuilt = false;
    const rebuild = client.rebuildFts().then((r) => {
      rebuilt = true;
      return r;
    });
    const [hits, defs, status, health, info] = await Promise.all([
      client.search({ text: 'http request' }),
      client.findDefinitions({ name: 'parseHttpRequest7' }),
      client.status(),
      client.health(),
      client.info(),
    ]);
    assert.equal(rebuilt, false, 'the reads resolved before the rebuild could finish');
    assert.equal(hits.length, 20);
    assert.equal(defs[0]?.path, 'src/f7.ts');
    assert.equal(status.currentVersion, status.latestVersion);
    assert.equal(health.status, 'healthy', JSON.stringify(health.checks));
    assert.equal(info.schemaVersion, status.latestVersion);
    release();
    assert.equal((await rebuild).rows, 50);
  });

  // Ensure a search split over the two readers answers what one search on one connection does,
  // boosted names and ties at the cut included, and that it did split.
  it('splits a search over two idle readers and merges the same results as one search', async () => {
    await seed(150);
    const log = recorder();
    const client = await open({ readers: 2, logger: log });
    const service = await DatabaseService.open({ dbPath });
    try {
      await client.search({ text: 'shared' }); // learns where to split the file ids
      for (const [text, limit] of [
        ['shared', 20],
        ['http request', 7],
        ['parseHttpRequest42', 5],
        ['parse', 100],
      ] as const) {
        const before = log.entries.length;
        const hits = await client.search({ text, limit });
        assert.deepEqual(hits, service.search(text, { limit }), text);
        assert.ok(
          log.entries.slice(before).some((e) => /split over two readers/.test(e.message)),
          `${text} was not split`,
        );
      }
      // Each reader busy with one part: concurrent searches run whole, one per reader.
      const many = await Promise.all(
        ['shared', 'parse', 'http'].map((text) => client.search({ text })),
      );
      assert.deepEqual(many[1], service.search('parse'));
    } finally {
      service.close();
    }
  });

  // Ensure the queue is bounded: past the limit a call fails at once with QUEUE_FULL.
  it('refuses requests past the queue limit with QUEUE_FULL', async () => {
    await seed(5);
    const client = await open({ readers: 1, maxQueue: 2 });
    // Same tick: the first runs on the reader, two wait, the fourth finds the queue full.
    const calls = [1, 2, 3].map(() => client.search({ text: 'shared' }));
    const err = await rejectsWith(client.search({ text: 'shared' }), 'QUEUE_FULL');
    assert.equal(err.transient, true);
    assert.match(err.hint ?? '', /queueLimit/);
    for (const hits of await Promise.all(calls)) assert.equal(hits.length, 5);
  });

  // Ensure a request past its time limit fails with TIMEOUT and its worker is replaced, not wedged.
  it('times out a write held by another lock, replaces the writer, and serves the next write', async () => {
    await seed(20);
    const client = await open({ readers: 1 });
    const writerBefore = client.threadIds().writer;
    const release = holdWriteLock();
    const err = await rejectsWith(client.rebuildFts({}, { timeoutMs: 100 }), 'TIMEOUT');
    assert.match(err.message, /rebuildFts.*100 ms/);
    assert.notEqual(client.threadIds().writer, writerBefore, 'a new writer took over');
    release();
    assert.equal((await client.rebuildFts()).rows, 20);
    assert.equal((await client.search({ text: 'shared' })).length, 20);
  });

  // Ensure a reader that dies is replaced and the reads it held (running or queued) still resolve.
  it('replaces a killed reader; the reads queued on it resolve', async () => {
    await seed(10);
    const client = await open({ readers: 1 });
    const before = client.threadIds().readers[0];
    const reads = Array.from({ length: 6 }, () => client.search({ text: 'shared' }));
    const exited = client.terminateWorker('reader', 0);
    const results = await Promise.all(reads);
    await exited;
    for (const hits of results) assert.equal(hits.length, 10);
    const after = client.threadIds().readers;
    assert.equal(after.length, 1);
    assert.notEqual(after[0], before, 'a new reader thread serves the pool');
    assert.equal((await client.findDefinitions({ name: 'parseHttpRequest3' })).length, 1);
  });

  // Ensure a reader refusing an unmigrated database offers the migration as a structured fix
  // (each adapter renders it) instead of naming a CLI command in its hint.
  it('a read on an unmigrated database names the migrate fix', async () => {
    await seed(1);
    const service = await DatabaseService.open({ dbPath });
    await service.rollback({ to: 1 });
    service.close();
    const client = await open({ readers: 1 });
    const err = await rejectsWith(client.search({ text: 'shared' }), 'INVALID_ARGUMENT');
    assert.equal(err.fix?.command, 'codeidx.migrate');
    assert.doesNotMatch(err.hint ?? '', /codeidx migrate/);
  });

  // Ensure a writer that dies while writing fails that write clearly, and the next requests run
  // on a new writer.
  it('fails the write a killed writer was running with WORKER_EXITED and carries on', async () => {
    await seed(10);
    const client = await open();
    const release = holdWriteLock();
    const rebuild = client.rebuildFts();
    const status = client.status(); // queued behind the rebuild on the writer (no readers)
    const exited = client.terminateWorker('writer');
    release(); // the blocked statement returns, and the thread ends before it can commit
    const err = await rejectsWith(rebuild, 'WORKER_EXITED');
    assert.match(err.message, /rebuildFts/);
    // The log is offered as a structured fix (each adapter renders it), not named in the hint.
    assert.equal(err.fix?.command, 'codeidx.showLog');
    assert.doesNotMatch(err.hint ?? '', /CodeIdx:/);
    await exited;
    assert.equal((await status).currentVersion, (await status).latestVersion);
    assert.equal((await client.search({ text: 'shared' })).length, 10);
  });

  // Ensure restore closes the readers around the file swap and fresh readers see the new file.
  it('reopens the readers after a restore', async () => {
    await seed(3);
    const client = await open({ readers: 2 });
    const backup = await client.backup();
    await client.rebuildFts();
    const writer = openConnection(dbPath);
    holders.push(writer);
    writer.prepare('DELETE FROM files WHERE path = ?').run('src/f0.ts');
    assert.equal((await client.search({ text: 'shared' })).length, 2);
    const readersBefore = client.threadIds().readers;
    await client.restore({ file: backup.path });
    assert.equal((await client.search({ text: 'shared' })).length, 3, 'the restored file is read');
    const readersAfter = client.threadIds().readers;
    assert.equal(readersAfter.length, 2);
    assert.ok(readersAfter.every((id) => !readersBefore.includes(id)));
  });

  // Ensure close ends every thread it started: each 'worker' event has its 'exit'.
  it('leaves no worker thread after close', async () => {
    await seed(3);
    const started: Worker[] = [];
    let ended = 0;
    const onWorker = (w: Worker): void => {
      started.push(w);
      w.once('exit', () => ended++);
    };
    process.on('worker', onWorker);
    try {
      const client = await open({ readers: 3 });
      await Promise.all([client.search({ text: 'shared' }), client.health(), client.info()]);
      await client.close();
      assert.ok(started.length >= 4, `${started.length} threads started`);
      assert.equal(ended, started.length, 'every thread ended');
      await rejectsWith(client.search({ text: 'shared' }), 'INTERNAL');
    } finally {
      process.off('worker', onWorker);
    }
  });
});
