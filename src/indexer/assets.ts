import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodeidxError } from '../storage/errors.ts';
import type { LanguageSpec } from './languages.ts';

/** Where the tree-sitter runtime, the grammars and the query files are on disk. */
export interface AssetPaths {
  /** web-tree-sitter's own `tree-sitter.wasm`. */
  runtime: string;
  grammar(spec: LanguageSpec): string;
  query(spec: LanguageSpec): string;
}

/**
 * The bundle (dist/*.js) finds them in dist/grammars and dist/queries, where esbuild.mjs copies
 * them; the sources find them in node_modules and src/indexer/queries.
 */
export function defaultAssets(here: string = fileURLToPath(import.meta.url)): AssetPaths {
  const dir = dirname(here);
  if (!here.endsWith('.ts')) {
    return {
      runtime: join(dir, 'grammars', 'tree-sitter.wasm'),
      grammar: (spec) => join(dir, 'grammars', spec.grammarFile),
      query: (spec) => join(dir, 'queries', `${spec.queryFile ?? spec.id}.scm`),
    };
  }
  const modules = findNodeModules(dir);
  return {
    runtime: join(modules, 'web-tree-sitter', 'tree-sitter.wasm'),
    grammar: (spec) => join(modules, spec.grammarPackage, spec.grammarFile),
    query: (spec) => join(dir, 'queries', `${spec.queryFile ?? spec.id}.scm`),
  };
}

function findNodeModules(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', 'web-tree-sitter');
    if (existsSync(candidate)) return join(dir, 'node_modules');
    if (dirname(dir) === dir) {
      throw new CodeidxError('INTERNAL', 'The tree-sitter runtime (web-tree-sitter) is missing.', {
        hint: 'Run `npm ci` in the codeidx checkout.',
      });
    }
  }
}
