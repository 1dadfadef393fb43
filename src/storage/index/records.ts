import { createHash } from 'node:crypto';
import { CodeidxError } from '../errors.ts';
import { hasControlCharacters, printable } from '../text.ts';
import type { DefinitionType, FileRecordInput, ImportType } from '../types.ts';

export const DEFINITION_TYPES: readonly DefinitionType[] = [
  'class',
  'function',
  'method',
  'interface',
  'component',
  'variable',
  'type',
  'enum',
  'constant',
  'property',
  'module',
];
export const IMPORT_TYPES: readonly ImportType[] = [
  'es-module',
  'commonjs',
  'dynamic',
  'type-only',
  'side-effect',
];

/** A record that passed validation, with its hash filled in. */
export type ValidRecord = FileRecordInput & { hash: string };

function fail(field: string, message: string): never {
  throw new CodeidxError('IMPORT_INVALID', `${field} ${message}`, {
    hint: 'See "Import format" in the README for the record shape.',
  });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Record<string, unknown>, key: string, at: string, optional = false): string | null {
  const v = o[key];
  if (v === undefined || v === null) {
    if (optional) return null;
    fail(`${at}${key}`, 'is missing');
  }
  if (typeof v !== 'string') fail(`${at}${key}`, `must be a string, not ${typeof v}`);
  if (!optional && v.length === 0) fail(`${at}${key}`, 'must not be empty');
  return v;
}

function int(
  o: Record<string, unknown>,
  key: string,
  at: string,
  min: number,
  optional = false,
): number | null {
  const v = o[key];
  if (v === undefined || v === null) {
    if (optional) return null;
    fail(`${at}${key}`, 'is missing');
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    fail(`${at}${key}`, `must be a whole number >= ${min}`);
  return v;
}

function list(o: Record<string, unknown>, key: string): Record<string, unknown>[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(key, 'must be an array');
  return v.map((item, i) => (isObject(item) ? item : fail(`${key}[${i}]`, 'must be an object')));
}

function strings(o: Record<string, unknown>, key: string, at: string): string[] | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
    fail(`${at}${key}`, 'must be an array of strings');
  return v as string[];
}

/**
 * A stored path is relative to the workspace folder, with forward slashes, and names a file
 * inside it: never absolute, never climbing out with `..`, never holding control characters
 * (it is shown in search results and reports).
 */
function checkPath(path: string): void {
  const shown = `"${printable(path)}"`;
  if (hasControlCharacters(path)) fail('path', `${shown} must not contain control characters`);
  if (path.includes('\\')) fail('path', `${shown} must use forward slashes (/), not backslashes`);
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) {
    fail(
      'path',
      `${shown} must be relative to the workspace folder (no leading / or drive letter)`,
    );
  }
  if (path.split('/').includes('..')) fail('path', `${shown} must not contain ".." segments`);
}

/**
 * Checks one indexer record at the boundary and returns it normalised (hash lower-case; when the
 * record has none, the SHA-256 of its canonical JSON, so re-importing the same record is a no-op).
 * Throws IMPORT_INVALID naming the field.
 */
export function validateRecord(input: unknown): ValidRecord {
  if (!isObject(input)) fail('record', 'must be a JSON object');
  const path = str(input, 'path', '')!;
  checkPath(path);
  const size = int(input, 'size', '', 0)!;
  const lastModified = input.lastModified;
  if (typeof lastModified !== 'number' || !Number.isFinite(lastModified) || lastModified < 0) {
    fail('lastModified', 'must be a number of milliseconds since 1970 (>= 0)');
  }
  const language = str(input, 'language', '')!;
  let hash = str(input, 'hash', '', true);
  if (hash !== null) {
    hash = hash.toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hash))
      fail('hash', 'must be a SHA-256 digest in hex (64 characters)');
  }
  const definitions = list(input, 'definitions').map((d, i) => {
    const at = `definitions[${i}].`;
    const type = str(d, 'type', at) as DefinitionType;
    if (!DEFINITION_TYPES.includes(type))
      fail(`${at}type`, `must be one of ${DEFINITION_TYPES.join(', ')}`);
    if (typeof d.exported !== 'boolean') fail(`${at}exported`, 'must be true or false');
    return {
      name: str(d, 'name', at)!,
      type,
      line: int(d, 'line', at, 1)!,
      column: int(d, 'column', at, 0)!,
      exported: d.exported,
      docstring: str(d, 'docstring', at, true),
      signature: str(d, 'signature', at, true),
      decorators: strings(d, 'decorators', at),
    };
  });
  const imports = list(input, 'imports').map((m, i) => {
    const at = `imports[${i}].`;
    const type = str(m, 'type', at) as ImportType;
    if (!IMPORT_TYPES.includes(type))
      fail(`${at}type`, `must be one of ${IMPORT_TYPES.join(', ')}`);
    return {
      module: str(m, 'module', at)!,
      type,
      names: strings(m, 'names', at),
      line: int(m, 'line', at, 1, true),
    };
  });
  const symbols = list(input, 'symbols').map((s, i) => {
    const at = `symbols[${i}].`;
    return {
      name: str(s, 'name', at)!,
      kind: str(s, 'kind', at)!,
      scope: str(s, 'scope', at, true),
      line: int(s, 'line', at, 1)!,
      column: int(s, 'column', at, 0)!,
    };
  });
  const seen = new Set<string>();
  const tags = list(input, 'tags').map((t, i) => {
    const at = `tags[${i}].`;
    const tag = str(t, 'tag', at)!;
    if (seen.has(tag)) fail(`${at}tag`, `"${tag}" appears twice`);
    seen.add(tag);
    const weight = t.weight;
    if (typeof weight !== 'number' || !(weight >= 0 && weight <= 1))
      fail(`${at}weight`, 'must be a number from 0 to 1');
    return { tag, weight };
  });
  const record = { path, size, lastModified, language, definitions, imports, symbols, tags };
  return {
    ...record,
    hash: hash ?? createHash('sha256').update(JSON.stringify(record)).digest('hex'),
  };
}
