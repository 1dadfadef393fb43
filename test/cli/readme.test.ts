import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli/table.ts';
import { ROOT } from './helpers.ts';

/** The README's section on the `codeidx` command, up to its next `##` heading. */
function cliSection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## The `codeidx` command');
  assert.ok(start >= 0, 'the README has a section on the codeidx command');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('the README documents the CLI', function () {
  const section = cliSection();
  const usageBlock = /```\n([^`]*)```/.exec(section)?.[1] ?? '';
  const usageLines = new Map(
    [...usageBlock.matchAll(/^codeidx ([a-z-]+) +(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
  );
  const tableRows = new Set([...section.matchAll(/^\| `([a-z-]+)` +\|/gm)].map((m) => m[1]!));
  const names = COMMANDS.map((c) => c.name);

  // Ensure the docs cannot rot: the usage block and the table list exactly the commands that exist.
  it('lists every command in the usage block and the table, and no other', () => {
    assert.deepEqual([...usageLines.keys()].sort(), [...names].sort());
    assert.deepEqual([...tableRows].sort(), [...names].sort());
  });

  it("gives each command's usage exactly as `codeidx COMMAND --help` does", () => {
    for (const c of COMMANDS) {
      assert.equal(`codeidx ${c.name} ${usageLines.get(c.name)}`, c.usage, c.name);
    }
  });

  it('names every option of every command in its usage', () => {
    for (const c of COMMANDS) {
      for (const option of Object.keys(c.options))
        assert.ok(c.usage.includes(`--${option}`), `${c.name} --${option}`);
    }
  });
});
