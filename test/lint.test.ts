import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// A .mjs module without types: loaded by URL so that tsc does not ask for declarations.
const RULE_URL: string = new URL('../eslint/no-cycle.mjs', import.meta.url).href;

describe('lint: codeidx/no-cycle', () => {
  let dir: string;
  let config: Linter.Config[];

  before(async () => {
    const plugin = ((await import(RULE_URL)) as { default: ESLint.Plugin }).default;
    config = [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { codeidx: plugin },
        rules: { 'codeidx/no-cycle': 'error' },
      },
    ];
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'codeidx-lint-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes the modules, then lints `file` as ESLint would; returns the cycle messages. */
  function lint(modules: Record<string, string>, file: string): string[] {
    for (const [name, text] of Object.entries(modules)) writeFileSync(join(dir, name), text);
    return new Linter({ configType: 'flat', cwd: dir })
      .verify(modules[file]!, config, { filename: join(dir, file) })
      .map((m) => m.message);
  }

  // Ensure two modules that import each other are reported, with the path of the cycle.
  it('reports a two-module cycle with its path', () => {
    const messages = lint(
      {
        'a.ts': "import { b } from './b.ts';\nexport const a = b;\n",
        'b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
      },
      'a.ts',
    );
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, /Import cycle: .*a\.ts -> .*b\.ts -> .*a\.ts/);
  });

  // Ensure a type-only import still closes a cycle (import-x's no-cycle would let it pass).
  it('counts type-only imports and re-exports', () => {
    const modules = {
      'a.ts': "import type { B } from './b.ts';\nexport type A = B | 1;\n",
      'b.ts': "export { c } from './c.ts';\nexport type B = 2;\n",
      'c.ts': "import type { A } from './a.ts';\nexport const c: A | undefined = undefined;\n",
    };
    assert.equal(lint(modules, 'a.ts').length, 1);
  });

  // Ensure imports that only point down are left alone.
  it('accepts a chain without a way back', () => {
    const modules = {
      'a.ts': "import { b } from './b.ts';\nexport const a = b;\n",
      'b.ts': "import { c } from './c.ts';\nexport const b = c;\n",
      'c.ts': "import { join } from 'node:path';\nexport const c = join;\n",
    };
    assert.deepEqual(lint(modules, 'a.ts'), []);
  });
});

describe('lint: layer directions (eslint.config.mjs)', () => {
  let eslint: ESLint;
  before(() => {
    // These files do not exist, so the project service has no program for them: untyped rules.
    eslint = new ESLint({ cwd: ROOT, overrideConfig: tseslint.configs.disableTypeChecked });
  });

  /** The rule ids reported for `code` as if it were the file `path` of this repository. */
  async function rules(path: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
    return result!.messages.map((m) => m.ruleId ?? m.message);
  }
  const RESTRICTED = '@typescript-eslint/no-restricted-imports';
  const use = (spec: string, typeOnly = false): string =>
    `import ${typeOnly ? 'type ' : ''}{ x } from '${spec}';\nexport ${typeOnly ? 'type y = x' : 'const y = x'};\n`;

  // Ensure the core imports neither adapter nor vscode, and the indexer only from the worker.
  it('src/storage imports no adapter, and the indexer only in worker/', async () => {
    assert.deepEqual(await rules('src/storage/x.ts', use('../cli/main.ts')), [RESTRICTED]);
    assert.deepEqual(await rules('src/storage/x.ts', use('../extension/folder.ts')), [RESTRICTED]);
    assert.deepEqual(await rules('src/storage/x.ts', use('vscode')), [RESTRICTED]);
    assert.deepEqual(await rules('src/storage/x.ts', use('../indexer/index.ts')), [RESTRICTED]);
    assert.deepEqual(await rules('src/storage/worker/x.ts', use('../../indexer/index.ts')), []);
    assert.deepEqual(await rules('src/storage/worker/x.ts', use('../../cli/run.ts')), [RESTRICTED]);
  });

  // Ensure the extension reaches the core only through the worker client.
  it('src/extension never imports the service, the CLI, or the indexer’s values', async () => {
    assert.deepEqual(await rules('src/extension/x.ts', use('../storage/service.ts')), [RESTRICTED]);
    assert.deepEqual(await rules('src/extension/x.ts', use('../cli/run.ts')), [RESTRICTED]);
    assert.deepEqual(await rules('src/extension/x.ts', use('../indexer/index.ts')), [RESTRICTED]);
    assert.deepEqual(await rules('src/extension/x.ts', use('../indexer/index.ts', true)), []);
    assert.deepEqual(await rules('src/extension/x.ts', use('../storage/worker/client.ts')), []);
  });

  // Ensure the pure logic modules and the plain-Node tests never load vscode.
  it('src/extension/logic and the unit tests stay free of vscode', async () => {
    assert.deepEqual(await rules('src/extension/logic/x.ts', use('vscode')), [RESTRICTED]);
    assert.deepEqual(await rules('src/extension/logic/x.ts', use('../folder.ts')), [RESTRICTED]);
    assert.deepEqual(await rules('src/extension/logic/x.ts', use('../../storage/errors.ts')), []);
    assert.deepEqual(await rules('test/x.test.ts', use('vscode')), [RESTRICTED]);
    assert.deepEqual(await rules('test/x.test.ts', use('../src/extension/folder.ts')), [
      RESTRICTED,
    ]);
    assert.deepEqual(await rules('test/x.test.ts', use('../src/extension/logic/status.ts')), []);
  });
});

describe('lint: typed rules (eslint.config.mjs)', () => {
  let eslint: ESLint;
  before(() => {
    eslint = new ESLint({ cwd: ROOT });
  });

  /** The rule ids reported for `code` put in place of the existing file `path` (it has a program). */
  async function rules(path: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
    return result!.messages.map((m) => m.ruleId ?? m.message);
  }
  const later = 'const later = (): Promise<number> => Promise.resolve(1);\n';

  // Ensure a promise nobody awaits, and an async function that awaits nothing, are reported.
  it('reports floating promises and async functions without await', async () => {
    assert.deepEqual(
      await rules('src/storage/text.ts', `${later}export function f(): void {\n  later();\n}\n`),
      ['@typescript-eslint/no-floating-promises'],
    );
    assert.deepEqual(
      await rules(
        'src/storage/text.ts',
        `export async function f(): Promise<number> {\n  return 1;\n}\n`,
      ),
      ['@typescript-eslint/require-await'],
    );
    // `void` says on purpose that nobody waits.
    assert.deepEqual(
      await rules(
        'src/storage/text.ts',
        `${later}export function f(): void {\n  void later();\n}\n`,
      ),
      [],
    );
  });

  // Ensure a switch without default names every case of its union.
  it('reports a switch that misses a case', async () => {
    const sw = (cases: string): string =>
      `export function f(k: 'a' | 'b'): number {\n  switch (k) {\n${cases}  }\n}\n`;
    assert.deepEqual(await rules('src/cli/io.ts', sw("    case 'a':\n      return 1;\n")), [
      '@typescript-eslint/switch-exhaustiveness-check',
    ]);
    const all = "    case 'a':\n      return 1;\n    case 'b':\n      return 2;\n";
    assert.deepEqual(await rules('src/cli/io.ts', sw(all)), []);
  });

  // Ensure an array in a template literal (joined with bare commas) is reported; numbers pass.
  it('reports an array printed in a template literal, not a number', async () => {
    const code = (v: string): string => `export const f = (x: ${v}): string => \`v=\${x}\`;\n`;
    assert.deepEqual(await rules('test/storage/text.test.ts', code('string[]')), [
      '@typescript-eslint/restrict-template-expressions',
    ]);
    assert.deepEqual(await rules('test/storage/text.test.ts', code('number')), []);
  });
});
