// How `codeidx.index.cpuShare` trades indexing time for CPU, measured the way the extension
// indexes in the background (one parse thread on a 2-core machine, the writer beside it):
//   node bench/cpushare.ts DIR [share ...]
// Each share indexes DIR cold into a fresh database and prints wall time, the process's CPU
// time (all threads) and their ratio in cores. Prints one JSON report on stdout.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultWorkerCount } from '../src/indexer/pool.ts';
import { indexFolder } from '../src/indexer/index.ts';
import { DatabaseService } from '../src/storage/service.ts';

const [dir, ...rest] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node bench/cpushare.ts DIR [share ...]');
  process.exit(2);
}
const shares = rest.length ? rest.map(Number) : [1, 0.75, 0.5, 0.25];
const workers = defaultWorkerCount();
const rows = [];
for (const share of shares) {
  const ws = mkdtempSync(join(tmpdir(), 'codeidx-cpushare-'));
  const service = await DatabaseService.open({ workspace: ws, migrate: true, autoBackup: false });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const summary = await indexFolder(service, dir, { cpuShare: share, workers });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  service.close();
  rmSync(ws, { recursive: true, force: true });
  rows.push({
    cpuShare: share,
    files: summary.files,
    wallMs: Math.round(wallMs),
    cpuMs: Math.round(cpuMs),
    cores: Number((cpuMs / wallMs).toFixed(2)),
    filesPerSecond: Math.round(summary.files / (wallMs / 1000)),
  });
  console.error(JSON.stringify(rows.at(-1)));
}
console.log(JSON.stringify({ dir, workers, rows }, null, 2));
