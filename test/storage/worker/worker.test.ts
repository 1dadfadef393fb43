import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseClient } from '../../../src/storage/worker/client.ts';
import { CodeidxError } from '../../../src/storage/errors.ts';
import type { ProgressEvent } from '../../../src/storage/types.ts';

describe('worker method index (the indexer in the writer thread)', () => {
  let ws: string;
  let client: DatabaseClient | undefined;

  beforeEach(async () => {
    ws = mkdtempSync(join(tmpdir(), 'codeidx-indexmethod-'));
    mkdirSync(join(ws, 'pkg'));
    writeFileSync(
      join(ws, 'pkg', 'shapes.py'),
      'class FooShape:\n    def area(self):\n        return 0\n',
    );
    writeFileSync(join(ws, 'main.ts'), 'export function fooBar(): number {\n  return 1;\n}\n');
    ({ client } = await DatabaseClient.open({ workspace: ws }, { readers: 1 }));
    await client.migrate();
  });

  afterEach(async () => {
    await client?.close();
    rmSync(ws, { recursive: true, force: true });
  });

  // Ensure the writer indexes the folder, reports progress as `index` events, and that the read
  // pool's `symbols` sees the result (with 1-based lines and the path as stored).
  it('indexes a folder with progress; symbols answers from a reader', async () => {
    const events: ProgressEvent[] = [];
    const summary = await client!.index({ folder: ws }, { onProgress: (e) => events.push(e) });
    assert.equal(summary.files, 2);
    assert.equal(summary.parsed, 2);
    assert.ok(events.length > 0 && events.every((e) => e.phase === 'index'));
    assert.ok(
      events.some((e) => e.total === 2 && e.done === 2),
      JSON.stringify(events),
    );
    const found = await client!.symbols({ text: 'foo' });
    assert.deepEqual(found.map((s) => [s.name, s.kind, s.path, s.line]).sort(), [
      ['FooShape', 'class', 'pkg/shapes.py', 1],
      ['fooBar', 'function', 'main.ts', 1],
    ]);
    // A second run with nothing changed parses nothing.
    const again = await client!.index({ folder: ws });
    assert.equal(again.parsed, 0);
    assert.equal(again.unchanged, 2);
  });

  // Ensure the user's excludes and the size cap reach the walk.
  it('passes exclude globs and the size cap to the walk', async () => {
    writeFileSync(join(ws, 'big.py'), `x = "${'a'.repeat(5000)}"\n`);
    const summary = await client!.index({ folder: ws, exclude: ['pkg/**'], maxFileBytes: 1000 });
    assert.equal(summary.files, 1, 'only main.ts');
    assert.equal(summary.skipped['too-large'], 1);
  });

  // Ensure a relative folder is refused with a clear error rather than resolved against the
  // worker's current directory.
  it('refuses a relative folder', async () => {
    await assert.rejects(
      client!.index({ folder: 'pkg' }),
      (e: unknown) => e instanceof CodeidxError && e.code === 'INVALID_ARGUMENT',
    );
  });

  // Ensure a cancelled run stops with CANCELLED.
  it('is cancellable', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      client!.index({ folder: ws }, { signal: controller.signal }),
      (e: unknown) => e instanceof CodeidxError && e.code === 'CANCELLED',
    );
  });
});
