import assert from 'node:assert/strict';
import { cliWorkspace, record } from './helpers.ts';

describe('codeidx search', function () {
  const { cli } = cliWorkspace();

  it('search survives FTS5 syntax in the text', () => {
    cli(['migrate']);
    cli(['import', '-'], { input: record('src/a.ts') });
    for (const text of [
      '"',
      'NEAR(',
      'foo-bar',
      'a AND OR NOT',
      '*',
      '^x',
      "'; DROP TABLE files; --",
    ]) {
      const r = cli(['search', text, '--json']);
      assert.ok(
        r.code === 0 || (r.code === 1 && /codeidx search: /.test(r.stderr)),
        `${text}: ${r.stderr}`,
      );
      assert.doesNotMatch(r.stderr, /SqliteError|fts5: syntax error/);
    }
  });
});
