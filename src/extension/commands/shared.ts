/**
 * What every command shares: its options object, the folder it works on, the modal confirmation
 * and the guarded run that turns a failure into the failure notification.
 */
import * as vscode from 'vscode';
import { toCodeidxError } from '../../storage/errors.ts';
import type { FolderDatabase } from '../folder.ts';
import type { CommandHost } from './host.ts';

/**
 * Every command takes one optional options object so that the status item, notifications, tests
 * and other extensions can run it without dialogs; whatever is missing is asked for.
 */
export interface CommandOptions {
  /** The workspace folder (a Uri or its path); asked for in a multi-root workspace. */
  folder?: vscode.Uri | string;
  /** Rollback / migrate: the version to end at. */
  target?: number;
  /** true answers the modal confirmation; false declines it. */
  confirm?: boolean;
  /** Restore: the backup file. */
  file?: string;
  /** Set Backup Encryption Key: the passphrase ('' removes it). */
  key?: string;
  /** Repair: accept changed checksums of applied migrations instead of rebuilding. */
  acceptChecksums?: boolean;
  /** Aborting cancels the run, as the notification's Cancel button does. */
  signal?: AbortSignal;
}

/** A command's body: the host and the options it was run with; its result goes to the caller. */
export type CommandHandler = (host: CommandHost, o: CommandOptions) => unknown;

/** The options from a command's argument: a Uri (explorer context, status item) is the folder. */
export function commandOptions(arg: unknown): CommandOptions {
  if (arg instanceof vscode.Uri) return { folder: arg };
  // Any other object is taken as the options (tests and other extensions pass them so).
  return arg && typeof arg === 'object' ? arg : {};
}

const NEED_FOLDER =
  'CodeIdx keeps one database per folder: open a folder (File > Open Folder) or add one to the workspace first.';

/** The folder a command works on: given, the only one, or picked. Undefined after explaining why not. */
export async function pickFolder(
  host: CommandHost,
  o: CommandOptions,
): Promise<FolderDatabase | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void vscode.window.showInformationMessage(NEED_FOLDER);
    return undefined;
  }
  if (!host.trusted) {
    void vscode.window
      .showWarningMessage(
        'CodeIdx is off in restricted mode: trust this workspace to let it open its database.',
        'Manage Workspace Trust',
      )
      .then((pick) => pick && vscode.commands.executeCommand('workbench.trust.manage'));
    return undefined;
  }
  let folder: vscode.WorkspaceFolder | undefined;
  if (o.folder) {
    const uri = typeof o.folder === 'string' ? vscode.Uri.file(o.folder) : o.folder;
    folder = vscode.workspace.getWorkspaceFolder(uri);
  } else if (folders.length === 1) {
    folder = folders[0];
  } else {
    folder = await vscode.window.showWorkspaceFolderPick({
      placeHolder: 'Which folder\u2019s CodeIdx database?',
    });
  }
  if (!folder) return undefined;
  const db = host.get(folder.uri);
  if (!db) {
    void vscode.window.showWarningMessage(`CodeIdx has no database open for ${folder.name}.`);
    return undefined;
  }
  await db.start();
  return db;
}

/** The modal yes/no: `o.confirm` answers it without a dialog. */
export async function confirm(
  o: CommandOptions,
  message: string,
  detail: string,
  button: string,
): Promise<boolean> {
  if (o.confirm !== undefined) return o.confirm;
  const pick = await vscode.window.showWarningMessage(message, { modal: true, detail }, button);
  return pick === button;
}

/** Runs a command body; a failure becomes the failure notification, and the item refreshes. */
export async function guarded<T>(
  db: FolderDatabase,
  what: string,
  fn: () => T | Promise<T>,
): Promise<T | undefined> {
  try {
    const result = await fn();
    db.clearFailure();
    return result;
  } catch (err) {
    const error = toCodeidxError(err);
    if (error.code === 'CANCELLED') {
      void vscode.window.showInformationMessage(
        `CodeIdx (${db.name}): ${what} cancelled; nothing was changed.`,
      );
    } else {
      db.fail(error, what);
    }
    return undefined;
  } finally {
    await db.refresh();
  }
}
