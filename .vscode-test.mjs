// @vscode/test-cli configuration: the same extension suite as `npm run test:extension`, run in
// desktop VS Code (downloaded by @vscode/test-electron; needs internet the first time):
//   npx vscode-test                  # both configurations
//   npx vscode-test --label main     # the trusted multi-root workspace only
// The restricted-mode part needs a click on the trust button, which only the code-server driver
// (scripts/run-extension-tests.mjs) can give; desktop runs pass --disable-workspace-trust.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@vscode/test-cli';
import { buildAll, fixtures } from './scripts/run-extension-tests.mjs';

await buildAll();
const fx = fixtures(mkdtempSync(join(tmpdir(), 'codeidx-desktop-test-')));

const common = {
  files: 'dist/test/extension/desktop.js',
  // engines.vscode floor by default; CODEIDX_VSCODE_VERSION=stable tests the newest.
  version: process.env.CODEIDX_VSCODE_VERSION ?? '1.101.0',
  mocha: { ui: 'bdd', timeout: 60_000 },
  env: {
    CODEIDX_TEST_FIRST: fx.first,
    CODEIDX_TEST_SECOND: fx.second,
    CODEIDX_TEST_ROOT: process.cwd(),
  },
  launchArgs: ['--disable-workspace-trust', '--disable-extensions'],
};

export default defineConfig([
  { ...common, label: 'main', workspaceFolder: fx.workspace },
  { ...common, label: 'empty' },
]);
