import { basename } from 'node:path';
import * as vscode from 'vscode';
import { backupDirOf } from '../logic/settings.ts';
import { confirm, guarded, pickFolder, type CommandHandler } from './shared.ts';

/** CodeIdx: Restore from Backup… — `o.file` or a picked file, after a modal yes. */
export const restore: CommandHandler = async (host, o) => {
  const db = await pickFolder(host, o);
  if (!db) return undefined;
  return guarded(db, 'Restore', async () => {
    let file = o.file;
    if (!file) {
      const picked = await vscode.window.showOpenDialog({
        title: `Restore ${db.name}'s CodeIdx database from…`,
        defaultUri: vscode.Uri.file(backupDirOf(db.settings)),
        canSelectMany: false,
        openLabel: 'Restore',
      });
      if (!picked?.[0]) return undefined;
      file = picked[0].fsPath;
    }
    const ok = await confirm(
      o,
      `Replace ${db.name}'s CodeIdx database with ${basename(file)}?`,
      'The backup is verified before anything is replaced. The current database is kept beside it, not deleted.',
      'Restore',
    );
    if (!ok) return undefined;
    const client = db.need();
    const from = file;
    const result = await db.withProgress(
      'Restoring',
      (c) => client.restore({ file: from }, c),
      o,
      false,
    );
    void vscode.window.showInformationMessage(
      `CodeIdx (${db.name}): restored from ${basename(result.restoredFrom)} (schema version ${result.schemaVersion}).${result.previous ? ` The previous database is kept at ${result.previous}.` : ''}`,
    );
    return result;
  });
};
