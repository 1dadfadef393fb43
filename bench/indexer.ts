// The indexer section of `npm run bench`: `codeidx index` (the bundled CLI, dist/cli.js, built
// from the current sources: the whole process a user runs) on a real multi-language corpus
// (bench/corpus.ts) against universal-ctags on the same file list in the same run, a re-index
// with nothing changed, and peak RSS at 10,000 and 20,000 files (the corpus copied). Run alone:
// `node bench/indexer.ts [--quick]`. bench/index-cli.ts runs the same from the sources, where
// Node's type stripping adds about 30 MB to each thread.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { indexFolder } from '../src/indexer/index.ts';
import { ParsePool } from '../src/indexer/pool.ts';
import { walkFolder } from '../src/indexer/walk.ts';
import { DatabaseService } from '../src/storage/service.ts';
import { buildCorpus, CORPUS_PACKAGES, QUICK_PACKAGES, replicateCorpus } from './corpus.ts';
import { median } from './latency.ts';
import { samplePeakRss } from './rss.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const CTAGS = '/usr/bin/ctags';

/** Builds dist/ from the current sources (esbuild, a few seconds). */
function buildCli(): void {
  const built = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('cannot build dist/cli.js (node esbuild.mjs)');
}

interface Run {
  ms: number;
  files: number;
  parsed: number;
  unchanged: number;
  definitions: number;
  imports: number;
  peakRssMiB: number;
}

/**
 * One `codeidx index --json` process on `dir`: wall time from spawn to exit, its summary, and its
 * peak RSS (VmHWM, the kernel's own high-water mark of the whole process, sampled from /proc
 * every 10 ms: a spike between samples counts too).
 */
async function indexRun(dir: string): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'index', '--workspace', dir, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const rss = samplePeakRss(child.pid);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const peakKb = rss.stop();
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`codeidx index failed on ${dir}: ${stderr}`);
  const s = JSON.parse(stdout) as Omit<Run, 'ms' | 'peakRssMiB'>;
  return { ...s, ms: Math.round(ms), peakRssMiB: Math.round(peakKb / 1024) };
}

/** universal-ctags over the same file list, or undefined where it is not installed. */
function ctagsRun(dir: string, paths: string[]): number | undefined {
  const list = join(tmpdir(), `codeidx-ctags-${process.pid}.txt`);
  writeFileSync(list, `${paths.join('\n')}\n`);
  try {
    const t0 = performance.now();
    const r = spawnSync(CTAGS, ['-L', list, '-f', '/dev/null'], { cwd: dir, stdio: 'ignore' });
    if (r.error || r.status !== 0) return undefined;
    return Math.round(performance.now() - t0);
  } finally {
    rmSync(list, { force: true });
  }
}

/**
 * A save, as the extension's writer sees it: one file gets a new definition and is indexed, the
 * old way (a whole-folder reconcile with parse threads started for the run) and the new way (that
 * path only, on parse threads kept from the previous run), alternating, at the extension's
 * default CPU share. Milliseconds from the write to the committed rows (the extension adds its
 * round trip and the Ctrl+T query, a few ms). `dir` must hold an index already.
 */
export async function saveLatency(
  dir: string,
  path: string,
  rounds: number,
): Promise<{ wholeFolderMs: number; keptPoolMs: number }> {
  const service = await DatabaseService.open({ workspace: dir });
  const pool = new ParsePool({ cpuShare: 0.5 });
  const original = readFileSync(join(dir, path));
  const whole: number[] = [];
  const kept: number[] = [];
  try {
    await indexFolder(service, dir, { pool, paths: [path] }); // warm the kept threads
    for (let i = 0; i < rounds; i++) {
      for (const mode of ['whole', 'kept'] as const) {
        const name = `savedLater${mode}${i}`;
        appendFileSync(join(dir, path), `\nexport function ${name}() {}\n`);
        const t0 = performance.now();
        const s =
          mode === 'whole'
            ? await indexFolder(service, dir, { cpuShare: 0.5 })
            : await indexFolder(service, dir, { cpuShare: 0.5, pool, paths: [path] });
        (mode === 'whole' ? whole : kept).push(performance.now() - t0);
        if (s.parsed !== 1 || !service.repo().findDefinitions(name).length)
          throw new Error(`the saved definition ${name} was not indexed`);
      }
    }
  } finally {
    await pool.close();
    service.close();
    writeFileSync(join(dir, path), original);
  }
  return { wholeFolderMs: Math.round(median(whole)), keptPoolMs: Math.round(median(kept)) };
}

/** Runs the section and returns its report. */
export async function benchIndexer(quick: boolean): Promise<Record<string, unknown>> {
  buildCli();
  const packages = quick ? QUICK_PACKAGES : CORPUS_PACKAGES;
  const corpus = buildCorpus(packages);
  const copies = mkdtempSync(join(tmpdir(), 'codeidx-corpus-copies-'));
  try {
    const files = walkFolder(corpus).files;
    const languages: Record<string, number> = {};
    for (const f of files) languages[f.language] = (languages[f.language] ?? 0) + 1;
    const paths = files.map((f) => f.path);
    // Interleaved rounds, so load from elsewhere on the machine hits both sides alike.
    const rounds = quick ? 1 : 3;
    const cold: Run[] = [];
    const ctags: number[] = [];
    const again: Run[] = [];
    for (let i = 0; i < rounds; i++) {
      const c = ctagsRun(corpus, paths);
      if (c !== undefined) ctags.push(c);
      rmSync(join(corpus, '.vscode'), { recursive: true, force: true });
      cold.push(await indexRun(corpus));
      again.push(await indexRun(corpus));
    }
    const coldMs = median(cold.map((r) => r.ms));
    const ctagsMs = ctags.length ? median(ctags) : undefined;
    const reindexMs = median(again.map((r) => r.ms));
    const last = cold.at(-1)!;
    const report: Record<string, unknown> = {
      corpus: packages.join(' '),
      files: files.length,
      languages,
      definitions: last.definitions,
      imports: last.imports,
      coldMs,
      filesPerSecond: Math.round(files.length / (coldMs / 1000)),
      coldPeakRssMiB: last.peakRssMiB,
      ctagsMs: ctagsMs ?? null,
      ratioToCtags: ctagsMs ? Number((coldMs / ctagsMs).toFixed(2)) : null,
      reindexMs,
      reindexRatio: Number((reindexMs / coldMs).toFixed(3)),
      saveToIndexed: await saveLatency(
        corpus,
        files.find((f) => f.language === 'typescript')?.path ?? files[0]!.path,
        quick ? 3 : 7,
      ),
      target:
        'cold within 4x ctags on 2 cores; re-index at most 0.1 of cold; peak RSS under 300 MB at 10,000 files and no higher at 20,000; a saved definition visible to Ctrl+T within 500 ms',
    };
    const sizes = quick ? [] : [10_000, 20_000];
    for (const size of sizes) {
      const dir = replicateCorpus(corpus, Math.ceil(size / files.length), copies);
      const run = await indexRun(dir);
      report[`peakRssMiBAt${size / 1000}k`] = run.peakRssMiB;
      report[`filesAt${size / 1000}k`] = run.files;
      report[`coldMsAt${size / 1000}k`] = run.ms;
      rmSync(join(dir, '.vscode'), { recursive: true, force: true });
    }
    return report;
  } finally {
    rmSync(corpus, { recursive: true, force: true });
    rmSync(copies, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(
    `${JSON.stringify(await benchIndexer(process.argv.includes('--quick')), null, 2)}\n`,
  );
}
