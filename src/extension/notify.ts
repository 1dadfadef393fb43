import * as vscode from 'vscode';
import type { CodeidxError } from '../storage/errors.ts';

/** What a failure notification needs of a folder's database (FolderDatabase has it). */
export interface FailureSubject {
  readonly name: string;
  readonly folder: { readonly uri: vscode.Uri };
  readonly client?: { readonly closed: boolean } | undefined;
}

/**
 * A failure as one notification: the one-line reason and the buttons that do the likely fix.
 * Resolves with the button chosen (tests and callers may ignore it).
 */
export async function showFailure(
  db: FailureSubject,
  error: CodeidxError,
): Promise<string | undefined> {
  const text = `CodeIdx (${db.name}): ${error.message}${error.hint ? ` ${error.hint}` : ''}`;
  const folder = db.folder.uri;
  if (error.code === 'DATABASE_NEWER') {
    const pick = await vscode.window.showWarningMessage(text, 'Show Extension', 'Show Log');
    if (pick === 'Show Extension')
      await vscode.commands.executeCommand('workbench.extensions.search', '@installed codeidx');
    if (pick === 'Show Log') await vscode.commands.executeCommand('codeidx.showLog');
    return pick;
  }
  if (error.code === 'NATIVE_MODULE') {
    const pick = await vscode.window.showErrorMessage(text, 'Show Log');
    if (pick) await vscode.commands.executeCommand('codeidx.showLog');
    return pick;
  }
  if (error.code === 'CANCELLED') {
    return vscode.window.showInformationMessage(text);
  }
  const actions = ['Show Log', 'Open Health Report'];
  if (db.client && !db.client.closed) actions.splice(1, 0, 'Restore Backup');
  // The core's structured fix comes first: its button runs the command that does it.
  const fix = error.fix?.command ? error.fix : undefined;
  if (fix) actions.unshift(fix.title);
  const pick = await vscode.window.showErrorMessage(text, ...actions);
  if (fix && pick === fix.title) await vscode.commands.executeCommand(fix.command!, { folder });
  if (pick === 'Show Log') await vscode.commands.executeCommand('codeidx.showLog');
  if (pick === 'Restore Backup')
    await vscode.commands.executeCommand('codeidx.restore', { folder });
  if (pick === 'Open Health Report')
    await vscode.commands.executeCommand('codeidx.checkHealth', { folder });
  return pick;
}
