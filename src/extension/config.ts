import { isAbsolute, join, resolve } from 'node:path';
import * as vscode from 'vscode';

/** The settings of one folder, read fresh each time (changes apply without a reload). */
export interface FolderSettings {
  databasePath: string;
  autoMigrate: boolean;
  backupBeforeMigration: boolean;
  backupKeep: number;
  backupDirectory: string | undefined;
  offerGitignore: boolean;
}

export const DEFAULT_DATABASE_PATH = '.vscode/codeidx.db';

export function folderSettings(folder: vscode.WorkspaceFolder): FolderSettings {
  const c = vscode.workspace.getConfiguration('codeidx', folder.uri);
  const root = folder.uri.fsPath;
  const inFolder = (p: string): string => (isAbsolute(p) ? p : resolve(root, p));
  const dir = c.get<string>('backup.directory', '').trim();
  return {
    databasePath: inFolder(
      c.get<string>('databasePath', DEFAULT_DATABASE_PATH) || DEFAULT_DATABASE_PATH,
    ),
    autoMigrate: c.get<boolean>('autoMigrate', true),
    backupBeforeMigration: c.get<boolean>('backup.beforeMigration', true),
    backupKeep: Math.max(1, Math.floor(c.get<number>('backup.keep', 5))),
    backupDirectory: dir ? inFolder(dir) : undefined,
    offerGitignore: c.get<boolean>('offerGitignore', true),
  };
}

/** Seconds between background health checks; 0 turns them off. */
export function refreshIntervalSeconds(): number {
  return Math.max(
    0,
    vscode.workspace.getConfiguration('codeidx').get<number>('health.refreshIntervalSeconds', 300),
  );
}

/** Settings whose change reopens a folder's database. */
export const REOPEN_SETTINGS = [
  'codeidx.databasePath',
  'codeidx.backup.beforeMigration',
  'codeidx.backup.keep',
  'codeidx.backup.directory',
];

export function backupDirOf(settings: FolderSettings): string {
  return settings.backupDirectory ?? join(settings.databasePath, '..', 'codeidx-backups');
}
