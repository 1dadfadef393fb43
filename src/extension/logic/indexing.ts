/**
 * The background indexer's decisions that need no editor: which symbols Go to Symbol leaves to a
 * language server, what the status item and its tooltip say, and the settings' defaults.
 * No `vscode` import here, so mocha tests it directly.
 */
import type { IndexSummary } from '../../indexer/index.ts';
import { languageOf } from '../../indexer/languages.ts';

/** `codeidx.symbols.provider`. */
export type SymbolProviderMode = 'auto' | 'always' | 'off';

/**
 * The extensions whose language servers answer Go to Symbol in Workspace, per indexed language
 * (ids as in src/indexer/languages.ts). VS Code shows every provider's results side by side, so
 * in `auto` CodeIdx stays silent for a language when one of these is installed and enabled.
 * `vscode.typescript-language-features` ships with VS Code: in `auto`, TypeScript and JavaScript
 * symbols come from tsserver unless that built-in extension is disabled.
 */
export const LANGUAGE_SERVERS: Readonly<Record<string, readonly string[]>> = {
  typescript: ['vscode.typescript-language-features'],
  tsx: ['vscode.typescript-language-features'],
  javascript: ['vscode.typescript-language-features'],
  python: ['ms-python.vscode-pylance', 'detachhead.basedpyright', 'ms-python.pyright'],
  go: ['golang.go'],
  rust: ['rust-lang.rust-analyzer'],
  java: ['redhat.java'],
  c: ['ms-vscode.cpptools', 'llvm-vs-code-extensions.vscode-clangd'],
  cpp: ['ms-vscode.cpptools', 'llvm-vs-code-extensions.vscode-clangd'],
  csharp: ['ms-dotnettools.csharp'],
  ruby: ['shopify.ruby-lsp'],
  php: ['bmewburn.vscode-intelephense-client', 'devsense.phptools-vscode'],
};

/**
 * The indexed languages whose symbols CodeIdx leaves out of Go to Symbol: none with `always`,
 * all with `off`, and with `auto` those whose language server extension `installed` reports.
 */
export function languagesLeftToServers(
  mode: SymbolProviderMode,
  installed: (extensionId: string) => boolean,
): Set<string> {
  if (mode === 'always') return new Set();
  if (mode === 'off') return new Set(Object.keys(LANGUAGE_SERVERS));
  return new Set(
    Object.entries(LANGUAGE_SERVERS)
      .filter(([, ids]) => ids.some(installed))
      .map(([language]) => language),
  );
}

/** Whether a match in `path` is CodeIdx's to show, given the languages left to servers. */
export function answersFor(path: string, leftToServers: ReadonlySet<string>): boolean {
  const language = languageOf(path);
  return !language || !leftToServers.has(language.id);
}

/** Why a run happened: the folder opened, files changed, a save, a branch switch (.git/HEAD), … */
export type IndexReason =
  'open' | 'files' | 'save' | 'branch' | 'settings' | 'resume' | 'reindex' | 'schema';

/** What one folder's background indexer is doing, for the status item and the API. */
export interface IndexSnapshot {
  enabled: boolean;
  paused: boolean;
  running: boolean;
  /** A change arrived that no run has covered yet (while paused, or during a run). */
  pending: boolean;
  done: number;
  total: number;
  /** Completed runs since the folder opened. */
  runs: number;
  /** What asked for the last completed run. */
  reasons: IndexReason[];
  last?: IndexSummary;
  /** Why the last run did not complete (or why indexing waits). */
  problem?: string;
}

/** `1,234`: counts as the status item shows them, the same in every locale. */
export function count(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** The status item's text after "CodeIdx": `indexing 1,234/10,000`, `indexing paused`, or nothing. */
export function indexStatusText(s: IndexSnapshot): string | undefined {
  if (!s.enabled) return undefined;
  if (s.paused) return 'indexing paused';
  if (!s.running) return undefined;
  return s.total > 0 ? `indexing ${count(s.done)}/${count(s.total)}` : 'indexing…';
}

const WHY: Record<string, (maxKiB: number) => string> = {
  ignored: () => 'ignored (.gitignore, .git/info/exclude, default folders, codeidx.index.exclude)',
  unsupported: () => 'not in a language CodeIdx parses',
  'too-large': (kib) => `larger than ${count(kib)} KiB (codeidx.index.maxFileSizeKiB)`,
  symlink: () => 'symbolic links (never followed)',
  binary: () => 'binary',
  unreadable: () => 'unreadable',
  'parse-error': () => 'failed to parse',
};

/** The tooltip's index section as Markdown lines: counts, then each skip reason with why. */
export function indexTooltipLines(s: IndexSnapshot, maxKiB: number): string[] {
  if (!s.enabled) return ['- Index: off (codeidx.index.enabled)'];
  const lines: string[] = [];
  const state = s.paused
    ? 'paused (CodeIdx: Resume Indexing)'
    : s.running
      ? s.total > 0
        ? `indexing ${count(s.done)}/${count(s.total)}`
        : 'indexing…'
      : 'up to date';
  lines.push(`- Index: ${state}`);
  if (s.problem) lines.push(`- Index problem: ${s.problem}`);
  if (s.last) {
    const l = s.last;
    lines.push(
      `- Indexed: ${count(l.files)} files, ${count(l.definitions)} definitions, ${count(l.imports)} imports (last run: ${count(l.parsed)} parsed, ${count(l.removed)} removed, ${count(l.ms)} ms)`,
    );
    const skipped = Object.entries(l.skipped).filter(([, n]) => n > 0);
    if (skipped.length) {
      lines.push('- Skipped:');
      for (const [reason, n] of skipped)
        lines.push(`  - ${count(n)} ${(WHY[reason] ?? (() => reason))(maxKiB)}`);
    }
  }
  return lines;
}
