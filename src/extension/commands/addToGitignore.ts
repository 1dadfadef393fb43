import * as vscode from 'vscode';
import { addToGitignore as appendToGitignore } from '../gitignore.ts';
import { pickFolder, type CommandHandler } from './shared.ts';

/** CodeIdx: Add Database to .gitignore — resolves with the lines added. */
export const addToGitignore: CommandHandler = async (host, o) => {
  const db = await pickFolder(host, o);
  if (!db) return undefined;
  const added = appendToGitignore(db, host.logger);
  void vscode.window.showInformationMessage(
    added.length
      ? `CodeIdx (${db.name}): added ${added.join(', ')} to .gitignore.`
      : `CodeIdx (${db.name}): .gitignore already lists the database files.`,
  );
  return added;
};
