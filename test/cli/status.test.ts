import assert from 'node:assert/strict';
import { cliWorkspace, json } from './helpers.ts';
import { loadMigrations } from '../../src/storage/migrations/loader.ts';

describe('codeidx status', function () {
  const { cli } = cliWorkspace();

  it('status --json has the documented fields', () => {
    cli(['migrate', '--to', '1']);
    const s = json<{
      currentVersion: number;
      latestVersion: number;
      applied: {
        version: number;
        name: string;
        checksum: string;
        appliedAt: string;
        executionMs: number;
      }[];
      pending: { version: number }[];
      problems: unknown[];
    }>(cli(['status', '--json']));
    assert.equal(s.currentVersion, 1);
    assert.equal(s.latestVersion, loadMigrations().length);
    assert.deepEqual(Object.keys(s.applied[0]!).sort(), [
      'appliedAt',
      'checksum',
      'executionMs',
      'name',
      'version',
    ]);
    assert.deepEqual(
      s.pending.map((p) => p.version),
      [2, 3],
    );
    assert.deepEqual(s.problems, []);
  });
});
