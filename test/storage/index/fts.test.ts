import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Connection } from '../../../src/storage/database/connection.ts';
import type { CodeidxError } from '../../../src/storage/errors.ts';
import { checkSearchIndex, rebuildSearchIndex } from '../../../src/storage/index/fts.ts';
import { importJsonLines } from '../../../src/storage/index/importer.ts';
import { validateRecord } from '../../../src/storage/index/records.ts';
import { Repository } from '../../../src/storage/index/repository.ts';
import { loadMigrations } from '../../../src/storage/migrations/loader.ts';
import { MigrationManager } from '../../../src/storage/migrations/manager.ts';
import { fileRecord, jsonLines, schemaOf, tempDatabases } from '../../helpers.ts';

const COLUMNS = 'filename, path, definitions, imports, docstrings, tags';

/** The index as stored, and as the tables say it should be. */
function indexed(db: Connection): unknown[] {
  return db.prepare(`SELECT rowid AS file_id, ${COLUMNS} FROM search_index ORDER BY rowid`).all();
}
function expected(db: Connection): unknown[] {
  return db.prepare(`SELECT file_id, ${COLUMNS} FROM search_documents ORDER BY file_id`).all();
}

describe('full-text index: documents, sync triggers, rebuild and check', () => {
  const t = tempDatabases();

  it('indexes mixed-case names whole and by words, all-capital names whole, file names split', () => {
    const db = t.open();
    const repo = new Repository(db);
    repo.upsertFile(
      fileRecord('src/net/HttpClient.ts', [
        'parseHttpRequest',
        'MAX_SIZE',
        'HTTPServer',
        'parse_http_request',
        'Parse',
      ]),
    );
    const doc = db
      .prepare('SELECT filename, definitions FROM search_documents WHERE file_id = 1')
      .get() as { filename: string; definitions: string };
    // Whole names first (prefix search on the whole identifier), then the words of the
    // mixed-case ones; MAX_SIZE and Parse are not split into letters or repeated. (The split
    // puts a space before each capital, hence the double space before H: harmless to FTS5.)
    assert.equal(
      doc.definitions,
      'parseHttpRequest MAX_SIZE HTTPServer parse_http_request Parse parse Http Request  H T T P Server',
    );
    assert.equal(doc.filename, 'HttpClient.ts  Http Client.ts');
    assert.deepEqual(
      repo.search('server').map((r) => r.path),
      ['src/net/HttpClient.ts'],
      'a word inside an acronym-led name',
    );
    assert.deepEqual(
      repo.search('client').map((r) => r.path),
      ['src/net/HttpClient.ts'],
      'a word of the file name',
    );
    assert.equal(repo.search('max size').length, 1, 'snake-case words split by the tokenizer');
  });

  it('an import leaves sqlite_schema exactly as it was, and plain SQL writes after it still reach the index', async () => {
    const db = t.open();
    const before = schemaOf(db);
    const records = Array.from({ length: 30 }, (_, i) => fileRecord(`src/f${i}.ts`, [`alpha${i}`]));
    await importJsonLines(db, jsonLines(records), { batchSize: 7 });
    // The sync triggers were dropped and re-created inside each batch: same names, same SQL.
    assert.deepEqual(schemaOf(db), before);
    db.exec(
      "INSERT INTO definitions (file_id, name, type, line, \"column\", exported) VALUES (3, 'zetaWidget', 'class', 5, 0, 1)",
    );
    assert.deepEqual(indexed(db), expected(db));
    assert.deepEqual(
      new Repository(db).search('zeta widget').map((r) => r.path),
      ['src/f2.ts'],
    );
  });

  it('a batch redone file by file after a refusal restores the triggers and counts each file once', async () => {
    const db = t.open();
    await importJsonLines(
      db,
      jsonLines([fileRecord('src/a.ts', ['one']), fileRecord('src/b.ts', ['two'])]),
    );
    db.exec('CREATE UNIQUE INDEX test_unique_name ON definitions (name)');
    const before = schemaOf(db);
    const report = await importJsonLines(
      db,
      jsonLines([
        fileRecord('src/a.ts', ['one']), // unchanged: skipped by hash
        fileRecord('src/c.ts', ['two']), // refused by the unique index
        fileRecord('src/d.ts', ['four']),
      ]),
    );
    assert.equal(report.unchanged, 1, 'the fast pass that failed is not counted');
    assert.equal(report.files, 1);
    assert.deepEqual(
      report.errors.map((e) => e.line),
      [2],
    );
    assert.deepEqual(schemaOf(db), before);
    assert.deepEqual(indexed(db), expected(db));
  });

  // Ensure the indexer's bulk path (Repository.writeFiles) shares the importer's step: triggers
  // back with their exact SQL, the index exact at the commit, replaced files re-indexed.
  it('writeFiles leaves sqlite_schema as it was and the index exact, on new and replaced files', async () => {
    const db = t.open();
    const repo = new Repository(db);
    const before = schemaOf(db);
    const valid = (path: string, names: string[]) => validateRecord(fileRecord(path, names));
    assert.deepEqual(
      await repo.writeFiles([valid('src/a.ts', ['alpha']), valid('src/b.ts', ['beta'])]),
      {
        written: 2,
        unchanged: 0,
      },
    );
    assert.deepEqual(
      await repo.writeFiles([valid('src/a.ts', ['alpha']), valid('src/b.ts', ['gamma'])]),
      { written: 1, unchanged: 1 },
    );
    assert.deepEqual(schemaOf(db), before);
    assert.deepEqual(indexed(db), expected(db));
    assert.deepEqual(
      repo.search('gamma').map((r) => r.path),
      ['src/b.ts'],
    );
    assert.deepEqual(repo.search('beta'), [], 'the replaced row left the index');
    assert.deepEqual(await repo.writeFiles([valid('src/a.ts', ['alpha'])], { force: true }), {
      written: 1,
      unchanged: 0,
    });
    assert.deepEqual(indexed(db), expected(db));
  });

  // Ensure a refused batch rolls back whole, the dropped triggers with it.
  it('writeFiles that fails rolls back the batch and keeps the triggers', async () => {
    const db = t.open();
    const repo = new Repository(db);
    db.exec('CREATE UNIQUE INDEX test_unique_name ON definitions (name)');
    const before = schemaOf(db);
    const records = [fileRecord('src/a.ts', ['same']), fileRecord('src/b.ts', ['same'])];
    await assert.rejects(repo.writeFiles(records.map((r) => validateRecord(r))));
    assert.deepEqual(schemaOf(db), before);
    assert.equal(db.prepare('SELECT count(*) FROM files').pluck().get(), 0);
    db.prepare(
      "INSERT INTO files (path, filename, extension, size, last_modified, hash, language, indexed_at) VALUES ('src/zetaFile.ts', 'zetaFile.ts', '.ts', 1, 0, ?, 'typescript', 0)",
    ).run('0'.repeat(64));
    assert.deepEqual(indexed(db), expected(db), 'plain SQL still reaches the index');
    assert.equal(repo.search('zeta').length, 1);
  });

  it('upserts through the sync triggers and imports through the view write the same index', async () => {
    const a = t.open(undefined, 'a.db');
    const b = t.open(undefined, 'b.db');
    const records = Array.from({ length: 12 }, (_, i) =>
      fileRecord(`src/mod${i}/indexHandler.ts`, [`handleRequest${i}`, `CONSTANT_${i}`, 'runTask'], {
        definitions: [
          {
            name: `handleRequest${i}`,
            type: 'function',
            line: 1,
            column: 0,
            exported: true,
            docstring: `Handles request number ${i}.`,
          },
        ],
      }),
    );
    const repo = new Repository(a);
    for (const r of records) repo.upsertFile(r);
    await importJsonLines(b, jsonLines(records), { batchSize: 5 });
    assert.deepEqual(indexed(a), indexed(b));
    assert.deepEqual(indexed(a), expected(a));
  });

  it('keeps the index equal to the tables after plain SQL inserts, updates and deletes', () => {
    const db = t.open();
    const repo = new Repository(db);
    repo.upsertFile(fileRecord('src/a.ts', ['alphaOne']));
    repo.upsertFile(fileRecord('src/b.ts', ['betaTwo']));
    const steps = [
      "INSERT INTO definitions (file_id, name, type, line, \"column\", exported, docstring) VALUES (1, 'gammaThree', 'class', 9, 0, 1, 'Makes gamma rays')",
      "UPDATE definitions SET name = 'deltaFour' WHERE name = 'alphaOne'",
      "UPDATE definitions SET file_id = 2 WHERE name = 'gammaThree'",
      "INSERT INTO imports (file_id, module, type) VALUES (2, 'left-pad', 'commonjs')",
      "UPDATE imports SET module = 'right-pad' WHERE module = 'left-pad'",
      "INSERT INTO file_tags (file_id, tag, weight) VALUES (1, 'ui', 0.9)",
      "UPDATE file_tags SET tag = 'frontend' WHERE tag = 'ui'",
      "UPDATE files SET path = 'lib/a.ts', filename = 'a.ts' WHERE id = 1",
      "DELETE FROM imports WHERE module = 'right-pad'",
      "DELETE FROM file_tags WHERE tag = 'frontend'",
      "DELETE FROM definitions WHERE name = 'deltaFour'",
      'DELETE FROM files WHERE id = 2',
    ];
    for (const sql of steps) {
      db.exec(sql);
      assert.deepEqual(indexed(db), expected(db), `after: ${sql}`);
    }
    assert.deepEqual(indexed(db).length, 1);
    assert.deepEqual(
      repo.search('lib').map((r) => r.path),
      ['lib/a.ts'],
    );
    assert.deepEqual(repo.search('gamma rays'), [], 'deleted rows are gone from search');
  });

  it('rebuild reproduces exactly the same index and the same search results', () => {
    const db = t.open();
    const repo = new Repository(db);
    for (let i = 0; i < 30; i++)
      repo.upsertFile(
        fileRecord(`src/f${i}.ts`, [`handler${i}`, 'parseHttpRequest', `render_view_${i}`]),
      );
    const before = indexed(db);
    const results = repo.search('http request', { limit: 50 });
    // An FTS5 row id holds its segment's id above bit 37; segment 0 holds the structure.
    const segments = db
      .prepare('SELECT count(DISTINCT id >> 37) FROM search_index_data WHERE id >> 37 > 0')
      .pluck();
    assert.ok((segments.get() as number) > 1, 'one commit per file leaves several segments');
    const progress: string[] = [];
    const { rows } = rebuildSearchIndex(db, {
      onProgress: (e) => progress.push(`${e.done} ${e.message}`),
    });
    assert.equal(rows, 30);
    assert.deepEqual(progress, [
      '30 Rebuilding the full-text index (30 of 30 files)',
      '30 Merging the full-text index into one segment',
    ]);
    assert.equal(segments.get(), 1, 'the rebuilt index is merged into one segment');
    assert.deepEqual(indexed(db), before);
    assert.deepEqual(repo.search('http request', { limit: 50 }), results);
    assert.deepEqual(checkSearchIndex(db), { ok: true, message: 'Full-text index ok (30 files).' });
  });

  it('cancelling a rebuild leaves the index as it was', () => {
    const db = t.open();
    const repo = new Repository(db);
    for (let i = 0; i < 5; i++) repo.upsertFile(fileRecord(`src/f${i}.ts`));
    const before = indexed(db);
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(cancel, 0, 1);
    assert.throws(
      () => rebuildSearchIndex(db, { cancel }),
      (e: CodeidxError) => e.code === 'CANCELLED',
    );
    assert.deepEqual(indexed(db), before);
  });

  it('reports an index that disagrees with the files', () => {
    const db = t.open();
    new Repository(db).upsertFile(fileRecord('src/a.ts'));
    db.exec('DELETE FROM search_index');
    const check = checkSearchIndex(db);
    assert.equal(check.ok, false);
    assert.match(check.message, /0 rows for 1 files/);
  });

  it('populates the index from rows that existed before 002 ran', () => {
    const db = t.open();
    const repo = new Repository(db);
    for (let i = 0; i < 2500; i++) repo.upsertFile(fileRecord(`src/f${i}.ts`, [`widget${i}`]));
    const manager = new MigrationManager(db, loadMigrations());
    manager.rollback({ to: 1 });
    assert.equal(db.prepare('SELECT count(*) FROM files').pluck().get(), 2500);
    const batches: number[] = [];
    manager.migrate({ to: 3, onProgress: (e) => e.phase === 'populate' && batches.push(e.done!) });
    assert.deepEqual(batches, [2000, 2500, 2000, 2500], '002 populates, then 003 re-indexes');
    assert.deepEqual(indexed(db), expected(db));
    assert.deepEqual(
      new Repository(db).search('widget2499').map((r) => r.path),
      ['src/f2499.ts'],
    );
  });

  it('stays readable and writable by the stock sqlite3 shell (3.40)', function () {
    const version = spawnSync('sqlite3', ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (version.status !== 0) this.skip();
    const db = t.open();
    new Repository(db).upsertFile(fileRecord('src/a.ts', ['parseHttpRequest']));
    db.close();
    const file = join(t.dir(), 'test.db');
    const r = spawnSync(
      'sqlite3',
      [
        file,
        `SELECT definitions FROM search_documents;
         SELECT rowid FROM search_index WHERE search_index MATCH 'http AND request';
         INSERT INTO definitions (file_id, name, type, line, "column", exported) VALUES (1, 'fooBar', 'function', 2, 0, 0);
         SELECT definitions FROM search_index;`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      'parseHttpRequest parse Http Request\n1\nparseHttpRequest fooBar parse Http Request foo Bar\n',
    );
  });
});
