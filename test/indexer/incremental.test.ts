import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { indexFolder, type IndexOptions } from '../../src/indexer/index.ts';
import { ParsePool } from '../../src/indexer/pool.ts';
import { checkSearchIndex } from '../../src/storage/index/fts.ts';
import { DatabaseService } from '../../src/storage/service.ts';

describe('indexer: incremental runs on a real database', () => {
  let root = '';
  let service: DatabaseService;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'codeidx-index-'));
    service = await DatabaseService.open({ dbPath: join(root, '.vscode', 'codeidx.db') });
  });
  afterEach(() => {
    service.close();
    rmSync(root, { recursive: true, force: true });
  });
  const write = (rel: string, content: string | Buffer): void => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  };
  const run = (o: IndexOptions = {}) => indexFolder(service, root, { workers: 1, ...o });
  const names = (): string[] =>
    service.connection
      .prepare('SELECT name FROM definitions ORDER BY name')
      .pluck()
      .all() as string[];

  beforeEach(() => {
    write('src/app.ts', 'export class AppServer {}\nexport function startApp() {}\n');
    write('lib/util.py', 'def parse_config(path):\n    return path\n');
    write('cmd/main.go', 'package main\n\nfunc main() {}\n');
  });

  it('a cold run stores every file, and the full-text index matches the tables', async () => {
    const events: string[] = [];
    const s = await run({ onProgress: (e) => events.push(e.phase) });
    assert.deepEqual([s.files, s.parsed, s.unchanged, s.removed], [3, 3, 0, 0]);
    assert.deepEqual(names(), ['AppServer', 'main', 'parse_config', 'startApp']);
    assert.equal(s.definitions, 4);
    assert.ok(checkSearchIndex(service.connection).ok);
    assert.equal(service.search('AppServer')[0]!.path, 'src/app.ts');
    assert.deepEqual([events[0], events.at(-1)], ['walk', 'done']);
    assert.equal(service.repo().getFile('lib/util.py')!.language, 'python');
    assert.equal(service.repo().stats().symbols, 0, 'no local symbols unless asked');
  });

  // Ensure codeidx's own files are not taken for code, even ones with a source extension.
  it("skips the database's own files and default backups as ignored, never as code", async () => {
    write('.vscode/codeidx.db.replaced-2026-01-01.ts', 'export class NotCode {}\n');
    write('.vscode/codeidx-backups/old.py', 'class NotCodeEither:\n    pass\n');
    const s = await run();
    assert.equal(s.files, 3, 'only the three sources');
    assert.equal(s.skipped.unsupported, 0, 'the -wal and -shm are not counted as unsupported');
    assert.ok(s.skipped.ignored >= 2, `ignored: ${s.skipped.ignored}`);
    assert.deepEqual(names(), ['AppServer', 'main', 'parse_config', 'startApp']);
  });

  it('a row the database refuses fails only its file; the batch around it is stored', async () => {
    // A stricter rule than the extractor knows: no definition may be called startApp.
    service.connection.exec(`CREATE TEMP TRIGGER refuse BEFORE INSERT ON definitions
      WHEN new.name = 'startApp' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    const s = await run();
    assert.deepEqual([s.files, s.parsed, s.skipped['parse-error']], [2, 2, 1]);
    assert.equal(s.errors[0]!.path, 'src/app.ts');
    assert.deepEqual(names(), ['main', 'parse_config']);
    assert.ok(checkSearchIndex(service.connection).ok);
  });

  it('stores local symbols when asked', async () => {
    await run({ locals: true });
    const params = service.connection
      .prepare("SELECT name, scope FROM symbols WHERE kind = 'parameter'")
      .all();
    assert.deepEqual(params, [{ name: 'path', scope: 'parse_config' }]);
  });

  it('nothing changed: nothing is parsed', async () => {
    await run();
    const s = await run();
    assert.deepEqual([s.files, s.parsed, s.unchanged, s.removed], [3, 0, 3, 0]);
  });

  it('modify, delete and rename: only those files change, and search follows', async () => {
    await run();
    write('src/app.ts', 'export class RenamedServer {}\n');
    utimesSync(join(root, 'src/app.ts'), new Date(), new Date(Date.now() + 5000));
    rmSync(join(root, 'cmd/main.go'));
    renameSync(join(root, 'lib/util.py'), join(root, 'lib/config.py'));
    const s = await run();
    assert.deepEqual([s.files, s.parsed, s.removed], [2, 2, 2]);
    assert.deepEqual(names(), ['RenamedServer', 'parse_config']);
    assert.equal(service.repo().getFile('lib/util.py'), undefined);
    assert.equal(service.search('parse_config')[0]!.path, 'lib/config.py');
    assert.deepEqual(service.search('AppServer'), []);
    assert.ok(checkSearchIndex(service.connection).ok);
  });

  it('a touched file is re-hashed once, not re-parsed, and its new mtime is stored', async () => {
    await run();
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src/app.ts'), later, later);
    const s = await run();
    assert.deepEqual([s.parsed, s.unchanged], [0, 3]);
    assert.equal(service.repo().getFile('src/app.ts')!.lastModified, later.getTime());
  });

  it('files that become ignored, too large or binary leave the index', async () => {
    await run();
    write('.gitignore', 'cmd/\n');
    write('src/app.ts', Buffer.from([0x61, 0x00, 0x62]));
    const s = await run({ maxFileBytes: 1024 });
    assert.deepEqual(s.files, 1);
    assert.equal(s.skipped.binary, 1);
    assert.deepEqual(names(), ['parse_config']);
  });

  it('--full re-extracts and rewrites unchanged files, and search follows', async () => {
    await run();
    // What an older extractor left behind: same content hash, but rows that are now wrong.
    service.connection.exec("UPDATE definitions SET name = 'staleName' WHERE name = 'startApp'");
    const plain = await run();
    assert.equal(plain.parsed, 0, 'without --full, an unchanged file is not read');
    const s = await run({ full: true });
    assert.deepEqual([s.parsed, s.unchanged], [3, 0], 'every file rewritten, same hash or not');
    assert.deepEqual(names(), ['AppServer', 'main', 'parse_config', 'startApp']);
    assert.deepEqual(service.search('staleName'), []);
    assert.equal(service.search('startApp')[0]!.path, 'src/app.ts');
    assert.ok(checkSearchIndex(service.connection).ok);
  });

  it('replaced files keep exactly one full-text row each across batches', async () => {
    for (let i = 0; i < 7; i++) write(`pkg/m${i}.py`, `def fn_${i}():\n    pass\n`);
    await run({ batchSize: 3 });
    for (let i = 0; i < 7; i++) write(`pkg/m${i}.py`, `def renamed_${i}():\n    pass\n`);
    const later = new Date(Date.now() + 60_000);
    for (let i = 0; i < 7; i++) utimesSync(join(root, `pkg/m${i}.py`), later, later);
    const s = await run({ batchSize: 3 });
    assert.equal(s.parsed, 7);
    assert.ok(checkSearchIndex(service.connection).ok);
    assert.deepEqual(service.search('fn_3'), []);
    assert.equal(service.search('renamed_3')[0]!.path, 'pkg/m3.py');
  });

  it('a cancelled run stops with CANCELLED and the next run completes', async () => {
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(cancel, 0, 1);
    await assert.rejects(run({ cancel }), { code: 'CANCELLED' });
    const s = await run();
    assert.equal(s.files, 3);
  });

  it('throttles to a CPU share and refuses a share outside (0, 1]', async () => {
    const s = await run({ cpuShare: 0.5 });
    assert.equal(s.parsed, 3);
    await assert.rejects(run({ full: true, cpuShare: 0 }), { code: 'INVALID_ARGUMENT' });
  });
  it('paths: only the changed files are looked at, deletions under a folder included', async () => {
    write('pkg/one.py', 'def one():\n    pass\n');
    write('pkg/two.py', 'def two():\n    pass\n');
    await run();
    const later = new Date(Date.now() + 60_000);
    write('src/app.ts', 'export class AppServer {}\nexport function startAgain() {}\n');
    write('lib/util.py', 'def not_listed():\n    pass\n'); // changed, but not in the list
    utimesSync(join(root, 'lib/util.py'), later, later);
    write('new.go', 'package main\n\nfunc Added() {}\n');
    rmSync(join(root, 'pkg'), { recursive: true });
    const s = await run({ paths: ['src/app.ts', 'new.go', 'pkg', 'gone.ts'] });
    assert.deepEqual([s.parsed, s.removed, s.files], [2, 2, 4]);
    assert.deepEqual(names(), ['Added', 'AppServer', 'main', 'parse_config', 'startAgain']);
    assert.ok(checkSearchIndex(service.connection).ok);
    // The next whole-folder run catches what the list left out.
    assert.equal((await run()).parsed, 1);
    assert.ok(names().includes('not_listed'));
  });

  it('paths naming a folder that exists now: the whole folder is walked', async () => {
    await run();
    write('added/deep.py', 'def deep():\n    pass\n');
    const s = await run({ paths: ['added'] });
    assert.equal(s.parsed, 1);
    assert.ok(names().includes('deep'));
  });

  it('a kept pool parses run after run with the threads it started once', async () => {
    const pool = new ParsePool({ workers: 1 });
    try {
      await run({ pool });
      assert.equal(pool.threads, 1);
      write('src/app.ts', 'export class Renamed {}\n');
      const s = await run({ pool, paths: ['src/app.ts'] });
      assert.equal(s.parsed, 1);
      assert.ok(names().includes('Renamed'));
      assert.equal(pool.started, 1, 'no new thread for the second run');
    } finally {
      await pool.close();
    }
    assert.equal(pool.threads, 0);
  });
});
