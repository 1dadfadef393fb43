/**
 * The languages the indexer parses: file extension → language, and per language the grammar
 * (`.wasm` from the official `tree-sitter-<language>` npm package) and its query file
 * (src/indexer/queries/<id>.scm). A file whose extension is not listed here is not indexed.
 */

export interface LanguageSpec {
  /** Stored in `files.language`; also the query file's name. */
  id: string;
  /** npm package that ships the grammar, and the `.wasm` file inside it. */
  grammarPackage: string;
  grammarFile: string;
  extensions: readonly string[];
  /** Query file name when it is not the id (TSX shares TypeScript's). */
  queryFile?: string;
}

export const LANGUAGES: readonly LanguageSpec[] = [
  {
    id: 'typescript',
    grammarPackage: 'tree-sitter-typescript',
    grammarFile: 'tree-sitter-typescript.wasm',
    extensions: ['.ts', '.mts', '.cts'],
  },
  {
    id: 'tsx',
    grammarPackage: 'tree-sitter-typescript',
    grammarFile: 'tree-sitter-tsx.wasm',
    extensions: ['.tsx'],
    queryFile: 'typescript',
  },
  {
    id: 'javascript',
    grammarPackage: 'tree-sitter-javascript',
    grammarFile: 'tree-sitter-javascript.wasm',
    // The JavaScript grammar parses JSX too.
    extensions: ['.js', '.jsx', '.mjs', '.cjs'],
  },
  {
    id: 'python',
    grammarPackage: 'tree-sitter-python',
    grammarFile: 'tree-sitter-python.wasm',
    extensions: ['.py', '.pyi'],
  },
  {
    id: 'go',
    grammarPackage: 'tree-sitter-go',
    grammarFile: 'tree-sitter-go.wasm',
    extensions: ['.go'],
  },
  {
    id: 'rust',
    grammarPackage: 'tree-sitter-rust',
    grammarFile: 'tree-sitter-rust.wasm',
    extensions: ['.rs'],
  },
  {
    id: 'java',
    grammarPackage: 'tree-sitter-java',
    grammarFile: 'tree-sitter-java.wasm',
    extensions: ['.java'],
  },
  {
    id: 'c',
    grammarPackage: 'tree-sitter-c',
    grammarFile: 'tree-sitter-c.wasm',
    extensions: ['.c'],
  },
  {
    id: 'cpp',
    grammarPackage: 'tree-sitter-cpp',
    grammarFile: 'tree-sitter-cpp.wasm',
    // `.h` is read as C++ (as universal-ctags does): C++ reads C headers well, while C reads a C++
    // header as one long syntax error, about 3 times slower to parse and with names lost.
    extensions: ['.h', '.cc', '.cpp', '.cxx', '.c++', '.hh', '.hpp', '.hxx', '.h++'],
  },
  {
    id: 'csharp',
    grammarPackage: 'tree-sitter-c-sharp',
    grammarFile: 'tree-sitter-c_sharp.wasm',
    extensions: ['.cs'],
  },
  {
    id: 'ruby',
    grammarPackage: 'tree-sitter-ruby',
    grammarFile: 'tree-sitter-ruby.wasm',
    extensions: ['.rb'],
  },
  {
    id: 'php',
    grammarPackage: 'tree-sitter-php',
    // php.wasm reads PHP mixed with HTML (php_only.wasm would not).
    grammarFile: 'tree-sitter-php.wasm',
    extensions: ['.php'],
  },
];

const byExtension = new Map<string, LanguageSpec>(
  LANGUAGES.flatMap((l) => l.extensions.map((e) => [e, l] as const)),
);
const byId = new Map<string, LanguageSpec>(LANGUAGES.map((l) => [l.id, l]));

/** The language of a path by its extension (case-insensitive), or undefined when not indexed. */
export function languageOf(path: string): LanguageSpec | undefined {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  if (dot <= slash + 1) return undefined; // no extension, or a dot file such as `.eslintrc`
  return byExtension.get(path.slice(dot).toLowerCase());
}

/** The language with this id; throws on an unknown id (a bug, not user input). */
export function languageById(id: string): LanguageSpec {
  const spec = byId.get(id);
  if (!spec) throw new Error(`Unknown language id "${id}"`);
  return spec;
}
