/**
 * CodeIdx: Search Index…: a quick pick with live results over definitions (the symbol search)
 * and files (the full-text search, as `codeidx search`), asked of every open folder's read pool
 * as the user types (debounced; a newer keystroke cancels the older request). Picking one opens
 * the file at the definition's line, or at the first line that holds a searched word.
 */
import * as vscode from 'vscode';
import type { SearchResult } from '../storage/types.ts';
import type { FolderDatabase } from './folder.ts';
import { matchUri, searchAllFolders, symbolKind } from './symbolProvider.ts';

const DEBOUNCE_MS = 120;
const LIMIT = 30;

/** One result of the Search Index pick. */
export interface SearchItem extends vscode.QuickPickItem {
  uri: vscode.Uri;
  /** 1-based; undefined for a file found by full-text search. */
  line?: number;
  column?: number;
  result: 'definition' | 'file';
}

const ICON: Record<string, string> = {
  [vscode.SymbolKind.Class]: 'symbol-class',
  [vscode.SymbolKind.Function]: 'symbol-function',
  [vscode.SymbolKind.Method]: 'symbol-method',
  [vscode.SymbolKind.Interface]: 'symbol-interface',
  [vscode.SymbolKind.Enum]: 'symbol-enum',
  [vscode.SymbolKind.Constant]: 'symbol-constant',
  [vscode.SymbolKind.Property]: 'symbol-property',
  [vscode.SymbolKind.Module]: 'symbol-module',
};

/** Definitions, then files, for `text` across every folder. */
export async function searchIndexItems(
  dbs: readonly FolderDatabase[],
  text: string,
  signal?: AbortSignal,
): Promise<SearchItem[]> {
  const query = text.trim();
  if (!query) return [];
  const multi = dbs.length > 1;
  const [symbols, files] = await Promise.all([
    searchAllFolders(dbs, query, LIMIT, signal),
    Promise.all(
      dbs.map(async (db) => {
        const client = db.client;
        if (!client || client.closed) return [];
        const found: SearchResult[] = await client
          .search({ text: query, limit: LIMIT }, { signal })
          .catch(() => []);
        return found.map((r) => ({ db, r }));
      }),
    ),
  ]);
  const where = (db: FolderDatabase, path: string): string => (multi ? `${db.name}/${path}` : path);
  const definitions: SearchItem[] = symbols.slice(0, LIMIT).map((m) => ({
    label: `$(${ICON[symbolKind(m.match.kind)] ?? 'symbol-variable'}) ${m.match.name}`,
    description: `${where(m.db, m.match.path)}:${m.match.line}`,
    detail: m.match.signature ?? undefined,
    uri: matchUri(m),
    line: m.match.line,
    column: m.match.column,
    result: 'definition',
  }));
  const fileItems: SearchItem[] = files
    .flat()
    .sort((a, b) => b.r.score - a.r.score)
    .slice(0, LIMIT)
    .map(({ db, r }) => ({
      label: `$(file) ${r.path}`,
      description: multi ? db.name : r.language,
      detail: r.snippet.replace(/\s+/g, ' ').trim(),
      uri: vscode.Uri.joinPath(db.folder.uri, ...r.path.split('/')),
      result: 'file',
    }));
  return [...definitions, ...fileItems];
}

/** Opens a result: at the definition, or at the first line of the file holding a searched word. */
export async function openItem(item: SearchItem, query: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(item.uri);
  let position = new vscode.Position(0, 0);
  if (item.line !== undefined) {
    position = new vscode.Position(Math.max(0, item.line - 1), Math.max(0, item.column ?? 0));
  } else {
    const words = query
      .toLowerCase()
      .split(/[^\p{L}\p{N}_$]+/u)
      .filter(Boolean);
    for (let i = 0; i < doc.lineCount && words.length; i++) {
      const text = doc.lineAt(i).text.toLowerCase();
      const at = text.indexOf(words[0]!);
      if (at >= 0) {
        position = new vscode.Position(i, at);
        break;
      }
    }
  }
  return vscode.window.showTextDocument(doc, {
    selection: new vscode.Range(position, position),
    preview: true,
  });
}

/** Shows the pick; resolves with the opened editor, or undefined when dismissed. */
export function showSearchIndex(
  dbs: () => readonly FolderDatabase[],
  initial = '',
): Promise<vscode.TextEditor | undefined> {
  const pick = vscode.window.createQuickPick<SearchItem>();
  pick.title = 'CodeIdx: Search Index';
  pick.placeholder = 'Type a name or words: definitions first, then files';
  pick.matchOnDescription = true;
  // Results are already ranked by the index; the quick pick must not filter them again.
  (pick as { sortByLabel?: boolean }).sortByLabel = false;
  pick.value = initial;
  let timer: NodeJS.Timeout | undefined;
  let controller: AbortController | undefined;
  const update = (value: string): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      controller?.abort();
      const mine = (controller = new AbortController());
      pick.busy = true;
      void searchIndexItems(dbs(), value, mine.signal).then((items) => {
        if (mine.signal.aborted) return;
        // Each item matches by the index's rules, not the pick's own fuzzy filter.
        pick.items = items.map((i) => ({ ...i, alwaysShow: true }));
        pick.busy = false;
      });
    }, DEBOUNCE_MS);
  };
  return new Promise((resolve) => {
    pick.onDidChangeValue(update);
    let accepted = false;
    pick.onDidAccept(() => {
      const item = pick.selectedItems[0];
      accepted = item !== undefined;
      const query = pick.value;
      pick.hide();
      if (item) void openItem(item, query).then(resolve, () => resolve(undefined));
      else resolve(undefined);
    });
    pick.onDidHide(() => {
      clearTimeout(timer);
      controller?.abort();
      pick.dispose();
      if (!accepted) resolve(undefined);
    });
    pick.show();
    if (initial) update(initial);
  });
}
