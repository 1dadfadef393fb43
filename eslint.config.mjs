// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import codeidx from './eslint/no-cycle.mjs';

const VSCODE = { name: 'vscode', message: 'Only src/extension may use the VS Code API.' };

/**
 * The layers (dependencies point down only, see README "Development"): extension and cli are
 * adapters over storage (the core); the indexer sits beside them over storage. Each entry is a
 * specifier pattern a layer must not import, with the reason. Patterns match the import's text.
 */
const NOT = {
  cli: { regex: '(^|/)cli/', message: 'The core and the other adapters never import src/cli.' },
  extension: {
    regex: '(^|/)extension/',
    message: 'Only VS Code loads src/extension; nothing else imports it.',
  },
  indexer: {
    regex: '(^|/)indexer/',
    message:
      'src/storage does not import the indexer; only src/storage/worker/ may (the worker runs the `index` method).',
  },
  indexerValues: {
    // languages.ts is a plain table (file extension → language): the extension may use it.
    regex: '(^|/)indexer/(?!languages\\.ts$)',
    allowTypeImports: true,
    message:
      'The extension reaches the indexer only through the worker (`index`); import its types only.',
  },
  service: {
    regex: '(^|/)storage/service(\\.ts$|/|$)',
    message:
      'The extension reaches the core only through the worker client (src/storage/worker/client.ts).',
  },
  outsideLogic: {
    regex: '^\\.\\./[^.]',
    message:
      'src/extension/logic/ stays free of vscode: import only other logic modules and src/storage.',
  },
  extensionButLogic: {
    regex: '(^|/)src/extension/(?!logic/)',
    message:
      'Unit tests run in plain Node: import the vscode-free src/extension/logic/ modules only.',
  },
};

/**
 * @param {{ name: string; message: string }[]} paths
 * @param {{ regex: string; message: string; allowTypeImports?: boolean }[]} patterns
 */
const restrict = (paths, patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }],
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'coverage/**',
      '.tools/**',
      '.vscode-test/**',
      'node_modules/**',
      'test/fixtures/indexer/**',
    ],
  },
  js.configs.recommended,
  // Typed rules: every .ts file is in tsconfig.json, so the project service finds its program.
  ...tseslint.configs.strictTypeChecked.map((c) => ({ ...c, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { codeidx },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // A switch without `default` must name every case; one with `default` is partial on purpose.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      // `(e) => log.info(e)` as a callback is clear; returning a void call from a block is not.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // A non-null assertion marks an index or lookup known to be valid (noUncheckedIndexedAccess).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Numbers and booleans print as expected; nullish, objects and `any` are still refused.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      'codeidx/no-cycle': 'error',
    },
  },
  // Plain JavaScript (build scripts, the lint plugin) is outside tsconfig.json: untyped rules only.
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  // Layer directions. A later block for the same files replaces the rule's options, so each
  // block lists everything its files must not import.
  {
    // The core stays host-free and adapter-free: the CLI and tests run it without VS Code.
    files: ['src/storage/**/*.ts'],
    rules: restrict([VSCODE], [NOT.cli, NOT.extension, NOT.indexer]),
  },
  {
    // The worker runs the indexer for the `index` method: the one place the core may import it.
    files: ['src/storage/worker/**/*.ts'],
    rules: restrict([VSCODE], [NOT.cli, NOT.extension]),
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: restrict([VSCODE], [NOT.extension]),
  },
  {
    files: ['src/indexer/**/*.ts'],
    rules: restrict([VSCODE], [NOT.cli, NOT.extension]),
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: restrict([], [NOT.cli, NOT.service, NOT.indexerValues]),
  },
  {
    // Pure logic: unit-tested in plain Node (test/extension-logic.test.ts), so no vscode.
    files: ['src/extension/logic/**/*.ts'],
    rules: restrict([VSCODE], [NOT.cli, NOT.service, NOT.indexerValues, NOT.outsideLogic]),
  },
  {
    // mocha runs these in plain Node, where `vscode` does not exist.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    ignores: ['test/extension/**'],
    rules: restrict([VSCODE], [NOT.extensionButLogic]),
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
