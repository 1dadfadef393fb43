import assert from 'node:assert/strict';
import { rollbackChoices } from '../../src/extension/logic/rollback.ts';
import type { MigrationStatus } from '../../src/storage/types.ts';

const applied = (version: number, name: string): MigrationStatus['applied'][number] => ({
  version,
  name,
  checksum: 'x',
  appliedAt: '2026-01-01T00:00:00Z',
  executionMs: 1,
});

describe('extension logic: rollback choices', () => {
  // Ensure every lower version is offered, nearest first, each naming what it undoes.
  it('offers each lower version with the migrations it removes', () => {
    const status: MigrationStatus = {
      currentVersion: 3,
      latestVersion: 3,
      applied: [applied(1, 'initial'), applied(2, 'fts'), applied(3, 'prefix')],
      pending: [],
      problems: [],
    };
    assert.deepEqual(rollbackChoices(status), [
      { label: 'Version 2', description: 'removes 003 prefix', version: 2 },
      { label: 'Version 1', description: 'removes 003 prefix, 002 fts', version: 1 },
      {
        label: 'Version 0 (empty database)',
        description: 'removes 003 prefix, 002 fts, 001 initial',
        version: 0,
      },
    ]);
  });

  // Ensure a database at version 0 offers nothing.
  it('offers nothing at version 0', () => {
    assert.deepEqual(
      rollbackChoices({
        currentVersion: 0,
        latestVersion: 3,
        applied: [],
        pending: [],
        problems: [],
      }),
      [],
    );
  });
});
