import assert from 'node:assert/strict';
import { cliWorkspace, json, record } from './helpers.ts';

describe('codeidx import', function () {
  const { cli } = cliWorkspace();

  it('imports JSON lines from stdin, reports a bad line by number and loads the rest', () => {
    cli(['migrate']);
    const input = [
      record('src/a.ts'),
      '{"path": "broken"',
      record('src/b.ts', ['parse_http_request']),
    ].join('\n');
    const r = cli(['import', '-', '--json'], { input });
    assert.equal(r.code, 1, 'a bad line makes the exit code 1');
    const report = json<{ files: number; errors: { line: number }[] }>(r);
    assert.equal(report.files, 2);
    assert.deepEqual(
      report.errors.map((e) => e.line),
      [2],
    );
    const results = json<{ path: string; score: number }[]>(
      cli(['search', 'http request', '--json']),
    );
    assert.deepEqual(results.map((x) => x.path).sort(), ['src/a.ts', 'src/b.ts']);
    assert.ok(results.every((x) => typeof x.score === 'number'));
  });
});
