import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./helpers/tierup-child.ts', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/indexer/', import.meta.url));

/** `Compiled function … using TurboFan, took N ms and MAX / TOTAL max/total bytes` lines. */
function turbofanCompiles(trace: string): { maxBytes: number; line: string }[] {
  return trace
    .split('\n')
    .filter((l) => l.includes('using TurboFan'))
    .map((line) => ({ maxBytes: Number(/and (\d+) \//.exec(line)?.[1] ?? 0), line }));
}

describe('indexer: grammars compiled to baseline code', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'codeidx-tierup-'));
    // Enough text that V8 would optimise the lexers (it did within a few files of this size).
    const cpp = readFileSync(join(FIXTURES, 'cpp', 'matrix.cpp'), 'utf8');
    const ts = readFileSync(join(FIXTURES, 'typescript', 'server.ts'), 'utf8');
    for (let i = 0; i < 4; i++) {
      writeFileSync(join(dir, `m${i}.cpp`), cpp.repeat(40));
      writeFileSync(join(dir, `s${i}.ts`), ts.repeat(40));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('never optimises a grammar (its lexer took up to 219 MB to optimise), while the runtime still is', function () {
    this.timeout(120_000);
    const child = spawnSync(process.execPath, ['--trace-wasm-compilation-times', CHILD, dir], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      timeout: 110_000,
    });
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /records 160\/160/);
    const compiles = turbofanCompiles(child.stdout);
    // The tree-sitter runtime's functions (a few MB of compiler memory each) still tier up: the
    // speed of parsing comes from them.
    assert.ok(compiles.length > 0, 'nothing was optimised: the flags were not restored');
    const big = compiles.filter((c) => c.maxBytes > 32 * 1024 * 1024);
    assert.deepEqual(
      big.map((c) => c.line),
      [],
      'a function took more than 32 MB of compiler memory',
    );
  });
});
