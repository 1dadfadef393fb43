import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseClient } from '../../../src/storage/worker/client.ts';
import type { Logger } from '../../../src/storage/log.ts';
import { DatabaseService } from '../../../src/storage/service.ts';
import type { FileRecordInput, ProgressEvent } from '../../../src/storage/types.ts';
import { rejectsWith } from '../../helpers.ts';

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

/**
 * Samples the calling thread's event loop from now until `stop`, with a 5 ms interval timer.
 * `maxBusyMs`: the longest time the thread spent running code between two turns of the loop
 * (event-loop utilisation's active time between ticks, and from the last tick to `stop`, so a
 * stall that ends just before `stop` counts too). Wall-clock gaps also hold time the OS gave
 * other processes; on a loaded machine those reach 50 ms with the thread idle, so they are only
 * reported (`maxGapMs`).
 */
function eventLoopSampler(): {
  stop: () => { maxBusyMs: number; maxGapMs: number; ticks: number };
} {
  let lastAt = performance.now();
  let lastElu = performance.eventLoopUtilization();
  let maxBusyMs = 0;
  let maxGapMs = 0;
  let ticks = 0;
  const sample = (): void => {
    const at = performance.now();
    const elu = performance.eventLoopUtilization();
    maxBusyMs = Math.max(maxBusyMs, performance.eventLoopUtilization(elu, lastElu).active);
    maxGapMs = Math.max(maxGapMs, at - lastAt);
    lastAt = at;
    lastElu = elu;
  };
  const timer = setInterval(() => {
    sample();
    ticks++;
  }, 5);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { maxBusyMs, maxGapMs, ticks };
    },
  };
}

// eslint-disable-next-line @typescript-eslint/require-await -- a stand-in for a stream, async like one
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
      steps.some((e) =>
        e.message.startsWith(`Migrating ${result.toVersion}/${result.toVersion}: `),
      ),
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

  // Ensure long work runs off the calling thread: its event loop never stalls 50 ms meanwhile.
  // A rebuild on the calling thread would block it for the whole run (seconds with 20,000 files).
  it('keeps the calling thread free while the worker rebuilds the index (no event-loop stall of 50 ms)', async () => {
    const seed = await DatabaseService.open({ workspace: ws });
    await seed.importRecords(lines(records(20_000)));
    seed.close();
    const { client } = await open();
    const busy: boolean[] = [];
    client.onBusyChange((b) => busy.push(b));
    const loop = eventLoopSampler();
    const result = await client.rebuildFts();
    const { maxBusyMs, maxGapMs, ticks } = loop.stop();
    assert.equal(result.rows, 20_000);
    assert.deepEqual(busy, [true, false]);
    assert.ok(ticks > 0, 'the event loop turned during the run');
    assert.ok(
      maxBusyMs < 50,
      `the calling thread was busy for ${maxBusyMs.toFixed(1)} ms in a row (longest gap between ticks: ${maxGapMs.toFixed(1)} ms)`,
    );
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
