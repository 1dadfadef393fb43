import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliWorkspace, copyFixtures, json, type Run } from './helpers.ts';

/** The `index --json` summary, as the README documents it. */
interface Summary {
  files: number;
  parsed: number;
  unchanged: number;
  removed: number;
  skipped: Record<string, number>;
  definitions: number;
  imports: number;
  errors: { path: string; message: string }[];
  ms: number;
}

const LANGUAGES = ['python', 'typescript', 'go', 'rust'];

describe('codeidx index', function () {
  const { ws, dbFile, cli } = cliWorkspace();
  const summary = (r: Run): Summary => {
    assert.equal(r.code, 0, r.stderr);
    return json<Summary>(r);
  };

  // Ensure one command takes an empty folder to a searchable index, creating the database.
  it('creates and migrates the database, indexes every language, and prints the documented summary', () => {
    copyFixtures(ws(), LANGUAGES);
    const s = summary(cli(['index', '--json']));
    assert.ok(existsSync(dbFile()), 'index is a write command: it creates the database');
    assert.deepEqual(Object.keys(s).sort(), [
      'definitions',
      'errors',
      'files',
      'imports',
      'ms',
      'parsed',
      'removed',
      'skipped',
      'unchanged',
    ]);
    assert.equal(s.files, LANGUAGES.length, 'one file per fixture language');
    assert.equal(s.parsed, LANGUAGES.length);
    assert.equal(s.unchanged, 0);
    assert.ok(s.definitions >= 20, `definitions: ${s.definitions}`);
    assert.ok(s.imports > 0);
    assert.deepEqual(s.errors, []);
    for (const reason of ['ignored', 'unsupported', 'too-large', 'binary', 'parse-error'])
      assert.equal(typeof s.skipped[reason], 'number', reason);
    assert.equal(cli(['health']).code, 0, 'the database is healthy after indexing');
  });

  // Ensure what index wrote is what symbols and search answer from.
  it('symbols and search find the definitions it indexed, in every language', () => {
    copyFixtures(ws(), LANGUAGES);
    summary(cli(['index', '--json']));
    const circle = cli(['symbols', 'Circle']);
    assert.equal(circle.code, 0, circle.stderr);
    assert.match(circle.stdout, /^python\/shapes\.py:10:7 class Circle$/m);
    for (const [name, path] of [
      ['Router', 'typescript/server.ts'],
      ['Node', 'rust/lib.rs'],
      ['Store', 'go/store.go'],
      ['Circle', 'python/shapes.py'],
    ] as const) {
      const found = json<{ name: string; path: string; kind: string }[]>(
        cli(['symbols', name, '--json']),
      );
      assert.equal(found[0]?.name, name, `${name} first`);
      assert.equal(found[0].path, path);
      const hits = json<{ path: string }[]>(cli(['search', name, '--json']));
      assert.ok(
        hits.some((h) => h.path === path),
        `search ${name} finds ${path}`,
      );
    }
    const visitor = cli(['symbols', 'Visitor']);
    assert.match(
      visitor.stdout,
      /^rust\/lib\.rs:18:\d+ interface Visitor$/m,
      'a trait is an interface',
    );
  });

  // Ensure a second run reads nothing new, and deletions leave the index.
  it('a second run parses nothing; a deleted file is removed; --full re-extracts every file', () => {
    copyFixtures(ws(), LANGUAGES);
    const first = summary(cli(['index', '--json']));
    const again = summary(cli(['index', '--json']));
    assert.equal(again.parsed, 0);
    assert.equal(again.unchanged, first.files);
    const full = summary(cli(['index', '--full', '--json']));
    assert.equal(full.parsed, first.files, '--full re-extracts unchanged files too');
    assert.equal(full.files, first.files);
    rmSync(join(ws(), 'go'), { recursive: true });
    const after = summary(cli(['index', '--json']));
    assert.equal(after.removed, 1);
    assert.equal(after.files, first.files - 1);
    assert.deepEqual(json<unknown[]>(cli(['symbols', 'Store', '--json'])), []);
  });

  // Ensure --exclude (repeatable) and --max-file-kib reach the walk and are counted by reason.
  it('--exclude and --max-file-kib skip files, counted by reason', () => {
    copyFixtures(ws(), LANGUAGES);
    writeFileSync(join(ws(), 'big.py'), `def big():\n    pass\n${'#'.repeat(3000)}\n`);
    const s = summary(
      cli(['index', '--exclude', 'go/**', '--exclude', 'rust/', '--max-file-kib', '2', '--json']),
    );
    assert.equal(s.files, 2, 'python and typescript only');
    assert.equal(s.skipped['too-large'], 1);
    assert.deepEqual(json<unknown[]>(cli(['symbols', 'big', '--json'])), []);
    assert.deepEqual(json<unknown[]>(cli(['symbols', 'Store', '--json'])), []);
  });

  it('prints a human summary without --json, and nothing on stderr when not on a terminal', () => {
    copyFixtures(ws(), ['python']);
    const r = cli(['index', '--workspace', ws()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^Indexed .+ in .+: 1 file\(s\) in the index \(1 parsed, 0 unchanged, 0 removed\)\.\n {2}\d+ definitions, \d+ imports\./,
    );
    assert.equal(r.stderr, '', 'no progress line on a pipe');
  });

  it('exits 2 on a usage error and 1 on a folder that does not exist, creating nothing', () => {
    for (const args of [
      ['index', 'extra'],
      ['index', '--max-file-kib', '0'],
      ['index', '--max-file-kib', 'big'],
      ['index', '--exclude'],
      ['index', '--db', 'x.db'],
    ]) {
      const r = cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Usage: codeidx index/);
    }
    const missing = join(ws(), 'nope');
    const r = cli(['index', '--workspace', missing]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No such folder: .*nope\./);
    assert.ok(!existsSync(missing), 'no folder was created');
    assert.ok(!existsSync(dbFile()));
  });
});
