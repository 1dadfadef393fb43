// Child of the benchmark: runs migration 002 over a database at version 1 and reports how much
// the resident set grew at its peak (sampled at every progress event) and the time it took.
import { openConnection } from '../src/storage/connection.ts';
import { loadMigrations } from '../src/storage/migrations/loader.ts';
import { MigrationManager } from '../src/storage/migrations/manager.ts';

const db = openConnection(process.argv[2]!);
const manager = new MigrationManager(db, loadMigrations());
manager.status(); // load everything the run needs before the baseline sample
const before = process.memoryUsage().rss;
let peak = before;
const sample = (): void => {
  peak = Math.max(peak, process.memoryUsage().rss);
};
const t0 = performance.now();
manager.migrate({ onProgress: sample });
sample();
const ms = performance.now() - t0;
db.close();
const mb = (n: number): number => Number((n / 1024 / 1024).toFixed(1));
process.stdout.write(
  JSON.stringify({
    ms: Number(ms.toFixed(1)),
    rssBeforeMb: mb(before),
    peakRssGrowthMb: mb(peak - before),
    maxRssMb: mb(process.resourceUsage().maxRSS * 1024),
  }),
);
