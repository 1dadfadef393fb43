import * as vscode from 'vscode';
import { settingsFrom, type FolderSettings } from './logic/settings.ts';

/** A folder's settings, read from its configuration (logic/settings.ts turns them into values). */
export function folderSettings(folder: vscode.WorkspaceFolder): FolderSettings {
  const c = vscode.workspace.getConfiguration('codeidx', folder.uri);
  return settingsFrom(folder.uri.fsPath, (key, fallback) => c.get(key, fallback));
}

/** Seconds between background health checks; 0 turns them off. */
export function refreshIntervalSeconds(): number {
  return Math.max(
    0,
    vscode.workspace.getConfiguration('codeidx').get<number>('health.refreshIntervalSeconds', 300),
  );
}
