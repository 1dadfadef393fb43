/**
 * Which `.gitignore` lines keep a folder's database out of git, and the file's text with the
 * missing ones added. No `vscode` here: gitignore.ts asks the user and writes the file.
 */
import { isAbsolute, relative, sep } from 'node:path';

/**
 * `.gitignore` lines for the database, its -wal/-shm files and its backups, each only when it
 * lies inside the folder `root` (a path outside is not the repository's business).
 */
export function gitignoreEntries(root: string, databasePath: string, backupDir: string): string[] {
  const inside = (p: string): string | undefined => {
    const rel = relative(root, p);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : undefined;
  };
  const dbRel = inside(databasePath);
  const backupRel = inside(backupDir);
  return [...(dbRel ? [`/${dbRel}`, `/${dbRel}-*`] : []), ...(backupRel ? [`/${backupRel}/`] : [])];
}

/** The lines of a `.gitignore` file's text (any line ending). */
export function gitignoreLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** The entries that the `.gitignore` text `before` does not list yet, in order. */
export function missingEntries(before: string, entries: string[]): string[] {
  const existing = gitignoreLines(before);
  return entries.filter((e) => !existing.includes(e));
}

/** `before` with `missing` appended under a comment, starting on a line of its own. */
export function appendEntries(before: string, missing: string[]): string {
  const sep = before && !before.endsWith('\n') ? '\n' : '';
  return `${before}${sep}# CodeIdx database (a cache of the source tree)\n${missing.join('\n')}\n`;
}
