import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../storage/log.ts';
import { backupDirOf } from './config.ts';
import type { FolderDatabase } from './folder.ts';

const offeredKey = (folder: vscode.Uri): string => `codeidx.gitignoreOffered:${folder.toString()}`;

/** Whether the offer to add the database to .gitignore was already made in this workspace. */
export function gitignoreOffered(context: vscode.ExtensionContext, folder: vscode.Uri): boolean {
  return context.workspaceState.get<boolean>(offeredKey(folder), false);
}

/** `.gitignore` lines for the database, its -wal/-shm files and its backups, when inside the folder. */
export function gitignoreEntries(db: FolderDatabase): string[] {
  const root = db.folder.uri.fsPath;
  const inside = (p: string): string | undefined => {
    const rel = relative(root, p);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : undefined;
  };
  const dbRel = inside(db.opened?.path ?? db.settings.databasePath);
  const backupRel = inside(backupDirOf(db.settings));
  return [...(dbRel ? [`/${dbRel}`, `/${dbRel}-*`] : []), ...(backupRel ? [`/${backupRel}/`] : [])];
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
  db: FolderDatabase,
  context: vscode.ExtensionContext,
  logger: Logger,
): Promise<void> {
  const root = db.folder.uri.fsPath;
  if (gitignoreOffered(context, db.folder.uri) || !existsSync(join(root, '.git'))) return;
  const entries = gitignoreEntries(db);
  const dbRel = entries[0]?.slice(1);
  if (!dbRel) return;
  const ignored = (await gitCheckIgnore(root, dbRel)) ?? readGitignore(root).includes(`/${dbRel}`);
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

function readGitignore(root: string): string[] {
  const file = join(root, '.gitignore');
  return existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/) : [];
}

/** Appends the missing entries to the folder's `.gitignore`; returns the lines added. */
export function addToGitignore(db: FolderDatabase, logger: Logger): string[] {
  const root = db.folder.uri.fsPath;
  const existing = readGitignore(root);
  const missing = gitignoreEntries(db).filter((e) => !existing.includes(e));
  if (missing.length === 0) return [];
  const file = join(root, '.gitignore');
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const sep = before && !before.endsWith('\n') ? '\n' : '';
  writeFileSync(
    file,
    `${before}${sep}# CodeIdx database (a cache of the source tree)\n${missing.join('\n')}\n`,
  );
  logger.info(`${db.name}: added ${missing.join(', ')} to .gitignore.`);
  return missing;
}
