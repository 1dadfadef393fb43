import assert from 'node:assert/strict';
import { FileWriter, Repository } from '../../../src/storage/index/repository.ts';
import type { CodeidxError } from '../../../src/storage/errors.ts';
import type { FileRecordInput } from '../../../src/storage/types.ts';
import { fileRecord, tempDatabases } from '../../helpers.ts';

describe('repository', () => {
  const t = tempDatabases();

  it('re-upserting an unchanged record writes nothing, whatever the key order of its JSON', () => {
    const db = t.open();
    const repo = new Repository(db);
    const record = fileRecord('src/a.ts', ['alphaBeta', 'gamma']);
    const first = repo.upsertFile(record);
    assert.equal(first.changed, true);
    const indexedAt = repo.getFile('src/a.ts')!.indexedAt;
    // The same record with its keys in reverse order: the computed hash is over canonical JSON.
    const reordered = Object.fromEntries(Object.entries(record).reverse()) as FileRecordInput;
    const changes = (): number => Number(db.prepare('SELECT total_changes()').pluck().get());
    const before = changes();
    const again = repo.upsertFile(reordered);
    assert.deepEqual(again, { fileId: first.fileId, changed: false });
    assert.equal(changes(), before, 'no row was written');
    assert.equal(repo.getFile('src/a.ts')!.indexedAt, indexedAt);
  });

  it('a changed record replaces all of the file rows, and search follows', () => {
    const db = t.open();
    const repo = new Repository(db);
    repo.upsertFile(fileRecord('src/a.ts', ['alphaBeta', 'gamma']));
    const r = repo.upsertFile(fileRecord('src/a.ts', ['deltaEpsilon']));
    assert.equal(r.changed, true);
    assert.deepEqual(repo.stats(), { files: 1, definitions: 1, imports: 1, symbols: 1, tags: 1 });
    assert.deepEqual(repo.search('gamma'), []);
    assert.deepEqual(
      repo.search('epsilon').map((x) => x.path),
      ['src/a.ts'],
    );
  });

  it('finds definitions case-insensitively, and a prefix takes _ and % literally', () => {
    const db = t.open();
    const repo = new Repository(db);
    repo.upsertFile(fileRecord('src/a.ts', ['parse_http', 'parseXml', 'ParseHttp', 'parse%x']));
    assert.deepEqual(
      repo
        .findDefinitions('PARSEHTTP')
        .map((d) => d.name)
        .sort(),
      ['ParseHttp'],
    );
    assert.deepEqual(
      repo.findDefinitions('parse_', { prefix: true }).map((d) => d.name),
      ['parse_http'],
      'with LIKE, _ would match any character',
    );
    assert.deepEqual(
      repo.findDefinitions('parse%', { prefix: true }).map((d) => d.name),
      ['parse%x'],
    );
    const d = repo.findDefinitions('parseXml')[0]!;
    assert.equal(d.path, 'src/a.ts');
    assert.equal(d.exported, true);
    assert.equal(repo.findDefinitions('parse', { prefix: true, limit: 2 }).length, 2);
  });

  it('search returns path, language, a marked snippet and scores from best to worst', () => {
    const db = t.open();
    const repo = new Repository(db);
    repo.upsertFile(fileRecord('src/http/client.py', ['sendHttpRequest'], { language: 'python' }));
    repo.upsertFile(fileRecord('src/other.ts', ['render'], { tags: [{ tag: 'http', weight: 1 }] }));
    const results = repo.search('http');
    assert.equal(results.length, 2);
    assert.equal(results[0]!.path, 'src/http/client.py', 'name, path and definition beat a tag');
    assert.equal(results[0]!.language, 'python');
    assert.match(results[0]!.snippet, /\[[Hh]ttp/);
    assert.ok(results[0]!.score > results[1]!.score);
  });
});

describe('repository: lookups and refused records', () => {
  const t = tempDatabases();

  it('upserts, looks up, finds definitions by name or prefix, and removes', () => {
    const repo = new Repository(t.open());
    const first = repo.upsertFile(fileRecord('src/http.ts', ['parseHttpRequest', 'ParseHeaders']));
    assert.equal(first.changed, true);
    assert.equal(
      repo.upsertFile(fileRecord('src/http.ts', ['parseHttpRequest', 'ParseHeaders'])).changed,
      false,
    );
    const row = repo.getFile('src/http.ts')!;
    assert.equal(row.filename, 'http.ts');
    assert.equal(row.extension, '.ts');
    assert.deepEqual(
      repo.findDefinitions('PARSEHTTPREQUEST').map((d) => [d.name, d.path, d.exported]),
      [['parseHttpRequest', 'src/http.ts', true]],
    );
    assert.deepEqual(
      repo.findDefinitions('parse', { prefix: true }).map((d) => d.name),
      ['ParseHeaders', 'parseHttpRequest'],
    );
    assert.equal(repo.removeFile('src/http.ts'), true);
    assert.equal(repo.removeFile('src/http.ts'), false);
    assert.equal(repo.getFile('src/http.ts'), undefined);
    assert.deepEqual(repo.stats(), { files: 0, definitions: 0, imports: 0, symbols: 0, tags: 0 });
  });

  it('rejects a record with a clear message naming the field', () => {
    const repo = new Repository(t.open());
    assert.throws(
      () => repo.upsertFile({ ...fileRecord('src/a.ts'), hash: 'xyz' }),
      (err: CodeidxError) =>
        err.code === 'IMPORT_INVALID' && /^hash must be a SHA-256 digest/.test(err.message),
    );
    assert.throws(
      () => repo.upsertFile({ ...fileRecord('src/a.ts'), size: -1 }),
      /size must be a whole number >= 0/,
    );
    assert.throws(() => repo.upsertFile({ ...fileRecord(''), path: '' }), /path must not be empty/);
  });
});

describe('repository: every query uses an index', () => {
  const t = tempDatabases();

  it('every statement the repository prepares uses an index (EXPLAIN QUERY PLAN of their own SQL)', () => {
    const db = t.open();
    const repo = new Repository(db);
    const writer = new FileWriter(db);
    // The statements themselves, not copies of their SQL, so a changed query cannot slip by.
    const own = (o: object): Record<string, { source: string }> =>
      o as unknown as Record<string, { source: string }>;
    // search()'s rankings come in pairs ({ top, all }): each is checked on its own.
    const pairs = Object.entries(own(repo)['statements'] as object).flatMap(
      ([k, v]: [string, object]): [string, unknown][] =>
        'source' in v ? [[k, v]] : Object.entries(v).map(([k2, s]) => [`${k}.${k2}`, s]),
    );
    const statements: [string, string][] = [
      ...pairs,
      ...Object.entries(own(writer)).filter(([, v]) => typeof v === 'object' && 'source' in v),
      ...(own(writer)['clear'] as unknown as { source: string }[]).map(
        (s, i): [string, { source: string }] => [`clear${i}`, s],
      ),
    ].map(([k, v]) => [k, (v as { source: string }).source]);
    assert.ok(statements.length >= 13, `found ${statements.length} statements`);
    for (const [name, sql] of statements) {
      // count(*) of whole tables, and the indexer's listing of every file: scans by definition
      if (name === 'stats' || name === 'list') continue;
      const params: Record<string, unknown> = {
        match: '"x"*',
        exact: 'x',
        limit: 5,
        id: 1,
        after: 0,
        upTo: 9,
      };
      const stmt = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
      const count = (sql.match(/\?/g) ?? []).length;
      const rows = (
        sql.includes('@') ? stmt.all(params) : stmt.all(...Array<number>(count).fill(1))
      ) as {
        detail: string;
      }[];
      const plan = rows.map((r) => r.detail).join(' | ');
      assert.doesNotMatch(
        plan,
        /\bSCAN (files|definitions|imports|symbols|file_tags|f|d)\b/,
        `${name}: ${plan}`,
      );
      if (name.startsWith('boosted.') || name === 'defines')
        assert.match(plan, /definitions_name/, 'the exact-name boost is an index lookup');
    }
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
});
