import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./helpers/heap-child.ts', import.meta.url));
const MB = 1024 * 1024;

/** Young generation sizes of a fresh process that churns (see heap-child.ts). */
function run(mode: 'lean' | 'plain'): { before: number; during: number; after: number } {
  const child = spawnSync(process.execPath, [CHILD, mode], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as { before: number; during: number; after: number };
}

describe('indexer: lean heaps during a run', () => {
  it('holds the young generation at its size during the run, and restores V8’s growth after', function () {
    this.timeout(60_000);
    const plain = run('plain');
    // The same work unwrapped grows it to V8's maximum (128 MB here): what an index run's
    // writing thread did.
    assert.ok(plain.during > 32 * MB, `unwrapped, it stayed at ${plain.during}`);
    const lean = run('lean');
    assert.ok(lean.during <= 8 * MB, `it grew to ${lean.during} bytes inside withLeanHeaps`);
    assert.ok(lean.after > 32 * MB, 'V8’s default growth was not restored after the run');
  });
});
