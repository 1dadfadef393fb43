import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundImportMemory, IMPORT_CACHE_KIB } from '../../src/cli/commands/import.ts';
import { openConnection } from '../../src/storage/database/connection.ts';
import { cliWorkspace, json, record } from './helpers.ts';

describe('codeidx import', function () {
  const { cli } = cliWorkspace();

  it('imports JSON lines from stdin, reports a bad line by number and loads the rest', () => {
    cli(['migrate']);
    const input = [
      record('src/a.ts'),
      '{"path": "broken"',
      record('src/b.ts', ['parse_http_request']),
    ].join('\n');
    const r = cli(['import', '-', '--json'], { input });
    assert.equal(r.code, 1, 'a bad line makes the exit code 1');
    const report = json<{ files: number; errors: { line: number }[] }>(r);
    assert.equal(report.files, 2);
    assert.deepEqual(
      report.errors.map((e) => e.line),
      [2],
    );
    const results = json<{ path: string; score: number }[]>(
      cli(['search', 'http request', '--json']),
    );
    assert.deepEqual(results.map((x) => x.path).sort(), ['src/a.ts', 'src/b.ts']);
    assert.ok(results.every((x) => typeof x.score === 'number'));
  });

  it("bounds the import connection's page cache, and sets the V8 flag only where V8 has it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'codeidx-import-mem-'));
    const db = openConnection(join(dir, 'x.db'));
    try {
      assert.equal(db.pragma('cache_size', { simple: true }), -16000, 'the driver default');
      // An unknown V8 version: no flag (V8 would print an unknown flag's error on stdout).
      assert.equal(boundImportMemory(db, '99.0.0'), false);
      assert.equal(db.pragma('cache_size', { simple: true }), -IMPORT_CACHE_KIB);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
