// Synthetic indexer records: realistic identifier shapes (camelCase, snake_case, PascalCase),
// 20 definitions, 8 imports, 10 symbols and 2 tags a file. Deterministic for a given index.
import { createHash } from 'node:crypto';
import type { FileRecordInput } from '../src/storage/types.ts';

const WORDS = [
  'parse',
  'http',
  'request',
  'response',
  'user',
  'account',
  'session',
  'token',
  'cache',
  'store',
  'render',
  'view',
  'model',
  'query',
  'index',
  'search',
  'file',
  'path',
  'config',
  'loader',
  'event',
  'handler',
  'stream',
  'buffer',
  'socket',
  'client',
  'server',
  'router',
  'message',
  'queue',
  'worker',
  'task',
  'job',
  'schema',
  'table',
  'column',
  'record',
  'entry',
  'node',
  'tree',
];
const TYPES = ['function', 'class', 'method', 'interface', 'variable', 'component'] as const;

/**
 * The vocabulary: the 40 words above first, then 3,000 made-up words. Words are drawn
 * log-uniformly by rank, so a few words are in nearly every file (like `get` or `value`) and
 * most are rare, as in real code.
 */
const SYLLABLES = [
  'ba',
  'ko',
  'ri',
  'zen',
  'tu',
  'mal',
  'pe',
  'dor',
  'qui',
  'sa',
  'vel',
  'nox',
  'li',
  'gra',
  'fe',
];
const VOCAB: string[] = [...WORDS];
for (let i = 0; VOCAB.length < WORDS.length + 3000; i++) {
  const a = SYLLABLES[i % SYLLABLES.length]!;
  const b = SYLLABLES[Math.floor(i / SYLLABLES.length) % SYLLABLES.length]!;
  const c = SYLLABLES[Math.floor(i / SYLLABLES.length ** 2) % SYLLABLES.length]!;
  VOCAB.push(`${a}${b}${c}`);
}
const pick = (r: () => number): string =>
  VOCAB[Math.min(VOCAB.length, Math.floor(VOCAB.length ** r())) - 1]!;

/** A small deterministic PRNG, so every run of the benchmark indexes the same data. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

const cap = (w: string): string => w[0]!.toUpperCase() + w.slice(1);

/** Identifier number `k` of file `i`: camelCase, PascalCase or snake_case from 2-3 words. */
function identifier(r: () => number, i: number, k: number): string {
  const n = 2 + Math.floor(r() * 2);
  const words = Array.from({ length: n }, () => pick(r));
  const style = (i + k) % 3;
  const base =
    style === 0
      ? words[0]! + words.slice(1).map(cap).join('')
      : style === 1
        ? words.map(cap).join('')
        : words.join('_');
  return `${base}${k % 5 === 0 ? i : ''}`;
}

/** The record of file `i`. */
export function syntheticFile(i: number): FileRecordInput {
  const r = rng(i + 1);
  const dir = WORDS[i % WORDS.length]!;
  return {
    path: `src/${dir}/${identifier(r, i, 0)}_${i}.ts`,
    size: 500 + Math.floor(r() * 20_000),
    lastModified: 1_700_000_000_000 + i * 1000,
    // An indexer sends the SHA-256 of the file's content; here a stand-in derived from the index.
    hash: createHash('sha256').update(`file ${i}`).digest('hex'),
    language: i % 4 === 0 ? 'javascript' : 'typescript',
    definitions: Array.from({ length: 20 }, (_, k) => ({
      name: identifier(r, i, k),
      type: TYPES[k % TYPES.length]!,
      line: 1 + k * 10,
      column: k % 4,
      exported: k % 2 === 0,
      docstring:
        k % 4 === 0
          ? `Handles the ${WORDS[k]} of a ${WORDS[(i + k) % WORDS.length]} for ${dir}.`
          : null,
      signature: `(${WORDS[k % WORDS.length]}: string) => void`,
      decorators: k % 7 === 0 ? ['memoize'] : null,
    })),
    imports: Array.from({ length: 8 }, (_, k) => ({
      module:
        k < 3
          ? `node:${WORDS[(i + k) % WORDS.length]}`
          : `./${WORDS[(i * 7 + k) % WORDS.length]}/${WORDS[(i + k * 3) % WORDS.length]}`,
      type: (['es-module', 'type-only', 'commonjs', 'dynamic'] as const)[k % 4]!,
      names: [identifier(r, i, k + 40)],
      line: k + 1,
    })),
    symbols: Array.from({ length: 10 }, (_, k) => ({
      name: identifier(r, i, k + 80),
      kind: k % 2 ? 'variable' : 'parameter',
      scope: 'module',
      line: 20 + k,
      column: 4,
    })),
    tags: [
      { tag: dir, weight: 1 },
      { tag: i % 2 ? 'frontend' : 'backend', weight: 0.5 },
    ],
  };
}

/** Lines `from` .. `to - 1` as JSON text, as `codeidx import` reads them. */
export function* syntheticLines(from: number, to: number): Generator<string> {
  for (let i = from; i < to; i++) yield JSON.stringify(syntheticFile(i));
}

export { VOCAB, WORDS };
