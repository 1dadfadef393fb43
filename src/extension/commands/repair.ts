import * as vscode from 'vscode';
import { confirm, guarded, pickFolder, type CommandHandler } from './shared.ts';

/**
 * CodeIdx: Repair Database… — after a modal yes, the core rebuilds a damaged database (moving
 * the old file aside); `o.acceptChecksums` records changed checksums instead and asks nothing.
 */
export const repair: CommandHandler = async (host, o) => {
  const db = await pickFolder(host, o);
  if (!db) return undefined;
  return guarded(db, 'Repair', async () => {
    const ok =
      o.acceptChecksums ||
      (await confirm(
        o,
        `Repair ${db.name}'s CodeIdx database?`,
        'If the database is damaged or its schema was changed, it is moved aside (kept, not deleted) and a new one is created; the index then needs to be filled again.',
        'Repair',
      ));
    if (!ok) return undefined;
    const result = await db.need().repair({ acceptChecksums: o.acceptChecksums });
    void vscode.window.showInformationMessage(`CodeIdx (${db.name}): ${result.message}`);
    return result;
  });
};
