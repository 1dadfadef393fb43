// @ts-check
// codeidx/no-cycle: no module may reach itself through its relative imports, `import type`
// included (a type-only cycle still ties two modules into one). A local rule instead of
// eslint-plugin-import-x's no-cycle: that plugin installs and runs with ESLint 10, but skips
// type-only imports (so it misses extension/folder.ts <-> notify.ts kinds of cycles), needs a
// resolver set up for `.ts` specifiers, and brings about 100 packages; this is 100 lines on the
// TypeScript parser the project already has.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

/** @type {Map<string, { mtimeMs: number; deps: string[] }>} one entry per file read from disk */
const cache = new Map();

/**
 * The file a relative specifier names: as written, or a `.js` specifier's `.ts` source.
 * @param {string} from
 * @param {string} spec
 * @returns {string | undefined}
 */
export function resolveSpecifier(from, spec) {
  if (!spec.startsWith('./') && !spec.startsWith('../')) return undefined;
  const target = resolve(dirname(from), spec);
  for (const candidate of [target, target.replace(/\.(m?)js$/, '.$1ts'), `${target}.ts`]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * The relative specifiers of a module's text: imports, `export ... from`, dynamic `import()`.
 * @param {string} text
 * @returns {string[]}
 */
export function specifiersOf(text) {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/**
 * The files a file on disk imports (cached until its mtime changes).
 * @param {string} file
 * @returns {string[]}
 */
function depsOf(file) {
  const { mtimeMs } = statSync(file);
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.deps;
  const deps = specifiersOf(readFileSync(file, 'utf8'))
    .map((s) => resolveSpecifier(file, s))
    .filter((d) => d !== undefined);
  cache.set(file, { mtimeMs, deps });
  return deps;
}

/**
 * A path of imports from `start` back to `file`, or undefined when there is none.
 * @param {string} start
 * @param {string} file
 * @returns {string[] | undefined}
 */
export function pathBack(start, file) {
  /** @type {Map<string, string | null>} file -> the file that first led to it */
  const via = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const at = /** @type {string} */ (queue.shift());
    for (const next of depsOf(at)) {
      if (next === file) {
        const path = [file];
        for (let p = /** @type {string | null | undefined} */ (at); p; p = via.get(p))
          path.unshift(p);
        return path;
      }
      if (!via.has(next)) {
        via.set(next, at);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
export const noCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles between modules, type-only imports included.' },
    schema: [],
    messages: {
      cycle:
        'Import cycle: {{path}}. Move what both sides need into a module of its own, or let one side depend on an interface.',
    },
  },
  create(context) {
    const file = context.filename;
    const root = context.cwd;
    /** @param {import('estree').Node & { source?: import('estree').Expression | null }} node */
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const target = resolveSpecifier(file, source.value);
      if (!target) return;
      const path = target === file ? [file] : pathBack(target, file);
      if (!path) return;
      const shown = [file, ...path].map((p) => relative(root, p)).join(' -> ');
      context.report({ node, messageId: 'cycle', data: { path: shown } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default { rules: { 'no-cycle': noCycle } };
