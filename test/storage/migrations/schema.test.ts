import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Repository } from '../../../src/storage/index/repository.ts';
import { openConnection } from '../../../src/storage/database/connection.ts';
import { loadMigrations } from '../../../src/storage/migrations/loader.ts';
import { MigrationManager } from '../../../src/storage/migrations/manager.ts';
import { findSchemaDrift } from '../../../src/storage/migrations/schema.ts';
import { BASIC, writeMigrations } from '../../fixtures/migrations.ts';
import { fileRecord, schemaOf, tempDatabases } from '../../helpers.ts';

const HASH = 'a'.repeat(64);

describe('the schema the migrations create', () => {
  const t = tempDatabases();

  it('refuses values outside their natural range or of the wrong type, from plain SQL too', () => {
    const db = t.open();
    db.prepare(
      `INSERT INTO files (id, path, filename, extension, size, last_modified, hash, language, indexed_at)
       VALUES (1, 'src/a.ts', 'a.ts', '.ts', 1, 0, ?, 'typescript', 0)`,
    ).run(HASH);
    const def = (
      line: number | string,
      column: number,
      exported: number,
      type = 'function',
    ): string =>
      `INSERT INTO definitions (file_id, name, type, line, "column", exported)
       VALUES (1, 'x', '${type}', ${line}, ${column}, ${exported})`;
    const refused: [string, RegExp][] = [
      [def(0, 0, 1), /CHECK/], // lines are 1-based
      [def(1, -1, 1), /CHECK/], // columns are 0-based
      [def(1, 0, 2), /CHECK/], // exported is 0 or 1
      [def(1, 0, 1, 'bogus'), /CHECK/],
      [def("'abc'", 0, 1), /cannot store TEXT value in INTEGER column/], // STRICT
      [
        "INSERT INTO definitions (file_id, name, type, line, \"column\", exported) VALUES (99, 'x', 'class', 1, 0, 1)",
        /FOREIGN KEY/,
      ],
      ["INSERT INTO imports (file_id, module, type) VALUES (1, 'fs', 'bogus')", /CHECK/],
      ["INSERT INTO imports (file_id, module, type, line) VALUES (1, 'fs', 'dynamic', 0)", /CHECK/],
      ["INSERT INTO file_tags (file_id, tag, weight) VALUES (1, 'ui', 1.5)", /CHECK/],
      ["INSERT INTO file_tags (file_id, tag, weight) VALUES (1, '', 0.5)", /CHECK/],
      [
        `INSERT INTO files (path, filename, extension, size, last_modified, hash, language, indexed_at)
         VALUES ('b', 'b', '', -1, 0, '${HASH}', 'x', 0)`,
        /CHECK/,
      ],
      [
        `INSERT INTO files (path, filename, extension, size, last_modified, hash, language, indexed_at)
         VALUES ('b', 'b', '', 1, 0, '${'A'.repeat(64)}', 'x', 0)`,
        /CHECK/, // lower-case hex only, so equal hashes compare equal
      ],
    ];
    for (const [sql, why] of refused) assert.throws(() => db.exec(sql), why, sql);
    // The same row with sane values is accepted, so each refusal above is about its one value.
    db.exec(def(1, 0, 1));
    db.exec("INSERT INTO file_tags (file_id, tag, weight) VALUES (1, 'ui', 1)");
  });

  it('removing a file removes its definitions, imports, symbols, tags and index row', () => {
    const db = t.open();
    const repo = new Repository(db);
    repo.upsertFile(fileRecord('src/a.ts', ['alpha', 'beta']));
    repo.upsertFile(fileRecord('src/b.ts', ['gamma']));
    assert.equal(repo.removeFile('src/a.ts'), true);
    assert.equal(repo.removeFile('src/a.ts'), false, 'a second removal finds nothing');
    assert.deepEqual(repo.stats(), { files: 1, definitions: 1, imports: 1, symbols: 1, tags: 1 });
    assert.equal(db.prepare('SELECT count(*) FROM search_index').pluck().get(), 1);
    assert.deepEqual(repo.search('alpha'), []);
  });

  it('keeps the migration audit append-only', () => {
    const db = t.open();
    db.exec(
      "INSERT INTO migration_audit (at, action, version) VALUES ('2026-01-01T00:00:00Z', 'test', 9)",
    );
    assert.throws(
      () => db.exec("UPDATE migration_audit SET action = 'x' WHERE version = 9"),
      /append-only/,
    );
    assert.throws(() => db.exec('DELETE FROM migration_audit WHERE version = 9'), /append-only/);
  });

  it('stores a fractional lastModified (fs.stat mtimeMs) as whole milliseconds', () => {
    const db = t.open();
    const repo = new Repository(db);
    repo.upsertFile(fileRecord('src/a.ts', ['alpha'], { lastModified: 1_700_000_000_123.75 }));
    assert.equal(repo.getFile('src/a.ts')!.lastModified, 1_700_000_000_123);
  });

  it('each down restores exactly the schema before its up', () => {
    const db = t.open(0);
    const manager = new MigrationManager(db, loadMigrations());
    const latest = manager.migrations.length;
    const before = [schemaOf(db)];
    for (let v = 1; v <= latest; v++) {
      manager.migrate({ to: v });
      before.push(schemaOf(db));
    }
    for (let v = latest - 1; v >= 0; v--) {
      manager.rollback({ to: v });
      assert.deepEqual(schemaOf(db), before[v], `schema after the down of ${v + 1}`);
    }
  });
});

describe('schema drift (findSchemaDrift)', () => {
  const t = tempDatabases();

  it('names a planted trigger, a changed object and a missing index', () => {
    const db = openConnection(join(t.dir(), 'drift.db'));
    const m = new MigrationManager(
      db,
      loadMigrations(writeMigrations(join(t.dir(), 'set'), BASIC)),
    );
    m.migrate();
    assert.equal(findSchemaDrift(db, m.migrations), undefined);
    db.exec('CREATE TRIGGER planted AFTER INSERT ON items BEGIN SELECT 1; END');
    db.exec('DROP INDEX notes_item');
    db.exec(
      'DROP TABLE copies; CREATE TABLE copies (id INTEGER PRIMARY KEY, name TEXT, extra TEXT)',
    );
    const drift = findSchemaDrift(db, m.migrations)!;
    assert.deepEqual(
      drift.unexpected.map((o) => o.name),
      ['planted'],
    );
    assert.deepEqual(
      drift.missing.map((o) => o.name),
      ['notes_item'],
    );
    assert.deepEqual(
      drift.changed.map((o) => o.name),
      ['copies'],
    );
    db.close();
  });
});
