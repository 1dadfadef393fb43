// The calling thread while the client's writer works: the longest event-loop block during a
// migration, an import (the indexer through the client) and a full-text rebuild, sampled with
// perf_hooks.monitorEventLoopDelay. The writer runs in a worker thread, so the caller (the
// extension host in VS Code) should only see progress messages arrive.
//
// The caller is a fresh process (bench/caller.ts) that only drives the client. In the bench's own
// thread, which imports 100,000 files in-process first, V8's memory reducer later shrank that
// heap (160 MB committed, 11 MB live) in one 42-59 ms pause in the middle of a rebuild (seen with
// --trace-gc: "Mark-Compact (reduce)"): the bench's garbage, not the client's work. Each
// figure comes with the longest GC pause of the caller meanwhile, so a block can be told apart.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { DatabaseClient } from '../src/storage/worker/client.ts';
import { syntheticFile } from './data.ts';
import { round, watchGc } from './latency.ts';

/** One client operation: its wall time and the longest event-loop delay seen meanwhile. */
export interface Blocked {
  ms: number;
  maxEventLoopBlockMs: number;
  p99EventLoopDelayMs: number;
  /** The longest garbage collection pause of the calling thread meanwhile. */
  longestGcPauseMs: number;
}

/**
 * Runs `fn` while a 10 ms-resolution histogram samples the event loop (values in ns). The
 * resolution is added to each sample by Node's timer, so a block shows as its own length plus
 * at most 10 ms; the figure reported is the histogram's maximum as is (pessimistic).
 */
export async function measureBlock<T>(fn: () => Promise<T>): Promise<Blocked & { result: T }> {
  const gc = watchGc();
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const t0 = performance.now();
  const result = await fn();
  const ms = performance.now() - t0;
  h.disable();
  const longestGcPauseMs = await gc.stop();
  return {
    result,
    ms: round(ms, 1),
    maxEventLoopBlockMs: round(h.max / 1e6, 1),
    p99EventLoopDelayMs: round(h.percentile(99) / 1e6, 1),
    longestGcPauseMs,
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

/**
 * Migration 003 and then a full-text rebuild through the client on `dbPath` (a database at 002
 * with its files), each with its longest block, then the control as long as the rebuild.
 */
export async function rebuildBlock(dbPath: string): Promise<{
  migrate003: Blocked;
  rebuild: Blocked & { rows: number };
  busyThreadControl: Blocked;
}> {
  const client = await openClient(dbPath);
  let measured;
  try {
    const { result: _, ...migrate003 } = await measureBlock(() => client.migrate({ to: 3 }));
    const { result, ...rebuild } = await measureBlock(() => client.rebuildFts());
    measured = { migrate003, rebuild: { ...rebuild, rows: result.rows } };
  } finally {
    await client.close(); // before the control, so no writer thread runs beside it
  }
  return { ...measured, busyThreadControl: await busyControl(Math.min(5000, measured.rebuild.ms)) };
}

/**
 * Runs `job` of bench/caller.ts in a fresh Node process (see the module comment) and returns
 * what it printed. Synchronous: this thread has nothing else to do meanwhile.
 */
function inFreshCaller(job: string[]): unknown {
  const caller = fileURLToPath(new URL('./caller.ts', import.meta.url));
  const child = spawnSync(process.execPath, [caller, ...job], { encoding: 'utf8' });
  if (child.status !== 0) {
    throw new Error(
      `bench/caller.ts ${job.join(' ')} exited with ${child.status}: ${child.stderr}`,
    );
  }
  return JSON.parse(child.stdout);
}

/** rebuildBlock in a fresh process. */
export const rebuildBlockFresh = (dbPath: string): Awaited<ReturnType<typeof rebuildBlock>> =>
  inFreshCaller(['rebuild', dbPath]) as Awaited<ReturnType<typeof rebuildBlock>>;

/** indexBlock in a fresh process. */
export const indexBlockFresh = (
  dbPath: string,
  files: number,
): Awaited<ReturnType<typeof indexBlock>> =>
  inFreshCaller(['index', dbPath, String(files)]) as Awaited<ReturnType<typeof indexBlock>>;
