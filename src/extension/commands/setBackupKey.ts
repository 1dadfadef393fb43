import * as vscode from 'vscode';
import type { CommandHandler } from './shared.ts';

/**
 * CodeIdx: Set Backup Encryption Key — `o.key` or a password box; '' removes the key. The
 * databases reopen so that their workers use the new key. Resolves with whether a key is set.
 */
export const setBackupKey: CommandHandler = async (host, o) => {
  let key = o.key;
  if (key === undefined) {
    key = await vscode.window.showInputBox({
      title: 'CodeIdx: Backup Encryption Key',
      prompt:
        'Backups are encrypted with AES-256-GCM using this passphrase. It is kept in VS Code\u2019s secret storage, never in settings. Keep a copy: an encrypted backup cannot be restored without it. Leave empty to remove the key.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v && v.length < 8 ? 'Use at least 8 characters.' : undefined),
    });
    if (key === undefined) return undefined;
  }
  await host.storeBackupKey(key || undefined);
  host.logger.info(
    key
      ? 'Backup encryption key set; new backups are encrypted.'
      : 'Backup encryption key removed.',
  );
  void vscode.window.showInformationMessage(
    key
      ? 'CodeIdx: backups are encrypted from now on. Keep a copy of the key: restoring an encrypted backup needs it.'
      : 'CodeIdx: backup encryption key removed; new backups are not encrypted.',
  );
  await host.reopen();
  return Boolean(key);
};
