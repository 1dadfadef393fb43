import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseClient } from '../src/storage/worker/client.ts';
import { CodeidxError } from '../src/storage/errors.ts';
import type { Logger } from '../src/storage/log.ts';
import { DatabaseService } from '../src/storage/service.ts';
import type { FileRecordInput, ProgressEvent } from '../src/storage/types.ts';

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<CodeidxError> {
  try {
    await promise;
  } catch (err) {
    // Errors cross the thread boundary as JSON and come back as CodeidxError instances.
    assert.ok(err instanceof CodeidxError, `not a CodeidxError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

function records(n: number): FileRecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    path: `src/file${i}.ts`,
    size: 10 + i,
    lastModified: 1_700_000_000_000,
    language: 'typescript',
    definitions: [
      { name: `parseHttpRequest${i}`, type: 'function', line: 1, column: 0, exported: true },
    ],
    imports: [{ module: './util', type: 'es-module', names: ['x'], line: 1 }],
    tags: [{ tag: 'core', weight: 1 }],
  }));
}

async function* lines(rs: FileRecordInput[]): AsyncIterable<string> {
  for (const r of rs) yield JSON.stringify(r);
}

describe('DatabaseClient (the worker thread)', () => {
  let ws: string;
  const clients: DatabaseClient[] = [];
  const logs: string[] = [];
  const logger: Logger = {
    trace: () => {},
    debug: () => {},
    info: (m) => logs.push(`info ${m}`),
    warn: (m) => logs.push(`warn ${m}`),
    error: (m) => logs.push(`error ${m}`),
  };
  const open = async (args: Parameters<typeof DatabaseClient.open>[0] = {}) => {
    const r = await DatabaseClient.open({ workspace: ws, ...args }, { logger });
    clients.push(r.client);
    return r;
  };

  beforeEach(() => {
    ws = mkdtempSync(join(tmpdir(), 'codeidx-client-'));
    logs.length = 0;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    rmSync(ws, { recursive: true, force: true });
  });

  // Ensure open creates the database without migrating, and migrate reports each step.
  it('opens in the worker and migrates with a progress event per step', async () => {
    const { client, opened } = await open();
    assert.equal(opened.created, true);
    assert.equal(opened.status.currentVersion, 0);
    assert.ok(opened.status.pending.length >= 2);
    assert.match(opened.sqliteVersion, /^3\./);
    const events: ProgressEvent[] = [];
    const result = await client.migrate({}, { onProgress: (e) => events.push(e) });
    assert.equal(result.toVersion, opened.status.latestVersion);
    const steps = events.filter((e) => e.phase === 'migrate' && e.step !== undefined);
    assert.ok(
      steps.some((e) => /^Migrating 3\/3: /.test(e.message)),
      JSON.stringify(events),
    );
    assert.equal((await client.health()).status, 'healthy');
    assert.ok(
      logs.some((l) => l.startsWith('info ')),
      'worker log lines reach the client logger',
    );
  });

  // Ensure a failure in the worker comes back as a CodeidxError with its code and hint.
  it('re-creates CodeidxError from the worker', async () => {
    const { client } = await open();
    await client.migrate();
    const bad = join(ws, 'not-a-backup.db');
    writeFileSync(bad, 'nope');
    const err = await rejectsWith(client.restore({ file: bad }), 'BACKUP_INVALID');
    assert.ok(err.message.length > 0);
    const invalid = await rejectsWith(client.rollback({ to: 99 }), 'INVALID_ARGUMENT');
    assert.match(invalid.message, /99/);
  });

  // Ensure cancelling through the shared flag stops the run and changes nothing.
  it('cancels through the shared-memory flag: nothing changes', async () => {
    const { client } = await open();
    const controller = new AbortController();
    controller.abort();
    const err = await rejectsWith(client.migrate({}, { signal: controller.signal }), 'CANCELLED');
    assert.match(err.message, /nothing was changed/);
    assert.equal((await client.status()).currentVersion, 0);
  });

  // Ensure long work runs off the calling thread: its event loop keeps turning meanwhile.
  it('keeps the calling thread free while the worker rebuilds the index', async () => {
    const seed = await DatabaseService.open({ workspace: ws });
    await seed.importRecords(lines(records(4000)));
    seed.close();
    const { client } = await open();
    let ticks = 0;
    let maxGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 5);
    const t0 = performance.now();
    const busy: boolean[] = [];
    client.onBusyChange((b) => busy.push(b));
    const result = await client.rebuildFts();
    const ms = performance.now() - t0;
    clearInterval(timer);
    assert.equal(result.rows, 4000);
    assert.deepEqual(busy, [true, false]);
    if (ms > 50) {
      assert.ok(ticks >= 3, `only ${ticks} ticks in ${ms.toFixed(0)} ms`);
      assert.ok(maxGap < ms, `the thread was blocked for the whole run (${maxGap.toFixed(0)} ms)`);
    }
  });

  // Ensure requests queue in the worker and each gets its own answer.
  it('answers concurrent requests in order', async () => {
    const { client } = await open();
    const [run, health, info] = await Promise.all([
      client.migrate(),
      client.health(),
      client.info(),
    ]);
    assert.ok(run.steps.length >= 2);
    assert.equal(health.schemaVersion, run.toVersion, 'health ran after the migration');
    assert.equal(info.schemaVersion, run.toVersion);
  });

  // Ensure a missing driver binary is one clear NATIVE_MODULE error, not a crash.
  it('reports a missing native binary as NATIVE_MODULE', async () => {
    const missing = join(ws, 'nowhere', 'better_sqlite3.node');
    const err = await rejectsWith(
      DatabaseClient.open({ workspace: ws, nativeBinding: missing }, { logger }),
      'NATIVE_MODULE',
    );
    assert.match(err.message, /expected .*better_sqlite3\.node, found nothing/);
    assert.match(err.hint ?? '', /\.vsix built for/);
  });

  // Ensure close ends the worker; later calls are refused instead of hanging.
  it('close ends the worker and refuses later calls', async () => {
    const { client } = await open();
    await client.close();
    await client.close();
    assert.equal(client.closed, true);
    const err = await rejectsWith(client.status(), 'INTERNAL');
    assert.equal(err.fix?.command, 'codeidx.showLog', 'the log, as a fix the adapter renders');
  });
});
