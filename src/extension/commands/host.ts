import type * as vscode from 'vscode';
import type { Logger } from '../../storage/log.ts';
import type { FolderDatabase } from '../folder.ts';

/**
 * What the commands need from the extension around them. extension.ts implements it; commands
 * import only this, so they never import extension.ts (no cycle) and a test host can stand in.
 * Widen it when a new command needs more (keep each member small).
 */
export interface CommandHost {
  /** Whether the workspace is trusted (restricted mode opens nothing). */
  readonly trusted: boolean;
  readonly logger: Logger;
  /** A folder's database, if the workspace has that folder open. */
  get(folder: vscode.Uri): FolderDatabase | undefined;
  /** Shows `markdown` as the read-only report document `name`. */
  showReport(name: string, markdown: string): Promise<unknown>;
  /** Reveals the CodeIdx log (Output view). */
  showLog(): void;
  /** Stores the backup passphrase in SecretStorage; `undefined` removes it. */
  storeBackupKey(key: string | undefined): Promise<void>;
  /** Closes and reopens a folder's database (all folders without an argument). */
  reopen(folder?: vscode.Uri): Promise<void>;
}
