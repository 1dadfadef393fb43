import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { cliWorkspace, copyFixtures, json } from './helpers.ts';

describe('codeidx symbols', function () {
  const { ws, cli } = cliWorkspace();

  // Ensure the read-only promise: symbols never creates a folder or a database.
  it('on a folder without a database creates nothing and says how to create one', () => {
    copyFixtures(ws(), ['python']);
    const r = cli(['symbols', 'Circle']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^codeidx symbols: There is no codeidx database at /);
    assert.deepEqual(readdirSync(ws()), ['python'], 'no .vscode folder, no database');
  });

  it('lists matches best first as path:line:column kind name, capped by --limit', () => {
    copyFixtures(ws(), ['python', 'typescript']);
    assert.equal(cli(['index']).code, 0);
    // `register` is an exact match and `registry` only a prefix one: the exact name comes first.
    const r = cli(['symbols', 'register']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], 'python/shapes.py:24:5 function register');
    const one = json<{ name: string }[]>(cli(['symbols', 're', '--limit', '1', '--json']));
    assert.equal(one.length, 1);
    assert.equal(cli(['symbols', 'zzzNothing']).stdout, 'No definitions match.\n');
  });

  it('--json has the SymbolMatch fields', () => {
    copyFixtures(ws(), ['python']);
    cli(['index']);
    const [circle] = json<Record<string, unknown>[]>(cli(['symbols', 'Circle', '--json']));
    assert.deepEqual(Object.keys(circle!).sort(), [
      'column',
      'exported',
      'kind',
      'line',
      'name',
      'path',
      'score',
      'signature',
    ]);
    assert.equal(circle!.kind, 'class');
    assert.equal(circle!.column, 6, 'JSON keeps the stored column, counted from 0');
  });

  it('exits 2 on a usage error', () => {
    for (const args of [
      ['symbols'],
      ['symbols', 'a', 'b'],
      ['symbols', 'a', '--limit', '0'],
      ['symbols', 'a', '--full'],
    ]) {
      const r = cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Usage: codeidx symbols TEXT/);
    }
    assert.ok(!existsSync(`${ws()}/.vscode`));
  });
});
