import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cliWorkspace, json, record } from './helpers.ts';

describe('codeidx restore', function () {
  const { cli, dbFile } = cliWorkspace();

  // Ensure a replacement is never done without a yes: piped, it needs --yes and changes nothing.
  it('asks for --yes without a terminal and leaves the database as it was', () => {
    cli(['migrate']);
    const b = json<{ path: string }>(cli(['backup', '--json']));
    cli(['import', '-'], { input: record('src/a.ts') });
    const before = readFileSync(dbFile());
    const r = cli(['restore', b.path]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--yes/);
    assert.deepEqual(readFileSync(dbFile()), before, 'the file was not touched');
    const done = cli(['restore', b.path, '--yes', '--json']);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(json<{ restoredFrom: string }>(done).restoredFrom, b.path);
  });
});
