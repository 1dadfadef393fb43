/**
 * The indexing commands (Pause Indexing, Resume Indexing, Reindex Folder, Search Index…) and the
 * workspace symbol provider. Like the other commands, each takes an optional options object so
 * tests and other extensions can run it without dialogs.
 */
import * as vscode from 'vscode';
import type { FolderDatabase } from './folder.ts';
import type { FolderIndexer } from './indexing.ts';
import type { IndexSnapshot } from './logic/indexing.ts';
import { searchIndexItems, showSearchIndex, type SearchItem } from './searchPick.ts';
import { IndexSymbolProvider } from './symbolProvider.ts';

/** What the indexing commands need of the extension (Codeidx implements it). */
export interface IndexCommandHost {
  all(): FolderDatabase[];
  get(folder: vscode.Uri): FolderDatabase | undefined;
  indexer(db: FolderDatabase): FolderIndexer | undefined;
}

export interface IndexCommandOptions {
  /** The workspace folder (a Uri or its path); Pause/Resume without one apply to every folder. */
  folder?: vscode.Uri | string;
  /** Search Index: answer with the results for this text instead of showing the pick. */
  query?: string;
}

function options(arg: unknown): IndexCommandOptions {
  if (arg instanceof vscode.Uri) return { folder: arg };
  return arg && typeof arg === 'object' ? arg : {};
}

function given(ext: IndexCommandHost, o: IndexCommandOptions): FolderDatabase[] {
  if (!o.folder) return ext.all();
  const uri = typeof o.folder === 'string' ? vscode.Uri.file(o.folder) : o.folder;
  const db = ext.get(uri);
  return db ? [db] : [];
}

/** The folder Reindex Folder works on: given, the only one, or picked. */
async function oneFolder(
  ext: IndexCommandHost,
  o: IndexCommandOptions,
): Promise<FolderDatabase | undefined> {
  if (o.folder) return given(ext, o)[0];
  const all = ext.all();
  if (all.length <= 1) return all[0];
  const picked = await vscode.window.showWorkspaceFolderPick({
    placeHolder: 'Reindex which folder?',
  });
  return picked ? ext.get(picked.uri) : undefined;
}

const NOTHING_OPEN =
  'CodeIdx has no open folder to index: open a trusted folder (File > Open Folder) first.';

export function registerIndexCommands(ext: IndexCommandHost): vscode.Disposable[] {
  return [
    vscode.languages.registerWorkspaceSymbolProvider(new IndexSymbolProvider(() => ext.all())),
    vscode.commands.registerCommand('codeidx.pauseIndexing', (arg?: unknown) => {
      const dbs = given(ext, options(arg));
      for (const db of dbs) ext.indexer(db)?.pause();
      if (dbs.length) vscode.window.setStatusBarMessage('CodeIdx: indexing paused', 3000);
      return dbs.map((db) => ext.indexer(db)?.snapshot);
    }),
    vscode.commands.registerCommand('codeidx.resumeIndexing', (arg?: unknown) => {
      const dbs = given(ext, options(arg));
      for (const db of dbs) ext.indexer(db)?.resume();
      return dbs.map((db) => ext.indexer(db)?.snapshot);
    }),
    vscode.commands.registerCommand(
      'codeidx.reindexFolder',
      async (arg?: unknown): Promise<IndexSnapshot | undefined> => {
        const db = await oneFolder(ext, options(arg));
        const indexer = db && ext.indexer(db);
        if (!db || !indexer) {
          void vscode.window.showInformationMessage(NOTHING_OPEN);
          return undefined;
        }
        if (indexer.snapshot.paused) {
          void vscode.window.showInformationMessage(
            `CodeIdx (${db.name}): indexing is paused; run "CodeIdx: Resume Indexing" first.`,
          );
          return indexer.snapshot;
        }
        const snapshot = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: `CodeIdx: reindexing ${db.name}` },
          () => indexer.reindex(),
        );
        if (snapshot.problem) {
          void vscode.window.showWarningMessage(
            `CodeIdx (${db.name}): reindexing failed: ${snapshot.problem}`,
          );
        } else if (snapshot.last) {
          vscode.window.setStatusBarMessage(
            `CodeIdx: ${db.name} reindexed (${snapshot.last.files} files, ${snapshot.last.definitions} definitions)`,
            5000,
          );
        }
        return snapshot;
      },
    ),
    vscode.commands.registerCommand(
      'codeidx.searchIndex',
      async (arg?: unknown): Promise<SearchItem[] | vscode.TextEditor | undefined> => {
        const o = options(arg);
        if (ext.all().length === 0) {
          void vscode.window.showInformationMessage(NOTHING_OPEN);
          return undefined;
        }
        if (o.query !== undefined) return searchIndexItems(ext.all(), o.query);
        return showSearchIndex(() => ext.all());
      },
    ),
  ];
}
