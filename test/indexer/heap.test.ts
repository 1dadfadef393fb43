import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mayScopeFlags } from '../../src/indexer/v8flags.ts';

const CHILD = fileURLToPath(new URL('./helpers/heap-child.ts', import.meta.url));
const MB = 1024 * 1024;

/** Young generation sizes of a fresh process that churns (see heap-child.ts). */
function run(mode: 'lean' | 'plain'): { before: number; during: number; after: number } {
  const child = spawnSync(process.execPath, [CHILD, mode], {
    encoding: 'utf8',
    timeout: 50_000,
  });
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
    // Usually 2 MB; a busy machine (CI, under coverage) has seen 13 MB: V8 still adds pages at
    // growth factor 1, but never doubles toward its maximum.
    assert.ok(lean.during < 32 * MB, `it grew to ${lean.during} bytes inside withLeanHeaps`);
    assert.ok(lean.after > 32 * MB, 'V8’s default growth was not restored after the run');
  });
});

describe('indexer: V8 flags', () => {
  it('are set only on V8 versions known to have them, and never over the user’s own', () => {
    assert.equal(mayScopeFlags(/semi-space/, '13.6.233.17-node.63'), true);
    assert.equal(mayScopeFlags(/semi-space/, '11.3.244.8-node.38'), true);
    // An unknown flag's error would land on stdout, in the middle of --json output.
    assert.equal(mayScopeFlags(/semi-space/, '15.0.1'), false);
    assert.equal(mayScopeFlags(/semi-space/, '10.2.154.26'), false);
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = '--max-semi-space-size=4';
    try {
      assert.equal(mayScopeFlags(/semi-space/, '13.6.233.17'), false);
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
  });
});
