// Bundles the CLI, the extension and the database worker into dist/.
// better-sqlite3 stays external: its prebuilt Node-API binary is loaded from node_modules at run time.
import * as esbuild from 'esbuild';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { LANGUAGES } from './src/indexer/languages.ts';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  external: ['vscode', 'better-sqlite3'],
  sourcemap: production ? 'external' : 'linked',
  minify: production,
  logLevel: 'warning',
  // Sources are ES modules that use import.meta.url; in the CommonJS bundle it becomes the bundle's own URL.
  define: { 'import.meta.url': '__codeidx_module_url' },
  banner: {
    js: "const __codeidx_module_url = require('node:url').pathToFileURL(__filename).href;",
  },
};

const builds = [
  {
    entryPoints: { cli: 'src/cli/main.ts' },
    banner: { js: '#!/usr/bin/env node\n' + common.banner.js },
  },
  {
    entryPoints: {
      extension: 'src/extension/extension.ts',
      worker: 'src/storage/worker/worker.ts',
    },
  },
];
// The parse worker is built with the CLI: both the CLI and the extension start it.
const parseWorker = { entryPoints: { 'indexer-worker': 'src/indexer/parse-worker.ts' } };

/** The tree-sitter runtime and grammars (only their .wasm, never their native bindings) and our queries. */
function copyParserAssets() {
  mkdirSync('dist/grammars', { recursive: true });
  mkdirSync('dist/queries', { recursive: true });
  copyFileSync('node_modules/web-tree-sitter/tree-sitter.wasm', 'dist/grammars/tree-sitter.wasm');
  for (const l of LANGUAGES)
    copyFileSync(
      `node_modules/${l.grammarPackage}/${l.grammarFile}`,
      `dist/grammars/${l.grammarFile}`,
    );
  for (const f of readdirSync('src/indexer/queries'))
    copyFileSync(`src/indexer/queries/${f}`, `dist/queries/${f}`);
}

mkdirSync('dist', { recursive: true });
// The package is "type": "module" for the TypeScript sources; the bundles are CommonJS.
writeFileSync('dist/package.json', '{ "type": "commonjs" }\n');

const entries = [
  ...(existsSync('src/extension/extension.ts') ? builds : builds.slice(0, 1)),
  parseWorker,
];
copyParserAssets();
if (watch) {
  for (const b of entries)
    await (await esbuild.context({ ...common, ...b, outdir: 'dist' })).watch();
} else {
  await Promise.all(entries.map((b) => esbuild.build({ ...common, ...b, outdir: 'dist' })));
  chmodSync('dist/cli.js', 0o755);
}
