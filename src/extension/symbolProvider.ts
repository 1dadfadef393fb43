/**
 * Go to Symbol in Workspace (Ctrl+T, `#` in Quick Open) from the index: each folder's read pool
 * answers `symbols` (fuzzy and camel-hump matching happen in the core), results are merged by
 * score; VS Code shows each one's file. A cancelled request answers nothing.
 */
import * as vscode from 'vscode';
import type { DefinitionType, SymbolMatch } from '../storage/types.ts';
import type { FolderDatabase } from './folder.ts';
import { answersFor, languagesLeftToServers, type SymbolProviderMode } from './logic/indexing.ts';

/** Results asked of each folder; VS Code shows a few dozen at most. */
const PER_FOLDER = 100;

const KIND: Record<DefinitionType, vscode.SymbolKind> = {
  class: vscode.SymbolKind.Class,
  function: vscode.SymbolKind.Function,
  method: vscode.SymbolKind.Method,
  interface: vscode.SymbolKind.Interface,
  component: vscode.SymbolKind.Function,
  variable: vscode.SymbolKind.Variable,
  type: vscode.SymbolKind.Interface,
  enum: vscode.SymbolKind.Enum,
  constant: vscode.SymbolKind.Constant,
  property: vscode.SymbolKind.Property,
  module: vscode.SymbolKind.Module,
};

export function symbolKind(kind: DefinitionType): vscode.SymbolKind {
  // The schema's CHECK admits only these kinds, and KIND names every one.
  return KIND[kind];
}

export function symbolProviderMode(): SymbolProviderMode {
  const mode = vscode.workspace.getConfiguration('codeidx.symbols').get<string>('provider', 'auto');
  return mode === 'always' || mode === 'off' ? mode : 'auto';
}

/** One match with its folder, so it can be turned into a location. */
export interface FolderMatch {
  db: FolderDatabase;
  match: SymbolMatch;
}

/**
 * Asks every open folder's index for `text` and merges the answers best first. Folders that
 * fail (closed, migrating, an old schema) answer nothing rather than failing the whole search.
 */
export async function searchAllFolders(
  dbs: readonly FolderDatabase[],
  text: string,
  limit: number,
  signal?: AbortSignal,
): Promise<FolderMatch[]> {
  const answers = await Promise.all(
    dbs.map(async (db) => {
      const client = db.client;
      if (!client || client.closed) return [];
      try {
        const found = await client.symbols({ text, limit }, { signal });
        return found.map((match) => ({ db, match }));
      } catch {
        return [];
      }
    }),
  );
  return answers
    .flat()
    .sort(
      (a, b) =>
        b.match.score - a.match.score ||
        a.match.path.localeCompare(b.match.path) ||
        a.match.line - b.match.line,
    );
}

/** The file a match is in, as a URI. */
export function matchUri(m: FolderMatch): vscode.Uri {
  return vscode.Uri.joinPath(m.db.folder.uri, ...m.match.path.split('/'));
}

export class IndexSymbolProvider implements vscode.WorkspaceSymbolProvider {
  private readonly folders: () => readonly FolderDatabase[];

  constructor(folders: () => readonly FolderDatabase[]) {
    this.folders = folders;
  }

  async provideWorkspaceSymbols(
    query: string,
    token: vscode.CancellationToken,
  ): Promise<vscode.SymbolInformation[]> {
    const mode = symbolProviderMode();
    const text = query.trim();
    if (mode === 'off' || !text || token.isCancellationRequested) return [];
    const left = languagesLeftToServers(
      mode,
      (id) => vscode.extensions.getExtension(id) !== undefined,
    );
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort());
    try {
      const found = await searchAllFolders(this.folders(), text, PER_FOLDER, controller.signal);
      // The signal, not the token: the compiler would keep the token's `false` from above.
      if (controller.signal.aborted) return [];
      return found
        .filter((m) => answersFor(m.match.path, left))
        .map(
          (m) =>
            new vscode.SymbolInformation(
              m.match.name,
              symbolKind(m.match.kind),
              // No container: VS Code shows the file's path itself (a path here read
              // "a.py • a.py") and matches the query's later words against that path.
              '',
              new vscode.Location(
                matchUri(m),
                new vscode.Position(Math.max(0, m.match.line - 1), Math.max(0, m.match.column)),
              ),
            ),
        );
    } finally {
      sub.dispose();
    }
  }
}
