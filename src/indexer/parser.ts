import { readFileSync } from 'node:fs';
import { Language, Parser, Query } from 'web-tree-sitter';
import { CodeidxError } from '../storage/errors.ts';
import { defaultAssets, type AssetPaths } from './assets.ts';
import { compileGrammar } from './baseline.ts';
import { extract, type Extracted } from './extract.ts';
import { languageById, type LanguageSpec } from './languages.ts';
import { RULES } from './rules.ts';

interface Loaded {
  language: Language;
  query: Query;
}

/** The `@flow` pragma, in the file's first comment. */
const FLOW_PRAGMA = /@flow\b/;
const FLOW_HEAD = 4096;

let runtimeReady: Promise<void> | undefined;

/**
 * Parses source text with tree-sitter and extracts definitions, imports and local symbols.
 * Grammars and queries load on first use. The WASM heap only grows, so a long run should use a
 * fresh FileParser (in a fresh worker) every few thousand files: see pool.ts.
 */
export class FileParser {
  private readonly assets: AssetPaths;
  private readonly locals: boolean;
  private parser: Parser | undefined;
  private readonly loaded = new Map<string, Promise<Loaded>>();
  private readonly grammar: (id: string) => object | undefined;

  /**
   * `locals`: also extract local symbols (parameters, local variables). Off by default: their
   * query patterns cost about a sixth of the parse-and-query time, and nothing searches them yet.
   */
  constructor(
    assets: AssetPaths = defaultAssets(),
    options: {
      locals?: boolean;
      /** A grammar compiled elsewhere (by compileGrammar, in a parse pool's thread), if any. */
      grammar?: (id: string) => object | undefined;
    } = {},
  ) {
    this.assets = assets;
    this.locals = options.locals ?? false;
    this.grammar = options.grammar ?? (() => undefined);
  }

  /** Loads a language's grammar and compiles its query (once); throws a clear error when either is bad. */
  load(id: string): Promise<Loaded> {
    let entry = this.loaded.get(id);
    if (!entry) {
      entry = this.loadNow(languageById(id));
      this.loaded.set(id, entry);
    }
    return entry;
  }

  /** Parses `source` as language `id`; the tree is freed before this returns. */
  async parse(id: string, source: string): Promise<Extracted> {
    // Flow-typed JavaScript is one long syntax error to the JavaScript grammar (3 times slower,
    // names lost); TSX reads its annotations, JSX included.
    if (id === 'javascript' && FLOW_PRAGMA.test(source.slice(0, FLOW_HEAD))) id = 'tsx';
    const { language, query } = await this.load(id);
    const parser = await this.getParser();
    parser.setLanguage(language);
    const tree = parser.parse(source);
    if (!tree) throw new CodeidxError('INTERNAL', `tree-sitter returned no tree for ${id}`);
    try {
      return extract(tree, query, RULES[id]!, id);
    } finally {
      tree.delete();
    }
  }

  /** Frees the parser and the compiled queries. */
  dispose(): void {
    this.parser?.delete();
    this.parser = undefined;
    for (const entry of this.loaded.values())
      void entry.then(
        (l) => l.query.delete(),
        () => {},
      );
    this.loaded.clear();
  }

  private async getParser(): Promise<Parser> {
    if (!this.parser) {
      await initRuntime(this.assets.runtime);
      this.parser = new Parser();
    }
    return this.parser;
  }

  private async loadNow(spec: LanguageSpec): Promise<Loaded> {
    await initRuntime(this.assets.runtime);
    const path = this.assets.grammar(spec);
    let language: Language;
    try {
      const module = this.grammar(spec.id) ?? compileGrammar(this.assets, spec);
      language = await loadCompiled(module);
    } catch (err) {
      throw new CodeidxError(
        'INTERNAL',
        `The ${spec.id} grammar (${path}) did not load: ${String(err)}`,
        {
          hint: 'The grammar was built for another tree-sitter runtime; reinstall codeidx.',
          cause: err,
        },
      );
    }
    const source = readFileSync(this.assets.query(spec), 'utf8');
    try {
      const query = new Query(language, source);
      // A disabled pattern costs nothing while matching. Query files are ASCII: offsets are indexes.
      if (!this.locals) {
        for (let i = 0; i < query.patternCount(); i++) {
          const text = source.slice(query.startIndexForPattern(i), query.endIndexForPattern(i));
          if (text.includes('@local.')) query.disablePattern(i);
        }
      }
      return { language, query };
    } catch (err) {
      throw new CodeidxError('INTERNAL', `The ${spec.id} query file is invalid: ${String(err)}`, {
        hint: `Fix src/indexer/queries/${spec.id}.scm.`,
        cause: err,
      });
    }
  }
}

type LoadModule = (binary: unknown, ...rest: unknown[]) => unknown;

/**
 * The options given to the Emscripten module: it becomes the module object, and so holds the heap
 * and web-tree-sitter's loader, which Language.load calls.
 */
const moduleOptions: {
  locateFile: () => string;
  HEAP8?: Int8Array;
  loadWebAssemblyModule?: LoadModule;
} = { locateFile: () => '' };

/** Compiled grammars, by the stand-in bytes handed to Language.load in their place. */
const compiled = new WeakMap<Uint8Array, object>();

function initRuntime(runtime: string): Promise<void> {
  moduleOptions.locateFile = () => runtime;
  runtimeReady ??= Parser.init(moduleOptions).then(() => {
    // Language.load takes only bytes or a path, while web-tree-sitter's loader also takes a
    // compiled WebAssembly.Module (and then only instantiates it): swap the module in.
    const load = moduleOptions.loadWebAssemblyModule;
    if (!load) throw new Error('web-tree-sitter has no loadWebAssemblyModule');
    moduleOptions.loadWebAssemblyModule = (binary, ...rest) =>
      load(compiled.get(binary as Uint8Array) ?? binary, ...rest);
  });
  return runtimeReady;
}

/** A Language from a compiled grammar module. */
function loadCompiled(module: object): Promise<Language> {
  const standIn = new Uint8Array(0);
  compiled.set(standIn, module);
  return Language.load(standIn);
}

/**
 * Bytes of this thread's tree-sitter WASM heap (0 before the first parse). It grows to fit the
 * largest tree parsed and never shrinks: the pool replaces a worker whose heap grew too large.
 */
export function wasmHeapBytes(): number {
  return moduleOptions.HEAP8?.buffer.byteLength ?? 0;
}
