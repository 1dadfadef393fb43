import assert from 'node:assert/strict';
import { cliWorkspace, record } from './helpers.ts';

describe('codeidx rebuild-fts', function () {
  const { cli } = cliWorkspace();

  it('rebuild-fts reports the count', () => {
    cli(['migrate']);
    cli(['import', '-'], { input: [record('src/a.ts'), record('src/b.ts')].join('\n') });
    const r = cli(['rebuild-fts']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Rebuilt the full-text index: 2 files/);
  });
});
