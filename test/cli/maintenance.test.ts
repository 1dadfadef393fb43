import assert from 'node:assert/strict';
import { cliWorkspace, json, record } from './helpers.ts';

describe('codeidx maintenance', function () {
  const { cli } = cliWorkspace();

  it('optimizes, checkpoints and vacuums with --vacuum, and search still answers', () => {
    cli(['migrate']);
    cli(['import', '-'], { input: record('src/a.ts') });
    const r = cli(['maintenance', '--vacuum', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = json<{ vacuumed: boolean; bytesBefore: number; bytesAfter: number }>(r);
    assert.equal(result.vacuumed, true);
    assert.ok(result.bytesAfter > 0);
    assert.match(cli(['maintenance']).stdout, /^Maintenance done in .+ bytes\.\n$/);
    assert.equal(json<unknown[]>(cli(['search', 'parseHttpRequest', '--json'])).length, 1);
  });
});
