import * as vscode from 'vscode';
import { guarded, pickFolder, type CommandHandler } from './shared.ts';
import { formatCount } from '../../storage/text.ts';

/** CodeIdx: Rebuild Full-Text Index — under a cancellable progress notification. */
export const rebuildFts: CommandHandler = async (host, o) => {
  const db = await pickFolder(host, o);
  if (!db) return undefined;
  return guarded(db, 'Rebuild of the full-text index', async () => {
    const client = db.need();
    const result = await db.withProgress(
      'Rebuilding the full-text index',
      (c) => client.rebuildFts({}, c),
      o,
    );
    void vscode.window.showInformationMessage(
      `CodeIdx (${db.name}): rebuilt the full-text index: ${formatCount(result.rows)} files in ${Math.round(result.ms)} ms.`,
    );
    return result;
  });
};
