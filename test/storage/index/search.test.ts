import assert from 'node:assert/strict';
import { CodeidxError } from '../../../src/storage/errors.ts';
import { COLUMN_WEIGHTS } from '../../../src/storage/index/reads.ts';
import { Repository } from '../../../src/storage/index/repository.ts';
import { rebuildSearchIndex } from '../../../src/storage/index/fts.ts';
import { mergeSearchParts } from '../../../src/storage/index/rank.ts';
import { buildMatchQuery } from '../../../src/storage/index/search.ts';
import { fileRecord, tempDatabases } from '../../helpers.ts';

describe('search: queries, ranking and snippets', () => {
  const t = tempDatabases();

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
    // A word no file defines is ranked by bm25 alone (without the boost's lookup per match): the
    // same scores as FTS5's own bm25 with the column weights.
    const bm25 = db
      .prepare(
        `SELECT -bm25(search_index, ${COLUMN_WEIGHTS.join(', ')}) FROM search_index
         WHERE search_index MATCH '"observ"*' ORDER BY 1 DESC LIMIT 5`,
      )
      .pluck()
      .all();
    assert.deepEqual(
      repo.search('observ', { limit: 5 }).map((r) => r.score),
      bm25,
    );
  });

  // 30 tied files fit in the window ranked past the limit; 100 reach past it (the full ranking).
  for (const tied of [30, 100]) {
    it(`ranks ${tied} tied files by path, past the cut too, each with its own snippet`, () => {
      const db = t.open();
      const repo = new Repository(db);
      // Files with the same text score the same: only the path orders them. Inserted in reverse
      // so that neither rowid nor insertion order agrees with the path.
      for (let i = tied - 1; i >= 0; i--) {
        repo.upsertFile(fileRecord(`src/t${String(i).padStart(3, '0')}.ts`, ['sameTwin']));
      }
      repo.upsertFile(fileRecord('src/zz.ts', ['otherTwin']));
      for (const limit of [5, 20]) {
        const top = repo.search('twin', { limit }).map((r) => r.path);
        const full = db
          .prepare(
            `SELECT f.path FROM search_index JOIN files f ON f.id = search_index.rowid
             WHERE search_index MATCH '"twin"*'
             ORDER BY -bm25(search_index, 10, 2, 6, 1, 1, 3) DESC, f.path LIMIT ?`,
          )
          .pluck()
          .all(limit);
        assert.deepEqual(top, full);
        assert.deepEqual(top.slice(0, 3), ['src/t000.ts', 'src/t001.ts', 'src/t002.ts']);
      }
      // A JS number binds as REAL, which FTS5 ignores as a rowid constraint: each snippet must
      // still come from its own file.
      for (const r of repo.search('twin', { limit: 40 })) {
        const name = r.path === 'src/zz.ts' ? 'other' : 'same';
        assert.match(r.snippet, new RegExp(name), r.path);
      }
      // Split by file id anywhere (the read pool's two parts), the merged parts are the search:
      // bm25 scores with the whole table's statistics, and ties at the cut stay in path order.
      // 'sameTwin' is a defined name (the boosted ranking), 'twin' is not.
      const last = tied + 1;
      for (const text of ['twin', 'sameTwin']) {
        for (const limit of [5, 20, 40]) {
          const whole = repo.search(text, { limit });
          for (const split of [0, 1, Math.floor(last / 3), Math.floor(last / 2), last - 1]) {
            const lower = repo.searchPart(text, { limit, upTo: split });
            const upper = repo.searchPart(text, { limit, after: split });
            assert.equal(lower.lastFileId, last);
            const merged = mergeSearchParts([lower.results, upper.results], limit);
            assert.deepEqual(merged, whole, `${text}, limit ${limit}, split at ${split}`);
            const ids = (r: { path: string }[]) => r.map((x) => repo.getFile(x.path)!.id);
            assert.ok(ids(lower.results).every((id) => id <= split));
            assert.ok(ids(upper.results).every((id) => id > split));
          }
        }
      }
    });
  }

  it('merges the parts of a split search: best first, each path once, up to the limit', () => {
    const hit = (path: string, score: number) => ({ path, score, snippet: path, language: 'x' });
    const merged = mergeSearchParts(
      [
        [hit('b', 9), hit('same', 3), hit('c', 1)],
        [hit('a', 9), hit('same', 4), hit('d', 0.5)],
      ],
      4,
    );
    // A file rewritten between the parts' snapshots can come back from both: kept once, higher.
    assert.deepEqual(
      merged.map((r) => [r.path, r.score]),
      [
        ['a', 9],
        ['b', 9],
        ['same', 4],
        ['c', 1],
      ],
    );
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
});
