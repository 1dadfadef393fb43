import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Connection } from '../src/storage/database/connection.ts';
import { CodeidxError } from '../src/storage/errors.ts';
import { checkSearchIndex, rebuildSearchIndex } from '../src/storage/index/fts.ts';
import { loadMigrations } from '../src/storage/migrations/loader.ts';
import { MigrationManager } from '../src/storage/migrations/manager.ts';
import { Repository } from '../src/storage/index/repository.ts';
import { buildMatchQuery } from '../src/storage/index/search.ts';
import { fileRecord, tempDatabases } from './helpers.ts';

const COLUMNS = 'filename, path, definitions, imports, docstrings, tags';

/** The index as stored, and as the tables say it should be. */
function indexed(db: Connection): unknown[] {
  return db.prepare(`SELECT rowid AS file_id, ${COLUMNS} FROM search_index ORDER BY rowid`).all();
}
function expected(db: Connection): unknown[] {
  return db.prepare(`SELECT file_id, ${COLUMNS} FROM search_documents ORDER BY file_id`).all();
}

describe('schema and full-text index', () => {
  const t = tempDatabases();

  it('each down restores exactly the schema before its up', () => {
    const db = t.open(0);
    const manager = new MigrationManager(db, loadMigrations());
    const schema = (): unknown[] =>
      db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name').all();
    const before = [schema()];
    manager.migrate({ to: 1 });
    before.push(schema());
    manager.migrate({ to: 2 });
    before.push(schema());
    manager.migrate({ to: 3 });
    manager.rollback({ to: 2 });
    assert.deepEqual(schema(), before[2]);
    manager.rollback({ to: 1 });
    assert.deepEqual(schema(), before[1]);
    manager.rollback({ to: 0 });
    assert.deepEqual(schema(), before[0]);
  });

  it('uses an index for every repository query (EXPLAIN QUERY PLAN)', () => {
    const db = t.open();
    const plan = (sql: string, ...params: unknown[]): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
        .map((r) => r.detail)
        .join(' | ');
    const cases: [string, unknown[], RegExp][] = [
      [
        'SELECT id, hash FROM files WHERE path = ?',
        ['a'],
        /SEARCH files USING INDEX sqlite_autoindex_files_1 \(path=\?\)/,
      ],
      [
        'SELECT * FROM definitions d JOIN files f ON f.id = d.file_id WHERE d.name = ? COLLATE NOCASE',
        ['x'],
        /SEARCH d USING (COVERING )?INDEX definitions_name_lookup \(name=\?\).*SEARCH f USING INTEGER PRIMARY KEY/,
      ],
      [
        'SELECT * FROM definitions d WHERE d.name >= ? COLLATE NOCASE AND d.name < ? COLLATE NOCASE',
        ['a', 'b'],
        /SEARCH d USING (COVERING )?INDEX definitions_name_lookup \(name>\? AND name<\?\)/,
      ],
      [
        'DELETE FROM definitions WHERE file_id = ?',
        [1],
        /SEARCH definitions USING (COVERING )?INDEX definitions_file/,
      ],
      ['DELETE FROM imports WHERE file_id = ?', [1], /USING (COVERING )?INDEX imports_file/],
      ['DELETE FROM symbols WHERE file_id = ?', [1], /USING (COVERING )?INDEX symbols_file/],
      [
        'DELETE FROM file_tags WHERE file_id = ?',
        [1],
        /USING (COVERING )?INDEX sqlite_autoindex_file_tags_1/,
      ],
      ['SELECT file_id FROM imports WHERE module = ?', ['fs'], /USING INDEX imports_module/],
      [
        'SELECT * FROM search_documents WHERE file_id = ?',
        [1],
        /SEARCH f USING INTEGER PRIMARY KEY/,
      ],
      [
        "SELECT f.path FROM search_index JOIN files f ON f.id = search_index.rowid WHERE search_index MATCH 'x'",
        [],
        /SCAN search_index VIRTUAL TABLE.*SEARCH f USING INTEGER PRIMARY KEY/,
      ],
    ];
    for (const [sql, params, want] of cases) {
      const p = plan(sql, ...params);
      assert.match(p, want, sql);
      assert.doesNotMatch(p, /SCAN (files|definitions|imports|symbols|file_tags)\b/, sql);
    }
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
    const progress: number[] = [];
    const { rows } = rebuildSearchIndex(db, { onProgress: (e) => progress.push(e.done ?? 0) });
    assert.equal(rows, 30);
    assert.deepEqual(progress, [30]);
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

  it('finds identifiers by their parts and prefixes, and ranks an exact name first', () => {
    const db = t.open();
    const repo = new Repository(db);
    repo.upsertFile(fileRecord('src/camel.ts', ['parseHttpRequest']));
    repo.upsertFile(fileRecord('src/snake.py', ['parse_http_request']));
    repo.upsertFile(fileRecord('src/other.ts', ['renderView']));
    assert.deepEqual(
      repo
        .search('http request')
        .map((r) => r.path)
        .sort(),
      ['src/camel.ts', 'src/snake.py'],
    );
    assert.deepEqual(
      repo.search('parseHt').map((r) => r.path),
      ['src/camel.ts'],
    );
    assert.deepEqual(
      repo
        .search('HTTP')
        .map((r) => r.path)
        .sort(),
      ['src/camel.ts', 'src/snake.py'],
    );
    // A widespread name: many files mention Observable, one defines it.
    for (let i = 0; i < 40; i++) {
      repo.upsertFile(
        fileRecord(`src/use${i}.ts`, [`useObservable${i}`], {
          imports: [
            { module: 'rxjs/Observable', type: 'es-module', names: ['Observable'], line: 1 },
          ],
          definitions: [
            {
              name: `observe${i}`,
              type: 'function',
              line: 1,
              column: 0,
              exported: true,
              docstring: 'Wraps an Observable Observable Observable',
            },
          ],
        }),
      );
    }
    repo.upsertFile(fileRecord('src/zz/rx.ts', ['Observable']));
    const top = repo.search('Observable', { limit: 5 });
    assert.equal(top[0]!.path, 'src/zz/rx.ts');
    assert.ok(top[0]!.score > top[1]!.score);
    assert.match(top[0]!.snippet, /\[Observable\]/);
  });

  it('ranks ties by path, past the cut too, and gives each result its own snippet', () => {
    const db = t.open();
    const repo = new Repository(db);
    // 30 files with the same text score the same: only the path orders them.
    for (let i = 29; i >= 0; i--) {
      repo.upsertFile(fileRecord(`src/t${String(i).padStart(2, '0')}.ts`, ['sameTwin']));
    }
    repo.upsertFile(fileRecord('src/zz.ts', ['otherTwin']));
    const top = repo.search('twin', { limit: 5 }).map((r) => r.path);
    const full = db
      .prepare(
        `SELECT f.path FROM search_index JOIN files f ON f.id = search_index.rowid
         WHERE search_index MATCH '"twin"*'
         ORDER BY -bm25(search_index, 10, 2, 6, 1, 1, 3) DESC, f.path LIMIT 5`,
      )
      .pluck()
      .all();
    assert.deepEqual(top, full);
    assert.deepEqual(top, ['src/t00.ts', 'src/t01.ts', 'src/t02.ts', 'src/t03.ts', 'src/t04.ts']);
    // A JS number binds as REAL, which FTS5 ignores as a rowid constraint: each snippet must
    // still come from its own file.
    for (const r of repo.search('twin', { limit: 40 })) {
      const name = r.path === 'src/zz.ts' ? 'other' : 'same';
      assert.match(r.snippet, new RegExp(name), r.path);
    }
  });

  it('finds a prefix of any length through the prefix indexes, and rebuild keeps them', () => {
    const db = t.open();
    const repo = new Repository(db);
    repo.upsertFile(fileRecord('src/a.ts', ['requestHandlerFactory']));
    repo.upsertFile(fileRecord('src/b.ts', ['responseWriter']));
    for (const text of [
      're',
      'req',
      'requ',
      'reque',
      'reques',
      'request',
      'requesth',
      'requestHandl',
    ]) {
      assert.deepEqual(
        repo
          .search(text)
          .map((r) => r.path)
          .sort(),
        ['src/a.ts'].concat(text === 're' ? ['src/b.ts'] : []).sort(),
        text,
      );
    }
    const before = repo.search('re', { limit: 10 });
    rebuildSearchIndex(db);
    assert.deepEqual(repo.search('re', { limit: 10 }), before);
    assert.match(
      String(db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'search_index'").pluck().get()),
      /prefix = '2 3 4 5 6 7 8'/,
    );
  });

  it('never passes user text to FTS5 as syntax', () => {
    const db = t.open();
    const repo = new Repository(db);
    repo.upsertFile(fileRecord('src/foo-bar.ts', ['fooBar']));
    const texts = [
      'foo-bar',
      '"',
      'NEAR(',
      'NEAR(foo bar)',
      '*',
      'foo*',
      'AND OR NOT',
      '^foo',
      'col:foo',
      '(',
      ')',
      "'",
      'foo"bar',
      '🙂 foo',
      'x'.repeat(10_000),
      'a '.repeat(5000),
      '\u0000foo',
      '',
    ];
    for (const text of texts) {
      try {
        const results = repo.search(text);
        assert.ok(Array.isArray(results));
      } catch (err) {
        assert.ok(
          err instanceof CodeidxError,
          `${JSON.stringify(text.slice(0, 20))}: ${String(err)}`,
        );
        assert.equal(err.code, 'INVALID_ARGUMENT');
        assert.match(err.hint!, /Search for/);
      }
    }
    assert.deepEqual(
      repo.search('foo-bar').map((r) => r.path),
      ['src/foo-bar.ts'],
    );
    assert.equal(buildMatchQuery('NEAR(a b) "x').match, '"NEAR"* AND "a"* AND "b"* AND "x"*');
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
