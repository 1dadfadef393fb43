import assert from 'node:assert/strict';
import type { Connection } from '../src/storage/database/connection.ts';
import { importJsonLines } from '../src/storage/index/importer.ts';
import { validateRecord } from '../src/storage/index/records.ts';
import { FileWriter, Repository } from '../src/storage/index/repository.ts';
import { fileRecord, jsonLines, tempDatabases } from './helpers.ts';

const COLUMNS = 'filename, path, definitions, imports, docstrings, tags';

function schema(db: Connection): unknown[] {
  return db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name').all();
}
function indexed(db: Connection): unknown[] {
  return db.prepare(`SELECT rowid AS file_id, ${COLUMNS} FROM search_index ORDER BY rowid`).all();
}
function expected(db: Connection): unknown[] {
  return db.prepare(`SELECT file_id, ${COLUMNS} FROM search_documents ORDER BY file_id`).all();
}

describe('full-text index document', () => {
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
    const before = schema(db);
    const records = Array.from({ length: 30 }, (_, i) => fileRecord(`src/f${i}.ts`, [`alpha${i}`]));
    await importJsonLines(db, jsonLines(records), { batchSize: 7 });
    // The sync triggers were dropped and re-created inside each batch: same names, same SQL.
    assert.deepEqual(schema(db), before);
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
    const before = schema(db);
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
    assert.deepEqual(schema(db), before);
    assert.deepEqual(indexed(db), expected(db));
  });

  // Ensure the indexer's bulk path (Repository.writeFiles) shares the importer's step: triggers
  // back with their exact SQL, the index exact at the commit, replaced files re-indexed.
  it('writeFiles leaves sqlite_schema as it was and the index exact, on new and replaced files', async () => {
    const db = t.open();
    const repo = new Repository(db);
    const before = schema(db);
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
    assert.deepEqual(schema(db), before);
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
    const before = schema(db);
    const records = [fileRecord('src/a.ts', ['same']), fileRecord('src/b.ts', ['same'])];
    await assert.rejects(repo.writeFiles(records.map((r) => validateRecord(r))));
    assert.deepEqual(schema(db), before);
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

  it('every statement the repository prepares uses an index (EXPLAIN QUERY PLAN of their own SQL)', () => {
    const db = t.open();
    const repo = new Repository(db);
    const writer = new FileWriter(db);
    // The statements themselves, not copies of their SQL, so a changed query cannot slip by.
    const own = (o: object): Record<string, { source: string }> =>
      o as unknown as Record<string, { source: string }>;
    const statements: [string, string][] = [
      ...Object.entries(own(repo)['statements'] as object),
      ...Object.entries(own(writer)).filter(([, v]) => typeof v === 'object' && 'source' in v),
      ...(own(writer)['clear'] as unknown as { source: string }[]).map(
        (s, i): [string, { source: string }] => [`clear${i}`, s],
      ),
    ].map(([k, v]) => [k, (v as { source: string }).source]);
    assert.ok(statements.length >= 13, `found ${statements.length} statements`);
    for (const [name, sql] of statements) {
      // count(*) of whole tables, and the indexer's listing of every file: scans by definition
      if (name === 'stats' || name === 'list') continue;
      const params: Record<string, unknown> = { match: '"x"*', exact: 'x', limit: 5, id: 1 };
      const stmt = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
      const count = (sql.match(/\?/g) ?? []).length;
      const rows = (sql.includes('@') ? stmt.all(params) : stmt.all(...Array(count).fill(1))) as {
        detail: string;
      }[];
      const plan = rows.map((r) => r.detail).join(' | ');
      assert.doesNotMatch(
        plan,
        /\bSCAN (files|definitions|imports|symbols|file_tags|f|d)\b/,
        `${name}: ${plan}`,
      );
      if (name === 'search')
        assert.match(plan, /definitions_name/, 'the exact-name boost is an index lookup');
    }
  });
});
