import type { Node, Query, QueryMatch, Tree } from 'web-tree-sitter';
import { DEFINITION_TYPES, IMPORT_TYPES } from '../storage/index/records.ts';
import type {
  DefinitionInput,
  DefinitionType,
  ImportInput,
  ImportType,
  SymbolInput,
} from '../storage/types.ts';
import type { LanguageRules } from './rules.ts';

export interface Extracted {
  definitions: DefinitionInput[];
  imports: ImportInput[];
  symbols: SymbolInput[];
}

const MAX_DOC = 1000;
const MAX_SIGNATURE = 200;
const FUNCTION_VALUES = new Set([
  'arrow_function',
  'function_expression',
  'function',
  'generator_function',
]);
const JSX = ['jsx_element', 'jsx_self_closing_element', 'jsx_fragment'];

/**
 * Turns a tree into definitions, imports and local symbols with the language's query. Capture
 * names carry the schema's type: `@definition.<DefinitionType>` (with `@name`),
 * `@import.<ImportType>` (with `@module`, optional `@import.name`), `@local.<kind>` (with `@name`).
 */
export function extract(
  tree: Tree,
  query: Query,
  rules: LanguageRules,
  language: string,
): Extracted {
  const out: Extracted = { definitions: [], imports: [], symbols: [] };
  const seen = new Set<number>();
  /** Definition node id → its name, for the scope of local symbols. */
  const scopes = new Map<number, string>();
  // A match completes at its last capture, so a parameter can come before its function's match.
  const locals: { symbol: SymbolInput; node: Node }[] = [];
  const importsSeen = new Set<number>();
  for (const match of matchesInChunks(tree, query)) {
    let main: { kind: string; node: Node } | undefined;
    let name: Node | undefined;
    let module: Node | undefined;
    const names: string[] = [];
    for (const c of match.captures) {
      if (c.name === 'name') name = c.node;
      else if (c.name === 'module') module = c.node;
      else if (c.name === 'import.name') names.push(c.node.text);
      else if (/^(definition|import|local)\./.test(c.name)) main = { kind: c.name, node: c.node };
    }
    if (!main) continue;
    const [group, detail] = splitOnce(main.kind);
    if (group === 'import' && module) {
      if (importsSeen.has(main.node.id)) continue; // met again in the next chunk
      importsSeen.add(main.node.id);
      const declared = detail as ImportType;
      if (!IMPORT_TYPES.includes(declared)) continue;
      out.imports.push({
        module: unquote(module.text),
        type: rules.importType ? rules.importType(main.node, declared) : declared,
        names: names.length ? names : importNames(main.node),
        line: main.node.startPosition.row + 1,
      });
      continue;
    }
    if (!name || seen.has(name.id) || name.text.length === 0) continue;
    seen.add(name.id);
    if (group === 'local') {
      const symbol = {
        name: name.text,
        kind: detail,
        scope: null,
        line: name.startPosition.row + 1,
        column: name.startPosition.column,
      };
      locals.push({ symbol, node: main.node });
      continue;
    }
    if (!DEFINITION_TYPES.includes(detail as DefinitionType)) continue;
    const def = main.node;
    const top = outermost(def, rules);
    const type = refine(detail as DefinitionType, def, top, name.text, rules, language);
    scopes.set(def.id, name.text);
    out.definitions.push({
      name: name.text,
      type,
      line: name.startPosition.row + 1,
      column: name.startPosition.column,
      exported: rules.exported(def, name.text, () => topLevel(def)),
      docstring: (rules.bodyDocstring ? bodyDocstring(def) : commentAbove(top)) ?? null,
      signature: signature(def),
    });
  }
  for (const { symbol, node } of locals)
    out.symbols.push({ ...symbol, scope: enclosingScope(node, scopes) });
  return out;
}

/** Sources above this many (UTF-16) indexes are matched a range at a time. */
const CHUNK = 64 * 1024;

/**
 * The query's matches, one range of top-level statements at a time in a big file: matching a
 * whole 1 MB file at once builds every match object together (hundreds of MB of JS heap, which
 * overran a worker's heap limit), while a range's matches are garbage once read. A match that
 * spans two ranges comes twice; the caller skips what it has seen.
 */
function* matchesInChunks(tree: Tree, query: Query): Generator<QueryMatch> {
  const root = tree.rootNode;
  if (root.endIndex <= CHUNK) {
    yield* query.matches(root);
    return;
  }
  const cursor = root.walk();
  try {
    let start = root.startIndex;
    if (cursor.gotoFirstChild()) {
      do {
        if (cursor.startIndex - start >= CHUNK) {
          yield* query.matches(root, bytes(start, cursor.startIndex));
          start = cursor.startIndex;
        }
      } while (cursor.gotoNextSibling());
    }
    yield* query.matches(root, bytes(start, root.endIndex));
  } finally {
    cursor.delete();
  }
}

/**
 * A query range from node indexes. web-tree-sitter's nodes count UTF-16 code units, while its
 * query range is in bytes of the UTF-16 text it parsed: two per unit (a test checks that a chunked
 * file gives what a whole one does).
 */
const bytes = (start: number, end: number): { startIndex: number; endIndex: number } => ({
  startIndex: start * 2,
  endIndex: end * 2,
});

function splitOnce(kind: string): [string, string] {
  const dot = kind.indexOf('.');
  return [kind.slice(0, dot), kind.slice(dot + 1)];
}

function refine(
  type: DefinitionType,
  def: Node,
  top: Node,
  name: string,
  rules: LanguageRules,
  language: string,
): DefinitionType {
  let result = type;
  if (type === 'function' && top.parent && rules.methodParent(top.parent)) result = 'method';
  if (type === 'variable') {
    const value = def.childForFieldName('value');
    if (value && FUNCTION_VALUES.has(value.type)) result = 'function';
    else if (/^[\p{Lu}_][\p{Lu}\p{N}_]*$/u.test(name) && /\p{Lu}/u.test(name)) result = 'constant';
    else if (def.parent?.type === 'lexical_declaration' && def.parent.text.startsWith('const'))
      result = 'constant';
  }
  if (
    result === 'function' &&
    (language === 'tsx' || language === 'javascript') &&
    /^\p{Lu}/u.test(name) &&
    def.descendantsOfType(JSX).length > 0
  )
    result = 'component';
  return result;
}

/** The definition with its wrappers (export, decorators, declaration lists) around it. */
function outermost(def: Node, rules: LanguageRules): Node {
  let node = def;
  while (node.parent && rules.wrappers.has(node.parent.type)) node = node.parent;
  return node;
}

/** The ancestor that sits directly in the file's root. */
function topLevel(node: Node): Node {
  let n = node;
  while (n.parent && n.parent.parent) n = n.parent;
  return n;
}

function enclosingScope(node: Node, scopes: Map<number, string>): string | null {
  for (let n = node.parent; n; n = n.parent) {
    const name = scopes.get(n.id);
    if (name !== undefined) return name;
  }
  return null;
}

/** Comment lines right above the declaration (no blank line between), cleaned of markers. */
function commentAbove(node: Node): string | undefined {
  const lines: string[] = [];
  let row = node.startPosition.row;
  for (let c = node.previousNamedSibling; c && /comment/.test(c.type); c = c.previousNamedSibling) {
    if (c.endPosition.row < row - 1) break;
    lines.unshift(c.text);
    row = c.startPosition.row;
  }
  if (lines.length === 0) return undefined;
  const text = lines
    .join('\n')
    .split('\n')
    .map((l) =>
      l
        .trim()
        .replace(/^(\/\*+|\*\/|\*|\/\/\/?|#+)\s?/, '')
        .replace(/\s*\*\/$/, ''),
    )
    .join('\n')
    .trim();
  return text ? text.slice(0, MAX_DOC) : undefined;
}

/** Python: the string that opens a function's or class's body. */
function bodyDocstring(def: Node): string | undefined {
  const first = def.childForFieldName('body')?.firstNamedChild;
  const str = first?.type === 'expression_statement' ? first.firstNamedChild : null;
  if (!str || str.type !== 'string') return undefined;
  const text = str.text.replace(/^[rbuf]*("""|'''|"|')/i, '').replace(/("""|'''|"|')$/, '');
  return text.trim().slice(0, MAX_DOC) || undefined;
}

/** The declaration up to its body, on one line: `function f(a: T): U`, `class A(B)`. */
function signature(def: Node): string | null {
  const body =
    def.childForFieldName('body') ?? def.childForFieldName('value')?.childForFieldName('body');
  const end =
    body && body.startIndex > def.startIndex ? body.startIndex - def.startIndex : undefined;
  const text = (end === undefined ? def.text.split('\n')[0]! : def.text.slice(0, end))
    .replace(/\s+/g, ' ')
    .replace(/[\s{:=]+$/, '')
    .trim();
  if (!text) return null;
  return text.length > MAX_SIGNATURE ? `${text.slice(0, MAX_SIGNATURE - 1)}…` : text;
}

/** The names an import brings in: `{ a, b as c }`, a default, `* as ns`, Python's `from m import a`. */
function importNames(node: Node): string[] | null {
  const names: string[] = [];
  const clause = node.children.find((c) => c?.type === 'import_clause');
  if (clause) {
    for (const c of clause.namedChildren) {
      if (c?.type === 'identifier') names.push(c.text);
      else if (c?.type === 'namespace_import') names.push(c.lastNamedChild?.text ?? '*');
      else if (c?.type === 'named_imports')
        for (const s of c.descendantsOfType('import_specifier'))
          names.push(s?.childForFieldName('name')?.text ?? '');
    }
  } else if (node.type === 'import_from_statement') {
    for (const n of node.childrenForFieldName('name'))
      names.push((n?.type === 'aliased_import' ? n.childForFieldName('name') : n)?.text ?? '');
  }
  const clean = names.filter(Boolean);
  return clean.length ? clean : null;
}

function unquote(text: string): string {
  return text.replace(/^[<'"`]+|[>'"`]+$/g, '');
}
