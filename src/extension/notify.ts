import * as vscode from 'vscode';
import type { CodeidxError } from '../storage/errors.ts';
import { failureNotice, type Notice } from './logic/notices.ts';

/** What a failure notification needs of a folder's database (FolderDatabase has it). */
export interface FailureSubject {
  readonly name: string;
  readonly folder: { readonly uri: vscode.Uri };
  readonly client?: { readonly closed: boolean } | undefined;
}

/**
 * Shows a notice and runs the command of the button chosen. Resolves with the button's title
 * (tests and callers may ignore it).
 */
export async function showNotice(notice: Notice): Promise<string | undefined> {
  const show =
    notice.severity === 'error'
      ? vscode.window.showErrorMessage
      : notice.severity === 'warning'
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
  const pick = await show(notice.text, ...notice.actions.map((a) => a.title));
  for (const action of notice.actions)
    if (action.title === pick) await vscode.commands.executeCommand(action.command, ...action.args);
  return pick;
}

/**
 * A failure as one notification: the one-line reason and the buttons that do the likely fix.
 * Resolves with the button chosen (tests and callers may ignore it).
 */
export function showFailure(db: FailureSubject, error: CodeidxError): Promise<string | undefined> {
  const open = Boolean(db.client && !db.client.closed);
  return showNotice(failureNotice(db.name, error, db.folder.uri, open));
}
