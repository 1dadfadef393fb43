import assert from 'node:assert/strict';
import type { CodeidxError } from '../src/storage/errors.ts';
import { importJsonLines } from '../src/storage/importer.ts';
import { fileRecord, jsonLines, tempDatabases } from './helpers.ts';

describe('import streaming and strict mode', () => {
  const t = tempDatabases();

  it('reads no further than one batch ahead of what it has written (memory does not grow with input)', async () => {
    const db = t.open();
    let pulled = 0;
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
