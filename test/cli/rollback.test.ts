import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cliWorkspace, json, record } from './helpers.ts';

describe('codeidx rollback', function () {
  const { cli } = cliWorkspace();

  it('rollback asks for --yes without a terminal, then rolls back after a backup', () => {
    cli(['migrate']);
    cli(['import', '-'], { input: record('src/a.ts') + '\n' });
    const refused = cli(['rollback', '--to', '1']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--yes/);
    const r = cli(['rollback', '--to', '1', '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = json<{ toVersion: number; backup: string }>(r);
    assert.equal(result.toVersion, 1);
    assert.ok(existsSync(result.backup), 'a backup was taken first');
  });
});
