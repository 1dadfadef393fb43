// The calling thread while the client's writer works: the longest event-loop block during a
// migration, an import (the indexer through the client) and a full-text rebuild, sampled with
// perf_hooks.monitorEventLoopDelay. The writer runs in a worker thread, so the caller (the
// extension host in VS Code) should only see progress messages arrive.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { DatabaseClient } from '../src/storage/worker/client.ts';
import { syntheticFile } from './data.ts';

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

/** One client operation: its wall time and the longest event-loop delay seen meanwhile. */
export interface Blocked {
  ms: number;
  maxEventLoopBlockMs: number;
  p99EventLoopDelayMs: number;
}

/**
 * Runs `fn` while a 10 ms-resolution histogram samples the event loop (values in ns). The
 * resolution is added to each sample by Node's timer, so a block shows as its own length plus
 * at most 10 ms; the figure reported is the histogram's maximum as is (pessimistic).
 */
export async function measureBlock<T>(fn: () => Promise<T>): Promise<Blocked & { result: T }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const t0 = performance.now();
  const result = await fn();
  const ms = performance.now() - t0;
  h.disable();
  return {
    result,
    ms: round(ms),
    maxEventLoopBlockMs: round(h.max / 1e6),
    p99EventLoopDelayMs: round(h.percentile(99) / 1e6),
  };
}

/**
 * The control: a thread that spins for `ms` and never talks to this one. On 2 cores shared with
 * other jobs, this thread's event loop is then delayed as much as beside a rebuild (measured:
 * 53 to 140 ms against 53 to 100 ms), so a figure near the control's is the OS scheduling, not
 * a block in codeidx's code.
 */
export async function busyControl(ms: number): Promise<Blocked> {
  const { result, ...blocked } = await measureBlock(
    () =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(
          `const end = Date.now() + ${Math.round(ms)}; let n = 0; while (Date.now() < end) n++;`,
          { eval: true },
        );
        w.once('exit', resolve);
        w.once('error', reject);
      }),
  );
  return blocked;
}

/** Opens a client on `dbPath` (no readers, every request on the writer, as the extension does). */
export async function openClient(dbPath: string): Promise<DatabaseClient> {
  const { client } = await DatabaseClient.open({ dbPath, autoBackup: false }, { readers: 0 });
  return client;
}

/**
 * A folder of `files` TypeScript sources shaped like the synthetic records: 20 exported
 * functions a file (the record's definition names) and its imports, so the indexer has real
 * parsing to do.
 */
function writeSources(dir: string, files: number): void {
  for (let i = 0; i < files; i++) {
    const r = syntheticFile(i);
    const sub = join(dir, `pkg${i % 50}`);
    if (i < 50) mkdirSync(sub, { recursive: true });
    const imports = r.imports!.map((m, k) => `import * as m${k} from '${m.module}';`).join('\n');
    const defs = r
      .definitions!.map(
        (d, k) =>
          `/** ${d.docstring ?? d.name} */\nexport function ${d.name}_${k}(a: number): number {\n  return a + ${k};\n}`,
      )
      .join('\n\n');
    writeFileSync(join(sub, `file${i}.ts`), `${imports}\n\n${defs}\n`);
  }
}

/**
 * The import through the client: `index` over a folder of `files` generated sources, first
 * cold, then again with nothing changed. Returns both, with the files indexed.
 */
export async function indexBlock(
  dbPath: string,
  files: number,
): Promise<{ files: number; cold: Blocked; unchanged: Blocked; busyThreadControl: Blocked }> {
  const dir = mkdtempSync(join(tmpdir(), 'codeidx-bench-src-'));
  try {
    writeSources(dir, files);
    const client = await openClient(dbPath);
    try {
      await client.migrate();
      const { result, ...cold } = await measureBlock(() => client.index({ folder: dir }));
      const { result: again, ...unchanged } = await measureBlock(() =>
        client.index({ folder: dir }),
      );
      const control = await busyControl(Math.min(5000, cold.ms));
      return { files: result.files, cold, unchanged, busyThreadControl: control };
    } finally {
      await client.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
