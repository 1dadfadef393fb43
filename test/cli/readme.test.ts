import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli/table.ts';
import { ERROR_CODES } from '../../src/storage/errors.ts';
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

/** The README's `### name` section (up to the next heading of any level up to `###`). */
function readmeSection(heading: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `the README has a section "${heading}"`);
  const end = readme.slice(start + heading.length + 2).search(/\n#{2,3} /);
  return end < 0 ? readme.slice(start) : readme.slice(start, start + heading.length + 2 + end);
}

/** The backticked names in the first column of every table row of `section`. */
function firstColumnNames(section: string, pattern: RegExp): string[] {
  const names: string[] = [];
  for (const row of section.matchAll(/^\| ([^|]*)\|/gm)) {
    for (const m of row[1]!.matchAll(/`([^`]+)`/g)) if (pattern.test(m[1]!)) names.push(m[1]!);
  }
  return names;
}

describe('the README documents every error code and setting', function () {
  // Ensure the error code table lists exactly the codes a CodeidxError can carry.
  it('lists every error code in its table, and no other', () => {
    const listed = firstColumnNames(readmeSection('### Error codes'), /^[A-Z][A-Z_]+$/);
    assert.deepEqual([...listed].sort(), [...ERROR_CODES].sort());
  });

  // Ensure the settings table lists exactly the settings package.json contributes.
  it('lists every setting of package.json in its table, and no other', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, unknown> } };
    };
    const declared = Object.keys(pkg.contributes.configuration.properties);
    const listed = firstColumnNames(readmeSection('### Settings'), /^codeidx\./);
    assert.deepEqual([...listed].sort(), [...declared].sort());
  });
});
