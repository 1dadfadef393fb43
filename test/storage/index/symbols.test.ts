import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../../../src/storage/database/connection.ts';
import { CodeidxError } from '../../../src/storage/errors.ts';
import { importJsonLines } from '../../../src/storage/index/importer.ts';
import { Repository } from '../../../src/storage/index/repository.ts';
import { splitWords } from '../../../src/storage/index/symbols.ts';
import { loadMigrations } from '../../../src/storage/migrations/loader.ts';
import { MigrationManager } from '../../../src/storage/migrations/manager.ts';
import { findSchemaDrift } from '../../../src/storage/migrations/schema.ts';
import { DatabaseService } from '../../../src/storage/service.ts';
import type { FileRecordInput } from '../../../src/storage/types.ts';
import { DatabaseClient } from '../../../src/storage/worker/client.ts';
import { fileRecord, jsonLines, tempDatabases } from '../../helpers.ts';

const LATEST = loadMigrations().length;

/** A file whose definitions are [name, exported] pairs, one a line. */
function defs(path: string, names: [string, boolean][]): FileRecordInput {
  return fileRecord(path, [], {
    definitions: names.map(([name, exported], i) => ({
      name,
      type: 'function',
      line: i + 1,
      column: 2,
      exported,
      signature: `${name}()`,
    })),
  });
}

/** The stored terms, and the terms the view computes from the definitions as they are now. */
function stored(db: Connection): unknown[] {
  return db
    .prepare('SELECT definition_id, kind, term, rank FROM symbol_terms ORDER BY 1, 2, 3')
    .all();
}
function expected(db: Connection): unknown[] {
  const all = db.prepare('SELECT id FROM definitions ORDER BY id').pluck().all() as number[];
  const one = db.prepare(
    'SELECT definition_id, kind, term, rank FROM symbol_terms_source WHERE definition_id = ?',
  );
  return all
    .flatMap((id) => one.all(id) as { definition_id: number; kind: string; term: string }[])
    .sort(
      (a, b) =>
        a.definition_id - b.definition_id ||
        a.kind.localeCompare(b.kind) ||
        (a.term < b.term ? -1 : a.term > b.term ? 1 : 0),
    );
}

function schema(db: Connection): unknown[] {
  return db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name').all();
}

function rejects(fn: () => unknown, code: string): CodeidxError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CodeidxError, String(err));
    assert.equal(err.code, code);
    return err;
  }
  assert.fail(`expected ${code}`);
}

describe('symbol search (migration 004)', () => {
  const t = tempDatabases();

  function seeded(): Repository {
    const repo = new Repository(t.open());
    repo.upsertFile(
      defs('src/http.ts', [
        ['getRequestHeader', true],
        ['getRequest', false],
        ['parse_http_request', true],
        ['requestHandler', false],
        ['GetRequestHeaders', true],
        ['MAX_REQUEST_SIZE', true],
        ['grh', false],
      ]),
    );
    repo.upsertFile(defs('src/other.ts', [['getRequestHeader', false]]));
    return repo;
  }
  const names = (repo: Repository, text: string, limit?: number): string[] =>
    repo.searchSymbols(text, { limit }).map((m) => m.name);

  // Ensure tiers rank exact > prefix > humps > parts, then shorter, then exported first.
  it('ranks the exact name, then prefixes, humps and parts; shorter and exported first', () => {
    const repo = seeded();
    assert.deepEqual(names(repo, 'getRequest'), [
      'getRequest', // exact
      'getRequestHeader', // prefix, exported
      'getRequestHeader', // prefix, same length, not exported (src/other.ts)
      'GetRequestHeaders', // prefix, longer
    ]);
    assert.deepEqual(names(repo, 'getRequestHeader').slice(0, 3), [
      'getRequestHeader',
      'getRequestHeader',
      'GetRequestHeaders',
    ]);
    const exact = repo.searchSymbols('getRequestHeader');
    assert.deepEqual(
      exact.slice(0, 2).map((m) => [m.path, m.exported]),
      [
        ['src/http.ts', true],
        ['src/other.ts', false],
      ],
      'among equal names, exported first',
    );
    assert.ok(exact[0]!.score > exact[2]!.score, 'an exact match scores above a prefix');
  });

  it('matches camel humps given as letters or as word starts, in any case', () => {
    const repo = seeded();
    for (const q of ['gRH', 'grh', 'GRH']) {
      // 'grh' itself is an exact name: it comes first, then the humps by length and export.
      assert.deepEqual(names(repo, q), [
        'grh',
        'getRequestHeader',
        'getRequestHeader',
        'GetRequestHeaders',
      ]);
    }
    assert.deepEqual(names(repo, 'gR'), [
      'grh', // a name prefix
      'getRequest',
      'getRequestHeader',
      'getRequestHeader',
      'GetRequestHeaders',
    ]);
    assert.deepEqual(names(repo, 'getReqH'), [
      'getRequestHeader',
      'getRequestHeader',
      'GetRequestHeaders',
    ]);
    assert.deepEqual(names(repo, 'gReqX'), [], 'every word start must match');
    assert.deepEqual(names(repo, 'rh'), ['requestHandler']);
  });

  it('matches a word of the name, snake_case and camelCase alike', () => {
    const repo = seeded();
    assert.deepEqual(names(repo, 'request'), [
      'requestHandler', // prefix
      'getRequest', // parts, by length and export
      'getRequestHeader',
      'MAX_REQUEST_SIZE', // as long as getRequestHeader, exported
      'getRequestHeader',
      'GetRequestHeaders',
      'parse_http_request',
    ]);
    assert.deepEqual(names(repo, 'HEADER'), ['getRequestHeader', 'getRequestHeader']);
    assert.deepEqual(names(repo, 'headers'), ['GetRequestHeaders'], 'a whole word');
    assert.deepEqual(names(repo, 'http request'), ['parse_http_request']);
    assert.deepEqual(names(repo, 'size'), ['MAX_REQUEST_SIZE']);
  });

  it('returns kind, path, line, column, signature; honours the limit', () => {
    const repo = seeded();
    assert.deepEqual(repo.searchSymbols('parse_http_request')[0], {
      name: 'parse_http_request',
      kind: 'function',
      path: 'src/http.ts',
      line: 3,
      column: 2,
      exported: true,
      signature: 'parse_http_request()',
      score: 39_964, // the exact tier, less twice the length (18), exported
    });
    assert.equal(repo.searchSymbols('request', { limit: 2 }).length, 2);
    assert.equal(repo.searchSymbols('request', { limit: 0 }).length, 7, 'a bad limit: default');
  });

  it('takes odd text literally and refuses empty text clearly', () => {
    const repo = new Repository(t.open());
    repo.upsertFile(
      defs('src/a.css', [
        ['foo-bar', true],
        ["it's", true],
        ['pct%done', true],
        ['a_b', true],
        ['axb', true],
        ['$scope', true],
      ]),
    );
    assert.deepEqual(names(repo, 'foo-bar'), ['foo-bar']);
    assert.deepEqual(names(repo, 'bar'), ['foo-bar']);
    assert.deepEqual(names(repo, "it'"), ["it's"]);
    assert.deepEqual(names(repo, "'"), []);
    assert.deepEqual(names(repo, 'pct%'), ['pct%done'], '% is not a wildcard');
    assert.deepEqual(names(repo, 'a_'), ['a_b'], '_ is not a wildcard');
    assert.deepEqual(names(repo, 'scope'), ['$scope']);
    assert.deepEqual(names(repo, '"); DROP TABLE files; --'), []);
    for (const text of ['', '   ']) {
      const err = rejects(() => repo.searchSymbols(text), 'INVALID_ARGUMENT');
      assert.match(err.hint!, /Type part of a name/);
    }
  });

  it('splits names in JS as the view does in SQL', () => {
    const db = t.open();
    const odd = [
      'getHTTPHeader',
      'MAX_SIZE',
      '__init__',
      'foo-bar.baz$qux:x',
      'Ünïcode_Name',
      'a',
      'x1Y2z3',
      'ABC',
      'a""b',
    ];
    const repo = new Repository(db);
    repo.upsertFile(
      defs(
        'src/odd.ts',
        odd.map((n) => [n, true]),
      ),
    );
    const words = db.prepare(
      'SELECT w.words FROM symbol_words w JOIN definitions d ON d.id = w.definition_id WHERE d.name = ?',
    );
    for (const name of odd) {
      const sql = JSON.parse(words.pluck().get(name) as string) as string[];
      assert.deepEqual(
        splitWords(name),
        sql.filter((w) => w !== ''),
        name,
      );
    }
  });

  // Ensure raw SQL and the importer keep symbol_terms exactly what the view computes.
  it('stays in sync with raw SQL inserts, updates and deletes and with the importer', async () => {
    const db = t.open();
    const repo = new Repository(db);
    repo.upsertFile(defs('src/a.ts', [['fooBar', true]]));
    db.prepare(
      `INSERT INTO definitions (file_id, name, type, line, "column", exported)
       VALUES (1, 'bazQux_quux', 'function', 2, 0, 0)`,
    ).run();
    assert.deepEqual(names(repo, 'quux'), ['bazQux_quux']);
    db.prepare("UPDATE definitions SET name = 'renamedThing' WHERE name = 'bazQux_quux'").run();
    assert.deepEqual(names(repo, 'quux'), []);
    assert.deepEqual(names(repo, 'thing'), ['renamedThing']);
    db.prepare("UPDATE definitions SET exported = 1 WHERE name = 'renamedThing'").run();
    db.prepare("UPDATE definitions SET id = 99 WHERE name = 'fooBar'").run();
    assert.deepEqual(stored(db), expected(db));
    db.prepare("DELETE FROM definitions WHERE name = 'renamedThing'").run();
    assert.deepEqual(names(repo, 'thing'), []);
    const report = await importJsonLines(
      db,
      jsonLines([
        defs('src/b.ts', [
          ['alphaBeta', true],
          ['gammaDelta', false],
        ]),
        defs('src/a.ts', [['epsilonZeta', true]]), // replaces fooBar
        defs('src/c.ts', [
          ['single', true],
          ['__init__', false],
          ['getHTTPHeader', true],
          ['Ünïcode_Name_x', true],
          ['emoji😀Name_part', false],
          ['with"quote_and\\slash', true],
          ['parse_parse', true],
        ]),
        // Over a thousand terms in one batch: written in more than one statement.
        defs(
          'src/d.ts',
          Array.from({ length: 600 }, (_, i): [string, boolean] => [
            `itemNo${i}Handler`,
            i % 2 === 0,
          ]),
        ),
      ]),
      { batchSize: 2 },
    );
    assert.equal(report.files, 4);
    assert.ok(Number(db.prepare('SELECT count(*) FROM symbol_terms').pluck().get()) > 1000);
    // The importer computes terms in JS (symbolTerms): they must equal what the view gives.
    assert.deepEqual(stored(db), expected(db));
    assert.deepEqual(names(repo, 'zeta'), ['epsilonZeta']);
    assert.deepEqual(names(repo, 'bar'), [], 'the replaced definition is gone');
    // The importer re-created the sync triggers it dropped.
    db.prepare(
      `INSERT INTO definitions (file_id, name, type, line, "column", exported)
       VALUES (1, 'lateAddition', 'function', 9, 0, 0)`,
    ).run();
    assert.deepEqual(names(repo, 'addition'), ['lateAddition']);
    assert.equal(repo.removeFile('src/b.ts'), true);
    assert.deepEqual(stored(db), expected(db));
    assert.deepEqual(names(repo, 'delta'), []);
  });

  // Ensure 004 indexes what was there before it, across batches, and its down restores 003.
  it('populates existing definitions, leaves no drift, and rolls back to exactly 003', async () => {
    const db = t.open(3);
    const before = schema(db);
    await importJsonLines(
      db,
      jsonLines(
        Array.from({ length: 1203 }, (_, i) =>
          defs(`src/f${i}.ts`, [
            [i % 2 ? `single${i}` : `parseHttp${i}`, i % 3 === 0],
            ['onlyone', true],
          ]),
        ),
      ),
    );
    // A definition written out of file order: its file's ids are not one range.
    db.prepare(
      `INSERT INTO definitions (file_id, name, type, line, "column", exported)
       VALUES (1, 'lateCamelName', 'function', 9, 0, 1)`,
    ).run();
    const manager = new MigrationManager(db, loadMigrations());
    const progress: string[] = [];
    manager.migrate({ onProgress: (p) => progress.push(p.message) });
    assert.equal(db.pragma('user_version', { simple: true }), LATEST);
    assert.ok(
      progress.some((m) => /of 1,203 files/.test(m)),
      progress.join('\n'),
    );
    assert.deepEqual(stored(db), expected(db));
    assert.equal(
      db.prepare("SELECT count(*) FROM symbol_terms WHERE kind = 'h'").pluck().get(),
      603,
    );
    assert.deepEqual(
      new Repository(db).searchSymbols('lCN').map((m) => m.name),
      ['lateCamelName'],
    );
    assert.equal(findSchemaDrift(db, manager.migrations), undefined);
    assert.equal(
      db.prepare("SELECT count(*) FROM sqlite_temp_schema WHERE name LIKE 'symbol%'").pluck().get(),
      0,
    );
    manager.rollback({ to: 3 });
    assert.deepEqual(schema(db), before);
    manager.migrate();
    assert.deepEqual(stored(db), expected(db));
  });

  it('finds definitions by name from the covering index, exported first, without a sort', () => {
    const db = t.open();
    const repo = new Repository(db);
    repo.upsertFile(defs('src/z.ts', [['render', false]]));
    repo.upsertFile(defs('src/a.ts', [['render', false]]));
    repo.upsertFile(defs('src/m.ts', [['Render', true]]));
    assert.deepEqual(
      repo.findDefinitions('RENDER').map((d) => d.path),
      ['src/m.ts', 'src/z.ts', 'src/a.ts'],
    );
    const plan = (
      db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT d.id FROM definitions d JOIN files f ON f.id = d.file_id
           WHERE d.name = ? COLLATE NOCASE
           ORDER BY d.name COLLATE NOCASE, d.exported DESC, d.file_id, d.line LIMIT 50`,
        )
        .all('x') as { detail: string }[]
    )
      .map((r) => r.detail)
      .join(' | ');
    assert.match(plan, /definitions_name_lookup/);
    assert.doesNotMatch(plan, /TEMP B-TREE/);
  });

  it('stays readable and writable by the stock sqlite3 shell (3.40)', function () {
    const version = spawnSync('sqlite3', ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (version.status !== 0) this.skip();
    const db = t.open();
    new Repository(db).upsertFile(defs('src/a.ts', [['getRequestHeader', true]]));
    db.close();
    const r = spawnSync(
      'sqlite3',
      [
        join(t.dir(), 'test.db'),
        `INSERT INTO definitions (file_id, name, type, line, "column", exported) VALUES (1, 'parseHTTPBody', 'function', 2, 0, 0);
         SELECT kind, term FROM symbol_terms ORDER BY definition_id, kind, term;`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    // An acronym splits into letters (H, T, T, P): one-letter words are not stored as parts.
    assert.equal(r.stdout, 'h|grh\np|header\np|request\nh|phttpb\np|body\n');
  });

  it('is served by DatabaseService.searchSymbols and the worker method `symbols` (read pool)', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'codeidx-symbols-'));
    const dbPath = join(ws, 's.db');
    try {
      const service = await DatabaseService.open({ dbPath });
      await service.importRecords(jsonLines([defs('src/h.ts', [['getRequestHeader', true]])]));
      assert.deepEqual(
        service.searchSymbols('gRH').map((m) => m.name),
        ['getRequestHeader'],
      );
      service.close();
      const { client } = await DatabaseClient.open({ dbPath }, { readers: 1 });
      try {
        await client.readersReady();
        const found = await client.symbols({ text: 'header', limit: 5 });
        assert.deepEqual(
          found.map((m) => [m.name, m.path, m.line]),
          [['getRequestHeader', 'src/h.ts', 1]],
        );
        await assert.rejects(client.symbols({ text: ' ' }), /empty/);
      } finally {
        await client.close();
      }
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
