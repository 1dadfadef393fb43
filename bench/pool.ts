// The read pool beside a rebuild, through the real client: for each pool size, 32 searches are
// always in flight (each one that settles is replaced by the next) while the writer rebuilds
// the full-text index over and over. Latency counts from the call (queueing included).
// Run alone with `node bench/pool.ts [--quick]`; `npm run bench` runs it as one section.
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseClient } from '../src/storage/worker/client.ts';
import { DatabaseService } from '../src/storage/service.ts';
import { syntheticLines, VOCAB } from './data.ts';
import { percentile, round } from './latency.ts';

export interface PoolRun {
  readers: number;
  walLimitMiB: number;
  searches: number;
  searchesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstErrors: string[];
  rebuilds: number;
  walBytesMax: number;
}

/** One pool size: `concurrency` searches kept in flight beside rebuilds for `ms` milliseconds. */
export async function runPool(
  dbPath: string,
  queries: string[],
  o: { readers: number; ms: number; concurrency?: number; walLimitMiB?: number },
): Promise<PoolRun> {
  const walLimitMiB = o.walLimitMiB ?? 64;
  const { client } = await DatabaseClient.open(
    { dbPath, autoBackup: false, walTruncateBytes: walLimitMiB * 1024 * 1024 },
    { readers: o.readers },
  );
  await client.readersReady();
  const times: number[] = [];
  const firstErrors: string[] = [];
  let errors = 0;
  let rebuilds = 0;
  let walBytesMax = 0;
  // An object, not a let: the lanes read it after the timer below changes it.
  const state = { running: true };
  const wal = (): number => statSync(`${dbPath}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  const rebuilding = (async () => {
    while (state.running) {
      await client.rebuildFts();
      rebuilds++;
      walBytesMax = Math.max(walBytesMax, wal());
    }
  })();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (state.running) {
      const q = queries[next++ % queries.length]!;
      const t0 = performance.now();
      try {
        await client.search({ text: q, limit: 20 });
      } catch (err) {
        errors++;
        if (firstErrors.length < 3) firstErrors.push(String(err));
      }
      times.push(performance.now() - t0);
    }
  };
  const t0 = performance.now();
  const lanes = Array.from({ length: o.concurrency ?? 32 }, lane);
  await new Promise((r) => setTimeout(r, o.ms));
  state.running = false;
  await Promise.all(lanes);
  const seconds = (performance.now() - t0) / 1000;
  await rebuilding;
  walBytesMax = Math.max(walBytesMax, wal());
  await client.close();
  return {
    readers: o.readers,
    walLimitMiB,
    searches: times.length,
    searchesPerSecond: round(times.length / seconds, 2),
    p50Ms: round(percentile(times, 50), 2),
    p99Ms: round(percentile(times, 99), 2),
    errors,
    firstErrors,
    rebuilds,
    walBytesMax,
  };
}

/** Pool sizes 1, 2 and 4 (and 0, every search behind the writer, for comparison). */
export async function benchPool(
  dbPath: string,
  queries: string[],
  quick: boolean,
): Promise<Record<string, unknown>> {
  const ms = quick ? 1500 : 5000;
  const runs: PoolRun[] = [];
  for (const readers of [0, 1, 2, 4]) {
    const copy = `${dbPath}.pool${readers}.db`;
    copyFileSync(dbPath, copy);
    runs.push(await runPool(copy, queries, { readers, ms }));
  }
  // The checkpoint policy: the same run at the default size without the truncating checkpoint.
  const copy = `${dbPath}.nockpt.db`;
  copyFileSync(dbPath, copy);
  runs.push(await runPool(copy, queries, { readers: 2, ms, walLimitMiB: 0 }));
  return {
    concurrentSearches: 32,
    secondsPerRun: ms / 1000,
    runs,
    target:
      '32 concurrent searches beside a rebuild through the pool: zero errors, p99 and throughput per pool size',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const files = quick ? 2_000 : 10_000;
  const root = mkdtempSync(join(tmpdir(), 'codeidx-bench-pool-'));
  const dbPath = join(root, 'pool.db');
  const service = await DatabaseService.open({ dbPath });
  await service.importRecords(
    // eslint-disable-next-line @typescript-eslint/require-await -- a stand-in for a stream, async like one
    (async function* () {
      yield* syntheticLines(0, files);
    })(),
  );
  service.close();
  const queries = Array.from({ length: 300 }, (_, i) =>
    i % 2 ? VOCAB[50 + ((i * 37) % 1000)]! : `${VOCAB[5 + (i % 30)]!} ${VOCAB[60 + i]!}`,
  );
  const report = { files, ...(await benchPool(dbPath, queries, quick)) };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  rmSync(root, { recursive: true, force: true });
}
