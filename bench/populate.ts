// Child of the benchmark: runs migration 002 over a database at version 1 and reports how much
// the process's resident set grew at its peak while it ran. A sampler thread reads the RSS every
// 5 ms, so a peak between progress events is seen too.
import { Worker } from 'node:worker_threads';
import { openConnection } from '../src/storage/database/connection.ts';
import { loadMigrations } from '../src/storage/migrations/loader.ts';
import { MigrationManager } from '../src/storage/migrations/manager.ts';

const peakKb = new Int32Array(new SharedArrayBuffer(8)); // [peak RSS in KiB, stop flag]
const sampler = new Worker(
  `const { workerData: s } = require('node:worker_threads');
   const tick = () => {
     Atomics.store(s, 0, Math.max(Atomics.load(s, 0), Math.round(process.memoryUsage.rss() / 1024)));
     if (Atomics.load(s, 1) === 0) setTimeout(tick, 5);
   };
   tick();`,
  { eval: true, workerData: peakKb },
);
await new Promise((r) => setTimeout(r, 50));

const db = openConnection(process.argv[2]!);
const manager = new MigrationManager(db, loadMigrations());
manager.status(); // load everything the run needs before the baseline sample
const before = process.memoryUsage.rss();
Atomics.store(peakKb, 0, Math.round(before / 1024));
const t0 = performance.now();
manager.migrate();
const ms = performance.now() - t0;
await new Promise((r) => setTimeout(r, 20));
Atomics.store(peakKb, 1, 1);
const peak = Atomics.load(peakKb, 0) * 1024;
db.close();
await sampler.terminate();
const mb = (n: number): number => Number((n / 1024 / 1024).toFixed(1));
process.stdout.write(
  JSON.stringify({
    ms: Number(ms.toFixed(1)),
    rssBeforeMb: mb(before),
    peakRssGrowthMb: mb(peak - before),
  }),
);
