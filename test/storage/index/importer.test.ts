import assert from 'node:assert/strict';
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openConnection, type Connection } from '../../../src/storage/database/connection.ts';
import { CodeidxError } from '../../../src/storage/errors.ts';
import {
  importJsonLines,
  MAX_BATCH_BYTES,
  MAX_LINE_BYTES,
  MAX_REPORTED_ERRORS,
} from '../../../src/storage/index/importer.ts';
import { IMPORT_CHECKPOINT_PAGES } from '../../../src/storage/index/fts.ts';
import { validateRecord } from '../../../src/storage/index/records.ts';
import { Repository } from '../../../src/storage/index/repository.ts';
import { startChild } from '../../fixtures/child-process.ts';
import { fileRecord, jsonLines, tempDatabases } from '../../helpers.ts';

const IMPORT_CHILD = fileURLToPath(new URL('../../fixtures/import-child.ts', import.meta.url));
const LOCK_HOLDER = fileURLToPath(new URL('../../fixtures/lock-holder.ts', import.meta.url));

describe('import', () => {
  const t = tempDatabases();

  it('loads records with all their rows and keeps the index in sync', async () => {
    const db = t.open();
    const records = Array.from({ length: 120 }, (_, i) =>
      fileRecord(`src/f${i}.ts`, [`alpha${i}`, `betaGamma${i}`]),
    );
    const report = await importJsonLines(db, jsonLines(records), { batchSize: 50 });
    assert.deepEqual(
      {
        files: report.files,
        definitions: report.definitions,
        imports: report.imports,
        symbols: report.symbols,
        tags: report.tags,
      },
      { files: 120, definitions: 240, imports: 120, symbols: 120, tags: 120 },
    );
    const repo = new Repository(db);
    assert.deepEqual(repo.stats(), {
      files: 120,
      definitions: 240,
      imports: 120,
      symbols: 120,
      tags: 120,
    });
    assert.equal(
      repo.search('betaGamma7')[0]!.path,
      'src/f7.ts',
      'the exact name first, then prefixes (betaGamma70…)',
    );
    const triggers = db
      .prepare(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'search_sync_%'",
      )
      .pluck()
      .get();
    // 12 of the full-text index (002) and 2 of the symbol terms (004).
    assert.equal(triggers, 14, 'the sync triggers are back after the import');
    assert.deepEqual(
      db.prepare('SELECT rowid, definitions FROM search_index ORDER BY rowid').all(),
      db
        .prepare('SELECT file_id AS rowid, definitions FROM search_documents ORDER BY file_id')
        .all(),
    );
  });

  it('reports bad lines by number, writes nothing of them, and loads the rest', async () => {
    const db = t.open();
    const lines = [
      fileRecord('src/ok1.ts'),
      '{"path": ',
      {
        ...fileRecord('src/bad-type.ts'),
        definitions: [{ name: 'x', type: 'banana', line: 1, column: 0, exported: true }],
      },
      '',
      {
        ...fileRecord('src/bad-line.ts'),
        symbols: [{ name: 's', kind: 'variable', line: 0, column: 0 }],
      },
      {
        ...fileRecord('src/dup-tag.ts'),
        tags: [
          { tag: 'a', weight: 1 },
          { tag: 'a', weight: 0.5 },
        ],
      },
      '[1, 2]',
      fileRecord('src/ok2.ts'),
    ];
    const report = await importJsonLines(db, jsonLines(lines));
    assert.equal(report.lines, 8);
    assert.equal(report.files, 2);
    assert.deepEqual(
      report.errors.map((e) => e.line),
      [2, 3, 5, 6, 7],
    );
    assert.match(report.errors[0]!.message, /not valid JSON/);
    assert.match(report.errors[1]!.message, /definitions\[0\]\.type must be one of class/);
    assert.match(report.errors[2]!.message, /symbols\[0\]\.line must be a whole number >= 1/);
    assert.match(report.errors[3]!.message, /"a" appears twice/);
    assert.deepEqual(db.prepare('SELECT path FROM files ORDER BY path').pluck().all(), [
      'src/ok1.ts',
      'src/ok2.ts',
    ]);
  });

  it('isolates a record the database refuses, by redoing its batch file by file', async () => {
    const db = t.open();
    // A constraint that validation cannot know about: definition names unique across files.
    db.exec('CREATE UNIQUE INDEX test_unique_name ON definitions (name)');
    const report = await importJsonLines(
      db,
      jsonLines([
        fileRecord('src/a.ts', ['one']),
        fileRecord('src/b.ts', ['one']),
        fileRecord('src/c.ts', ['three']),
      ]),
    );
    assert.equal(report.files, 2);
    assert.deepEqual(
      report.errors.map((e) => e.line),
      [2],
    );
    assert.match(report.errors[0]!.message, /UNIQUE constraint failed/);
    assert.deepEqual(db.prepare('SELECT path FROM files ORDER BY path').pluck().all(), [
      'src/a.ts',
      'src/c.ts',
    ]);
    assert.equal(db.prepare('SELECT count(*) FROM search_index').pluck().get(), 2);
  });

  it('with strict, refuses the whole import at the first bad line', async () => {
    const db = t.open();
    await assert.rejects(
      importJsonLines(
        db,
        jsonLines([
          fileRecord('src/a.ts'),
          fileRecord('src/b.ts'),
          '{oops',
          fileRecord('src/c.ts'),
        ]),
        {
          strict: true,
          batchSize: 1,
        },
      ),
      (err: CodeidxError) =>
        err.code === 'IMPORT_INVALID' && /Line 3: .*Nothing was imported/.test(err.message),
    );
    assert.equal(db.prepare('SELECT count(*) FROM files').pluck().get(), 0);
    assert.equal(db.prepare('SELECT count(*) FROM search_index').pluck().get(), 0);
  });

  it('skips unchanged files by hash and replaces changed ones whole', async () => {
    const db = t.open();
    const first = [fileRecord('src/a.ts', ['one', 'two']), fileRecord('src/b.ts', ['three'])];
    await importJsonLines(db, jsonLines(first));
    const again = await importJsonLines(db, jsonLines(first));
    assert.equal(again.unchanged, 2);
    assert.equal(again.files, 0);
    const changed = await importJsonLines(db, jsonLines([fileRecord('src/a.ts', ['four'])]));
    assert.equal(changed.files, 1);
    const repo = new Repository(db);
    assert.deepEqual(
      db
        .prepare(
          "SELECT name FROM definitions WHERE file_id = (SELECT id FROM files WHERE path = 'src/a.ts')",
        )
        .pluck()
        .all(),
      ['four'],
    );
    assert.deepEqual(repo.search('two'), []);
    assert.deepEqual(
      repo.search('four').map((r) => r.path),
      ['src/a.ts'],
    );
    assert.equal(
      repo.getFile('src/a.ts')!.hash,
      validateRecord(fileRecord('src/a.ts', ['four'])).hash,
    );
  });

  it('streams from a file and reports progress per batch; cancelling keeps committed batches', async () => {
    const db = t.open();
    const file = join(t.dir(), 'in.jsonl');
    writeFileSync(
      file,
      Array.from({ length: 250 }, (_, i) => JSON.stringify(fileRecord(`src/f${i}.ts`))).join(
        '\r\n',
      ),
    );
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const progress: number[] = [];
    await assert.rejects(
      importJsonLines(db, createReadStream(file), {
        batchSize: 100,
        cancel,
        onProgress: (e) => {
          progress.push(e.done!);
          Atomics.store(cancel, 0, 1);
        },
      }),
      (err: CodeidxError) => err.code === 'CANCELLED',
    );
    assert.deepEqual(progress, [100]);
    assert.equal(db.prepare('SELECT count(*) FROM files').pluck().get(), 100);
    const rest = await importJsonLines(db, createReadStream(file), { batchSize: 100 });
    assert.equal(rest.unchanged, 100);
    assert.equal(rest.files, 150);
  });

  it('leaves no file with part of its definitions when killed mid-import', async () => {
    const db = t.open();
    db.close();
    const dbPath = join(t.dir(), 'test.db');
    const file = join(t.dir(), 'big.jsonl');
    const names = Array.from({ length: 20 }, (_, k) => `name${k}`);
    writeFileSync(
      file,
      Array.from({ length: 3000 }, (_, i) =>
        JSON.stringify(fileRecord(`src/f${i}.ts`, names)),
      ).join('\n'),
    );
    const child = startChild(IMPORT_CHILD, [dbPath, file]);
    // Three progress lines: three batches committed. Rejects if the child exits first.
    await child.waitFor((out) => out.trim().split('\n').length >= 3, 'three batches');
    await child.kill();
    const after = openConnection(dbPath);
    try {
      assert.equal(after.pragma('integrity_check', { simple: true }), 'ok');
      const counts = after
        .prepare(
          'SELECT f.id, count(d.id) AS n FROM files f LEFT JOIN definitions d ON d.file_id = f.id GROUP BY f.id',
        )
        .all() as { n: number }[];
      assert.ok(counts.length >= 150 && counts.length < 3000, `${counts.length} files survived`);
      assert.ok(
        counts.every((c) => c.n === 20),
        'every stored file has all its definitions',
      );
      assert.equal(after.prepare('SELECT count(*) FROM search_index').pluck().get(), counts.length);
      assert.equal(
        after
          .prepare("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'search_sync_%'")
          .pluck()
          .get(),
        14,
      );
    } finally {
      after.close();
    }
  });
});

describe('import takes any byte stream', () => {
  const t = tempDatabases();
  const line = (path: string): Buffer => Buffer.from(`${JSON.stringify(fileRecord(path))}\n`);
  const paths = (db: ReturnType<typeof t.open>): unknown[] =>
    db.prepare('SELECT path FROM files ORDER BY path').pluck().all();

  // Ensure a line past the bound is reported by number and skipped, and the lines around it
  // load: it used to end in a RangeError that lost the valid lines before it.
  it('reports a line longer than MAX_LINE_BYTES by its number and loads the others', async () => {
    const db = t.open();
    const huge = Buffer.alloc(MAX_LINE_BYTES + 10, 'x');
    // In 64 KiB chunks, as a file stream delivers it: the long line spans hundreds of chunks.
    const chunks = [line('src/a.ts'), huge, Buffer.from('\n'), line('src/b.ts')];
    const bytes = Buffer.concat(chunks);
    const pieces = Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) =>
      bytes.subarray(i * 65536, (i + 1) * 65536),
    );
    const report = await importJsonLines(db, Readable.from(pieces));
    assert.equal(report.lines, 3);
    assert.equal(report.errors.length, 1);
    assert.equal(report.errors[0]!.line, 2);
    assert.match(report.errors[0]!.message, /longer than the limit of 16 MiB/);
    assert.deepEqual(paths(db), ['src/a.ts', 'src/b.ts']);
  });

  // Ensure a long line that arrives in many small chunks is counted and skipped (only the bound
  // is ever kept of it), and that the bound is exact: a CRLF line of exactly the bound loads.
  it('skips a long line made of many chunks; the bound is exact and a CR is not counted', async () => {
    const db = t.open();
    const ok = line('src/ok.ts');
    const max = ok.length - 1; // exactly the record's length without its line break
    // eslint-disable-next-line @typescript-eslint/require-await -- a stand-in for a stream, async like one
    async function* input(): AsyncGenerator<Buffer> {
      yield ok;
      for (let i = 0; i < 1024; i++) yield Buffer.alloc(4096, 'y');
      yield Buffer.from('\n');
      yield Buffer.from(`${ok.subarray(0, -1).toString()}\r\n`); // max bytes before the CRLF
      yield line('src/ok.tsx'); // one byte over
    }
    const report = await importJsonLines(db, Readable.from(input()), { maxLineBytes: max });
    assert.deepEqual(
      report.errors.map((e) => e.line),
      [2, 4],
    );
    assert.match(
      report.errors[0]!.message,
      /longer than the limit of \d+ bytes \(4,194,304 bytes\)/,
    );
    assert.equal(report.unchanged, 1, 'line 3 is line 1 again, read whole');
    assert.deepEqual(paths(db), ['src/ok.ts']);
  });

  // Ensure bad bytes are reported, not silently turned into U+FFFD and stored.
  it('reports invalid UTF-8 by line instead of replacing it', async () => {
    const db = t.open();
    const record = JSON.stringify(fileRecord('src/bad.ts', ['PLACEHOLDER']));
    const [before, after] = record.split('PLACEHOLDER');
    const bad = Buffer.concat([
      Buffer.from(before!),
      Buffer.from([0x66, 0xff, 0xfe, 0x6f]),
      Buffer.from(`${after}\n`),
    ]);
    const report = await importJsonLines(
      db,
      Readable.from([line('src/a.ts'), bad, line('src/b.ts')]),
    );
    assert.deepEqual(report.errors, [
      { line: 2, message: 'is not valid UTF-8; skipped (save the input as UTF-8)' },
    ]);
    assert.deepEqual(paths(db), ['src/a.ts', 'src/b.ts']);
    assert.equal(
      db.prepare("SELECT count(*) FROM definitions WHERE name LIKE '%\uFFFD%'").pluck().get(),
      0,
    );
  });

  // Ensure a file saved with a byte order mark (and Windows line ends) loads whole.
  it('accepts a UTF-8 BOM and CRLF line ends', async () => {
    const db = t.open();
    const text = `\uFEFF${JSON.stringify(fileRecord('src/a.ts'))}\r\n${JSON.stringify(fileRecord('src/b.ts'))}\r\n`;
    const report = await importJsonLines(db, Readable.from([Buffer.from(text)]));
    assert.deepEqual(report.errors, []);
    assert.deepEqual(paths(db), ['src/a.ts', 'src/b.ts']);
    const strings = await importJsonLines(
      db,
      jsonLines([`\uFEFF${JSON.stringify(fileRecord('src/c.ts'))}`]),
    );
    assert.deepEqual(strings.errors, []);
    assert.equal(strings.files, 1);
  });

  // Ensure a stored path names a file inside the workspace and can be printed safely.
  it('refuses paths that are absolute, use backslashes, climb with .., or hold control characters', async () => {
    const db = t.open();
    const badPaths = [
      '/etc/passwd',
      'C:/Windows/win.ini',
      'src\\win.ts',
      '../outside.ts',
      'src/../../outside.ts',
      'src/\u001b[2J.ts',
      'src/bell\u0007.ts',
      'src/\u009bcsi.ts',
    ];
    const report = await importJsonLines(
      db,
      jsonLines([...badPaths.map((p) => fileRecord(p)), fileRecord('src/ok..name.ts')]),
    );
    assert.deepEqual(
      report.errors.map((e) => e.line),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.match(report.errors[0]!.message, /^path "\/etc\/passwd" must be relative/);
    assert.match(report.errors[2]!.message, /forward slashes/);
    assert.match(report.errors[3]!.message, /"\.\." segments/);
    assert.equal(
      report.errors[5]!.message,
      'path "src/\\x1b[2J.ts" must not contain control characters',
      'the path is shown escaped',
    );
    assert.deepEqual(paths(db), ['src/ok..name.ts'], '".." inside a name is fine');
  });

  // Ensure a full disk after some batches says how many files are in: it used to say "Nothing
  // was changed" after committing 1,000 of 2,000.
  it('on a full disk, says exactly how many files were committed before it filled', async () => {
    const db = t.open();
    const names = Array.from({ length: 30 }, (_, k) => `someLongishFunctionName${k}`);
    const records = Array.from({ length: 2000 }, (_, i) => fileRecord(`src/f${i}.ts`, names));
    // SQLite's page limit gives the same SQLITE_FULL as a full disk, without root or a mount.
    const pages = Number(db.pragma('page_count', { simple: true }));
    db.pragma(`max_page_count = ${pages + 400}`);
    const err = await importJsonLines(db, jsonLines(records), { batchSize: 100 }).then(
      () => assert.fail('the import should fill the database'),
      (e: unknown) => e as CodeidxError,
    );
    const stored = Number(db.prepare('SELECT count(*) FROM files').pluck().get());
    assert.ok(stored > 0 && stored < 2000 && stored % 100 === 0, `${stored} files stored`);
    assert.equal(err.code, 'DISK_FULL');
    assert.match(
      err.message,
      new RegExp(
        `^The disk filled up \\(.*\\) after ${stored.toLocaleString('en-US')} file\\(s\\) were committed from lines 1-${stored} `,
      ),
    );
    assert.doesNotMatch(`${err.message} ${err.hint}`, /nothing was changed/i);
    assert.match(err.hint!, /run the same import again/);
    assert.equal(err.details.committedFiles, stored);
  });
});

describe('import streaming and strict mode', () => {
  const t = tempDatabases();

  it('reads no further than one batch ahead of what it has written (memory does not grow with input)', async () => {
    const db = t.open();
    let pulled = 0;
    // eslint-disable-next-line @typescript-eslint/require-await -- a stand-in for a stream, async like one
    async function* endless(): AsyncGenerator<string> {
      for (let i = 0; ; i++) {
        pulled++;
        yield JSON.stringify(fileRecord(`src/f${i}.ts`, [`name${i}`]));
      }
    }
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const seen: number[] = [];
    await assert.rejects(
      importJsonLines(db, endless(), {
        batchSize: 50,
        cancel,
        onProgress: (e) => {
          seen.push(pulled);
          if (e.done === 150) Atomics.store(cancel, 0, 1);
        },
      }),
      (err: CodeidxError) => err.code === 'CANCELLED',
    );
    // At each batch's progress event exactly that batch's lines have been read: an endless
    // input is consumed batch by batch, never buffered whole.
    assert.deepEqual(seen, [50, 100, 150]);
    assert.equal(db.prepare('SELECT count(*) FROM files').pluck().get(), 150);
  });

  // Ensure a batch is bounded in bytes as well as in lines: 500 records of a few MB each would
  // otherwise be held at once.
  it('writes a batch once it holds MAX_BATCH_BYTES of input, before batchSize lines', async () => {
    const db = t.open();
    const doc = 'x'.repeat(MAX_BATCH_BYTES / 4);
    const lines = Array.from({ length: 10 }, (_, i) => {
      const r = fileRecord(`src/big${i}.ts`);
      r.definitions![0]!.docstring = doc;
      return `${JSON.stringify(r)}\n`;
    });
    const done: number[] = [];
    const report = await importJsonLines(db, Readable.from(lines.map((l) => Buffer.from(l))), {
      onProgress: (e) => done.push(e.done!),
    });
    assert.equal(report.files, 10);
    assert.deepEqual(done, [4, 8, 10], 'four lines of a quarter each fill a batch');
    assert.equal(db.prepare('SELECT count(*) FROM search_index').pluck().get(), 10);
  });

  // Ensure an input of nothing but bad lines cannot fill the memory with error messages.
  it('lists the first MAX_REPORTED_ERRORS bad lines and counts them all', async () => {
    const db = t.open();
    const n = MAX_REPORTED_ERRORS + 250;
    const input = Readable.from([Buffer.from('{"path":\n'.repeat(n))]);
    const report = await importJsonLines(db, input);
    assert.equal(report.errorCount, n);
    assert.equal(report.errors.length, MAX_REPORTED_ERRORS);
    assert.deepEqual(
      report.errors.slice(0, 3).map((e) => e.line),
      [1, 2, 3],
    );
  });

  // Ensure a re-import of unchanged files only looks them up: no trigger DDL (which would
  // re-prepare every statement), nothing written.
  it('skips unchanged files without touching the schema or writing', async () => {
    const db = t.open();
    const records = Array.from({ length: 30 }, (_, i) => fileRecord(`src/f${i}.ts`, [`n${i}`]));
    await importJsonLines(db, jsonLines(records), { batchSize: 10 });
    const schemaVersion = db.pragma('schema_version', { simple: true });
    const changes = db.prepare('SELECT total_changes()').pluck().get();
    const report = await importJsonLines(db, jsonLines(records), { batchSize: 10 });
    assert.equal(report.unchanged, 30);
    assert.equal(report.files, 0);
    assert.equal(db.pragma('schema_version', { simple: true }), schemaVersion);
    assert.equal(db.prepare('SELECT total_changes()').pluck().get(), changes);
  });

  // Ensure an import spaces SQLite's automatic checkpoints while it runs, and gives the
  // connection its own setting back after, whether it succeeded or failed.
  it('spaces automatic checkpoints during an import and restores the setting after', async () => {
    const db = t.open();
    const during: number[] = [];
    const setting = (): number => db.pragma('wal_autocheckpoint', { simple: true }) as number;
    const records = Array.from({ length: 6 }, (_, i) => fileRecord(`src/f${i}.ts`));
    await importJsonLines(db, jsonLines(records), {
      batchSize: 2,
      onProgress: () => during.push(setting()),
    });
    assert.deepEqual(during, [
      IMPORT_CHECKPOINT_PAGES,
      IMPORT_CHECKPOINT_PAGES,
      IMPORT_CHECKPOINT_PAGES,
    ]);
    assert.equal(setting(), 1000, "SQLite's default is back");
    db.pragma('wal_autocheckpoint = 250');
    await assert.rejects(
      importJsonLines(db, jsonLines([fileRecord('src/x.ts'), '{oops']), { strict: true }),
      { code: 'IMPORT_INVALID' },
    );
    assert.equal(setting(), 250, 'the connection’s own setting is back after a failed import');
  });

  // Ensure an import leaves no large WAL behind and merges index segments: the database must not
  // grow round after round of re-imports.
  it('checkpoints and truncates the WAL after an import that wrote files', async () => {
    const db = t.open();
    const records = Array.from({ length: 200 }, (_, i) => fileRecord(`src/f${i}.ts`, [`n${i}`]));
    await importJsonLines(db, jsonLines(records), { batchSize: 20 });
    assert.equal(statSync(`${db.name}-wal`).size, 0, 'the WAL was truncated');
    assert.equal(db.prepare('SELECT count(*) FROM search_index').pluck().get(), 200);
    assert.equal(db.pragma('busy_timeout', { simple: true }), 5000, 'the busy timeout is back');
  });

  it('with strict, a row the database refuses in a later batch rolls back every batch', async () => {
    const db = t.open();
    db.exec('CREATE UNIQUE INDEX test_unique_name ON definitions (name)');
    const schema = (): unknown[] =>
      db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all();
    const before = schema();
    const records = Array.from({ length: 10 }, (_, i) => fileRecord(`src/f${i}.ts`, [`n${i}`]));
    records.push(fileRecord('src/dup.ts', ['n3'])); // line 11, third batch: unique index refuses it
    await assert.rejects(
      importJsonLines(db, jsonLines(records), { strict: true, batchSize: 4 }),
      (err: CodeidxError) =>
        err.code === 'IMPORT_INVALID' && /Line 11: .*UNIQUE constraint failed/.test(err.message),
    );
    assert.equal(db.prepare('SELECT count(*) FROM files').pluck().get(), 0);
    assert.equal(db.prepare('SELECT count(*) FROM search_index').pluck().get(), 0);
    assert.deepEqual(schema(), before, 'the sync triggers are all there');
    assert.equal(db.inTransaction, false);
  });
});

describe('writers wait for each other', () => {
  const t = tempDatabases();

  /** A JSON lines file of `n` records under `prefix/`, 20 definitions each. */
  const recordsFile = (prefix: string, n: number): string => {
    const file = join(t.dir(), `${prefix}.jsonl`);
    const names = Array.from({ length: 20 }, (_, k) => `name${k}`);
    writeFileSync(
      file,
      Array.from({ length: n }, (_, i) =>
        JSON.stringify(fileRecord(`${prefix}/f${i}.ts`, names)),
      ).join('\n'),
    );
    return file;
  };

  // Ensure two imports started at once both finish: each batch takes the write lock with BEGIN
  // IMMEDIATE (a deferred transaction that read first failed at once with "database is locked").
  it('two processes importing into one database at once both succeed with all their rows', async () => {
    t.open().close();
    const dbPath = join(t.dir(), 'test.db');
    const files = [recordsFile('a', 1500), recordsFile('b', 1500)];
    const children = files.map((file) => startChild(IMPORT_CHILD, [dbPath, file]));
    const results = await Promise.all(children.map((c) => c.exited));
    assert.deepEqual(
      results.map((r) => r.code),
      [0, 0],
      'both imports exit 0',
    );
    const db = openConnection(dbPath);
    try {
      const count = (sql: string): unknown => db.prepare(sql).pluck().get();
      assert.equal(count("SELECT count(*) FROM files WHERE path LIKE 'a/%'"), 1500);
      assert.equal(count("SELECT count(*) FROM files WHERE path LIKE 'b/%'"), 1500);
      assert.equal(count('SELECT count(*) FROM definitions'), 3000 * 20);
      assert.equal(count('SELECT count(*) FROM search_index'), 3000);
    } finally {
      db.close();
    }
  });

  /** A connection to a database whose write lock another process holds for 400 ms. */
  const whileLocked = async (): Promise<{
    db: Connection;
    holder: ReturnType<typeof startChild>;
  }> => {
    t.open().close();
    const dbPath = join(t.dir(), 'test.db');
    const holder = startChild(LOCK_HOLDER, [dbPath, '400']);
    await holder.waitFor((out) => out.includes('locked'), 'it held the lock');
    return { db: openConnection(dbPath), holder };
  };

  // Ensure a writer that finds the lock held waits for it (busy timeout) instead of failing.
  it('an import waits while another connection holds the write lock, then succeeds', async () => {
    const { db, holder } = await whileLocked();
    try {
      const report = await importJsonLines(
        db,
        jsonLines([fileRecord('src/a.ts'), fileRecord('src/b.ts')]),
      );
      assert.equal(report.files, 2);
      assert.equal((await holder.exited).code, 0);
      // The holder's row and ours: both writers committed.
      assert.deepEqual(db.prepare('SELECT path FROM files ORDER BY id').pluck().all(), [
        'held/by-holder.ts',
        'src/a.ts',
        'src/b.ts',
      ]);
    } finally {
      db.close();
    }
  });

  // Ensure the repository's single writes wait too: their lookup before the write must not
  // leave them holding a read lock that cannot be upgraded.
  it('a repository write waits while another connection holds the write lock', async () => {
    const { db, holder } = await whileLocked();
    try {
      assert.equal(new Repository(db).upsertFile(fileRecord('src/a.ts')).changed, true);
      assert.equal((await holder.exited).code, 0);
      assert.equal(db.prepare('SELECT count(*) FROM files').pluck().get(), 2);
    } finally {
      db.close();
    }
  });
});
