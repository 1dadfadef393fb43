import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../storage/log.ts';
import {
  appendEntries,
  gitignoreEntries,
  gitignoreLines,
  missingEntries,
} from './logic/gitignore.ts';
import { backupDirOf, type FolderSettings } from './logic/settings.ts';

/** What the offer needs of a folder's database (FolderDatabase has it; no import of folder.ts). */
export interface GitignoreSubject {
  readonly name: string;
  readonly folder: { readonly uri: vscode.Uri };
  readonly opened?: { readonly path: string } | undefined;
  readonly settings: FolderSettings;
}

const offeredKey = (folder: vscode.Uri): string => `codeidx.gitignoreOffered:${folder.toString()}`;

/** Whether the offer to add the database to .gitignore was already made in this workspace. */
export function gitignoreOffered(context: vscode.ExtensionContext, folder: vscode.Uri): boolean {
  return context.workspaceState.get<boolean>(offeredKey(folder), false);
}

function entriesOf(db: GitignoreSubject): string[] {
  return gitignoreEntries(
    db.folder.uri.fsPath,
    db.opened?.path ?? db.settings.databasePath,
    backupDirOf(db.settings),
  );
}

function gitCheckIgnore(root: string, rel: string): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['check-ignore', '-q', rel], { cwd: root, timeout: 5000 }, (err) => {
      if (!err) resolve(true);
      else if ((err as { code?: unknown }).code === 1) resolve(false);
      else resolve(undefined);
    });
  });
}

/**
 * The first time a database is created in a folder that is a git repository and does not ignore
 * it, offers (once per workspace) to add the database files to `.gitignore`.
 */
export async function offerGitignore(
  db: GitignoreSubject,
  context: vscode.ExtensionContext,
  logger: Logger,
): Promise<void> {
  const root = db.folder.uri.fsPath;
  if (gitignoreOffered(context, db.folder.uri) || !existsSync(join(root, '.git'))) return;
  const entries = entriesOf(db);
  const dbRel = entries[0]?.slice(1);
  if (!dbRel) return;
  const ignored =
    (await gitCheckIgnore(root, dbRel)) ??
    gitignoreLines(readGitignore(root)).includes(`/${dbRel}`);
  if (ignored) return;
  await context.workspaceState.update(offeredKey(db.folder.uri), true);
  logger.info(`${db.name}: ${dbRel} is not ignored by git; offering to add it to .gitignore.`);
  const pick = await vscode.window.showInformationMessage(
    `CodeIdx created ${dbRel} in ${db.name}, a git repository that does not ignore it. Add the database files to .gitignore?`,
    'Add to .gitignore',
    'Not Now',
  );
  if (pick === 'Add to .gitignore') addToGitignore(db, logger);
}

function readGitignore(root: string): string {
  const file = join(root, '.gitignore');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Appends the missing entries to the folder's `.gitignore`; returns the lines added. */
export function addToGitignore(db: GitignoreSubject, logger: Logger): string[] {
  const root = db.folder.uri.fsPath;
  const before = readGitignore(root);
  const missing = missingEntries(before, entriesOf(db));
  if (missing.length === 0) return [];
  writeFileSync(join(root, '.gitignore'), appendEntries(before, missing));
  logger.info(`${db.name}: added ${missing.join(', ')} to .gitignore.`);
  return missing;
}
