import assert from 'node:assert/strict';
import { Repository } from '../src/storage/index/repository.ts';
import type { FileRecordInput } from '../src/storage/types.ts';
import { fileRecord, tempDatabases } from './helpers.ts';

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
