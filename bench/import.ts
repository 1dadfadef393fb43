// Import sections of the benchmark (called from run.ts): the ratio to plain better-sqlite3, the
// re-import of unchanged files, peak RSS of the real CLI reading a pipe, and database size.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Connection } from '../src/storage/database/connection.ts';
import { importJsonLines } from '../src/storage/index/importer.ts';
import { symbolTerms } from '../src/storage/index/symbols.ts';
import { syntheticFile, syntheticLines } from './data.ts';
import { median, round } from './latency.ts';
import { samplePeakRss } from './rss.ts';

type FreshDb = () => Connection;
const MB = 1024 * 1024;

/** The words of mixed-case names, as the search_documents view adds them. */
const mixed = (name: string): boolean => /^[^]+[A-Z]/.test(name) && /[a-z]/.test(name);
const split = (text: string): string => text.replace(/[A-Z]/g, (c) => ` ${c}`);
function withWords(names: string[]): string {
  const parts = names.filter(mixed);
  return parts.length ? `${names.join(' ')} ${split(parts.join(' '))}` : names.join(' ');
}

const tableExists = (db: Connection, name: string): boolean =>
  db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(name) !==
  undefined;

/**
 * The baseline: the same JSON lines parsed and the same rows inserted with plain prepared
 * statements in one transaction, no sync triggers, and one FTS5 row per file built in JS: with
 * `splitNames`, the very text the search_documents view defines and the symbol terms of
 * migration 004 (both checked after); without, names as they are and no symbol terms (the
 * minimal baseline: no identifier splitting anywhere).
 */
function baselineImport(db: Connection, lines: string[], splitNames: boolean): number {
  for (const { name } of db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'search_sync_%'")
    .all() as { name: string }[]) {
    db.exec(`DROP TRIGGER ${name}`);
  }
  const file = db.prepare(
    'INSERT INTO files (path, filename, extension, size, last_modified, hash, language, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const def = db.prepare(
    'INSERT INTO definitions (file_id, name, type, line, "column", exported, docstring, decorators, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const imp = db.prepare(
    'INSERT INTO imports (file_id, module, type, names, line) VALUES (?, ?, ?, ?, ?)',
  );
  const sym = db.prepare(
    'INSERT INTO symbols (file_id, name, kind, scope, line, "column") VALUES (?, ?, ?, ?, ?, ?)',
  );
  const tag = db.prepare('INSERT INTO file_tags (file_id, tag, weight) VALUES (?, ?, ?)');
  const hasTerms = splitNames && tableExists(db, 'symbol_terms');
  const term = hasTerms
    ? db.prepare('INSERT INTO symbol_terms (definition_id, kind, term, rank) VALUES (?, ?, ?, ?)')
    : undefined;
  const fts = db.prepare(
    'INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const names = splitNames ? withWords : (xs: string[]): string => xs.join(' ');
  const t0 = performance.now();
  db.transaction(() => {
    for (const line of lines) {
      const r = JSON.parse(line) as ReturnType<typeof syntheticFile>;
      const filename = r.path.slice(r.path.lastIndexOf('/') + 1);
      const id = Number(
        file.run(r.path, filename, '.ts', r.size, r.lastModified, r.hash!, r.language, Date.now())
          .lastInsertRowid,
      );
      for (const d of r.definitions!) {
        const { lastInsertRowid } = def.run(
          id,
          d.name,
          d.type,
          d.line,
          d.column,
          d.exported ? 1 : 0,
          d.docstring ?? null,
          d.decorators ? JSON.stringify(d.decorators) : null,
          d.signature ?? null,
        );
        if (term)
          for (const [kind, text, rank] of symbolTerms(d.name, d.exported))
            term.run(lastInsertRowid, kind, text, rank);
      }
      for (const m of r.imports!)
        imp.run(id, m.module, m.type, JSON.stringify(m.names), m.line ?? null);
      for (const s of r.symbols!) sym.run(id, s.name, s.kind, s.scope ?? null, s.line, s.column);
      for (const t of r.tags!) tag.run(id, t.tag, t.weight);
      const docs = r.definitions!.filter((d) => d.docstring).map((d) => d.docstring);
      fts.run(
        id,
        names([filename]),
        r.path,
        names(r.definitions!.map((d) => d.name)),
        r.imports!.map((m) => m.module).join(' '),
        docs.length ? docs.join(' ') : null,
        r
          .tags!.map((t) => t.tag)
          .sort()
          .join(' '), // the view reads tags through their (file_id, tag) index
      );
    }
  })();
  const ms = performance.now() - t0;
  if (splitNames) {
    // The comparison is fair only if the baseline indexes the very text the view defines.
    const differ = db
      .prepare(
        `SELECT count(*) FROM search_index s JOIN search_documents d ON d.file_id = s.rowid
         WHERE s.filename IS NOT d.filename OR s.path IS NOT d.path OR s.definitions IS NOT d.definitions
            OR s.imports IS NOT d.imports OR s.docstrings IS NOT d.docstrings OR s.tags IS NOT d.tags`,
      )
      .pluck()
      .get();
    if (differ !== 0)
      throw new Error(`the baseline indexed different text for ${String(differ)} files`);
    if (hasTerms) {
      const differTerms = db
        .prepare(
          `SELECT (SELECT count(*) FROM (SELECT * FROM symbol_terms_source EXCEPT SELECT * FROM symbol_terms))
                + (SELECT count(*) FROM (SELECT * FROM symbol_terms EXCEPT SELECT * FROM symbol_terms_source))`,
        )
        .pluck()
        .get();
      if (differTerms !== 0)
        throw new Error(
          `the baseline wrote different symbol terms (${String(differTerms)} rows differ)`,
        );
    }
  }
  return ms;
}

// eslint-disable-next-line @typescript-eslint/require-await -- a stand-in for a stream, async like one
async function* feed(lines: Iterable<string>): AsyncGenerator<string> {
  yield* lines;
}

async function codeidxImport(db: Connection, lines: string[]): Promise<number> {
  const t0 = performance.now();
  const report = await importJsonLines(db, feed(lines));
  if (report.errors.length || report.files !== lines.length) {
    throw new Error(`import failed: ${JSON.stringify(report.errors[0])}`);
  }
  return performance.now() - t0;
}

/** The bundled CLI, built from the current sources: the real `codeidx`, without type stripping. */
function cliPath(): string {
  const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  {
    const built = spawnSync(process.execPath, ['esbuild.mjs'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: 'inherit',
    });
    if (built.status !== 0) throw new Error('cannot build dist/cli.js (node esbuild.mjs)');
  }
  return cli;
}

/**
 * Peak RSS of `codeidx import - --db FILE` while this process writes `files` records into its
 * stdin pipe (honouring backpressure). Sampled from /proc every 10 ms (VmHWM: the kernel's own
 * peak, so a spike between samples counts too).
 */
async function cliImportRss(
  dbPath: string,
  files: number,
): Promise<{ files: number; peakMb: number; ms: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cliPath(), 'import', '-', '--db', dbPath, '--json'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const rss = samplePeakRss(child.pid);
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  for (const line of syntheticLines(0, files)) {
    if (!child.stdin.write(`${line}\n`)) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  const code = await exited;
  const peakKb = rss.stop();
  if (code !== 0) throw new Error(`codeidx import exited with ${code}: ${stderr}`);
  return { files, peakMb: round(peakKb / 1024, 1), ms: round(performance.now() - t0, 0) };
}

function fileBytes(db: Connection): number {
  const size = (p: string): number => (existsSync(p) ? statSync(p).size : 0);
  return size(db.name) + size(`${db.name}-wal`);
}

/** Record `i` with its content changed (new hash, a renamed definition), as after an edit. */
function changedLine(i: number, round: number): string {
  const r = syntheticFile(i);
  r.hash = `${r.hash!.slice(0, 56)}${(round + 1).toString(16).padStart(8, '0')}`;
  r.definitions![0]!.name = `${r.definitions![0]!.name}Edit${round}`;
  return JSON.stringify(r);
}

/** The import, the baselines and the re-import of unchanged files, `runs` times, interleaved. */
async function importRatios(
  freshDb: FreshDb,
  files: number,
  runs: number,
): Promise<
  Record<string, unknown> & { ratio: number; ratioMinimal: number; reimportSpeedup: number }
> {
  const lines = [...syntheticLines(0, files)];
  // Alternate the sides to share the machine's noise; all parse the same JSON text.
  const ours: number[] = [];
  const base: number[] = [];
  const minimal: number[] = [];
  const again: number[] = [];
  for (let run = 0; run < runs; run++) {
    base.push(baselineImport(freshDb(), lines, true));
    minimal.push(baselineImport(freshDb(), lines, false));
    const db = freshDb();
    ours.push(await codeidxImport(db, lines));
    const t0 = performance.now();
    const report = await importJsonLines(db, feed(lines));
    if (report.unchanged !== files) throw new Error('re-import wrote unchanged files');
    again.push(performance.now() - t0);
    db.close();
  }
  return {
    files,
    runs,
    codeidxMs: round(median(ours), 1),
    baselineMs: round(median(base), 1),
    minimalBaselineMs: round(median(minimal), 1),
    ratio: round(median(ours) / median(base), 2),
    ratioMinimal: round(median(ours) / median(minimal), 2),
    reimportUnchangedMs: round(median(again), 1),
    reimportSpeedup: round(median(ours) / median(again), 1),
  };
}

/** Size per 1,000 files, then 10 rounds of re-importing 10% changed files. */
async function sizeGrowth(freshDb: FreshDb, files: number): Promise<Record<string, unknown>> {
  const db = freshDb();
  await importJsonLines(db, feed(syntheticLines(0, files)));
  db.pragma('wal_checkpoint(TRUNCATE)');
  const initial = fileBytes(db);
  const rounds: number[] = [];
  for (let r = 0; r < 10; r++) {
    const changed = Array.from({ length: files / 10 }, (_, k) =>
      changedLine((r * 97 + k * 10) % files, r),
    );
    await importJsonLines(db, feed(changed));
    rounds.push(fileBytes(db));
  }
  db.close();
  return {
    files,
    per1000: round(initial / MB / (files / 1000), 2),
    perRoundMb: rounds.map((b) => round(b / MB, 1)),
    growth10Rounds: round(rounds.at(-1)! / initial, 2),
    // Bounded means flat once free pages are reused: the last 5 rounds against round 5.
    growthLast5Rounds: round(rounds.at(-1)! / rounds[4]!, 2),
  };
}

/**
 * Every import figure of the report: `import` (ratios and re-import at both sizes, the CLI's
 * peak RSS) and `size` (per 1,000 files and growth over 10 rounds, at both sizes). The small
 * size runs 5 times (quick: 2), the large one once.
 */
export async function importBench(o: {
  quick: boolean;
  freshDb: FreshDb;
  sizes: readonly number[];
}): Promise<{ import: Record<string, unknown>; size: Record<string, unknown> }> {
  const ratios: Record<string, unknown> = {};
  const size: Record<string, unknown> = {};
  for (const [i, files] of o.sizes.entries()) {
    ratios[String(files)] = await importRatios(o.freshDb, files, i === 0 ? (o.quick ? 2 : 5) : 1);
    size[String(files)] = await sizeGrowth(o.freshDb, files);
  }

  // Peak RSS of the real CLI at two input sizes: flat means it streams.
  const rssSizes = o.quick ? [1_000, 2_000] : [10_000, 20_000];
  const rss = [];
  for (const n of rssSizes) {
    const db = o.freshDb();
    const path = db.name;
    db.close();
    rss.push(await cliImportRss(path, n));
  }

  return {
    import: {
      perFile: { definitions: 20, imports: 8, symbols: 10, tags: 2 },
      ...ratios,
      rss10k: rss[0],
      rss20k: rss[1],
      rssGrowth: round(rss[1]!.peakMb / rss[0]!.peakMb, 2),
      target:
        'ratio <= 1.3; re-import >= 10x faster; peak RSS < 100 MB and <= 10% higher at twice the files',
    },
    size: {
      ...size,
      note: 'MB per 1,000 files (database + WAL); growth10Rounds = size after 10 rounds of re-importing 10% changed files / size after the first import; growthLast5Rounds = after round 10 / after round 5',
    },
  };
}
