import * as vscode from 'vscode';
import { formatBytes } from '../logic/reports.ts';
import { guarded, pickFolder, type CommandHandler } from './shared.ts';

/** CodeIdx: Back Up Database — a verified copy; the notification offers Reveal and Copy Path. */
export const backup: CommandHandler = async (host, o) => {
  const db = await pickFolder(host, o);
  if (!db) return undefined;
  return guarded(db, 'Backup', async () => {
    const client = db.need();
    const result = await db.withProgress('Backing up', (c) => client.backup({}, c), o, false);
    void vscode.window
      .showInformationMessage(
        `CodeIdx (${db.name}): backed up to ${result.path} (${formatBytes(result.bytes)}, verified${result.encrypted ? ', encrypted' : ''}, ${Math.round(result.ms)} ms).`,
        'Reveal',
        'Copy Path',
      )
      .then(async (pick) => {
        if (pick === 'Reveal')
          await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(result.path));
        if (pick === 'Copy Path') await vscode.env.clipboard.writeText(result.path);
      });
    return result;
  });
};
