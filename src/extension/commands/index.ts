/**
 * The command registry: each Command Palette command (category "CodeIdx", declared in
 * package.json) and the handler in its own file. To add a command: write `commands/<name>.ts`
 * exporting a CommandHandler, add one line here, declare it under contributes.commands.
 */
import * as vscode from 'vscode';
import { addToGitignore } from './addToGitignore.ts';
import { backup } from './backup.ts';
import { checkHealth } from './checkHealth.ts';
import type { CommandHost } from './host.ts';
import { migrate } from './migrate.ts';
import { rebuildFts } from './rebuildFts.ts';
import { repair } from './repair.ts';
import { restore } from './restore.ts';
import { rollback } from './rollback.ts';
import { setBackupKey } from './setBackupKey.ts';
import { commandOptions, type CommandHandler } from './shared.ts';
import { showLog } from './showLog.ts';
import { showMigrationStatus } from './showMigrationStatus.ts';

export type { CommandHost } from './host.ts';
export type { CommandHandler, CommandOptions } from './shared.ts';

/** Command id → handler. */
export const COMMANDS: Readonly<Record<string, CommandHandler>> = {
  'codeidx.showLog': showLog,
  'codeidx.showMigrationStatus': showMigrationStatus,
  'codeidx.migrate': migrate,
  'codeidx.rollback': rollback,
  'codeidx.rebuildFts': rebuildFts,
  'codeidx.backup': backup,
  'codeidx.setBackupKey': setBackupKey,
  'codeidx.restore': restore,
  'codeidx.checkHealth': checkHealth,
  'codeidx.repair': repair,
  'codeidx.addToGitignore': addToGitignore,
};

/** Registers every command of `commands` (default: the table above) against `host`. */
export function registerCommands(
  host: CommandHost,
  commands: Readonly<Record<string, CommandHandler>> = COMMANDS,
): vscode.Disposable[] {
  return Object.entries(commands).map(([id, handler]) =>
    vscode.commands.registerCommand(id, (arg: unknown) => handler(host, commandOptions(arg))),
  );
}
