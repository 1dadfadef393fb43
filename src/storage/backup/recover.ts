/**
 * What every open does before it touches the database: the symlink rule, then the leftovers of
 * killed processes (an interrupted restore is finished; temp files, plaintext ones among them,
 * are removed).
 */
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { assertDatabasePathSafe, isInside } from '../database/files.ts';
import { silentLogger, type Logger } from '../log.ts';
import { removeLeftoverTemps, removeLeftoverVerifyDirs } from './leftovers.ts';
import { BACKUP_TEMP_PREFIX, backupFolder, restoreTempPrefix } from './names.ts';
import { finishInterruptedRestore } from './restore.ts';

/** The open options this needs (DatabaseService's `ServiceOptions` fits). */
export interface RecoverOptions {
  /**
   * The workspace folder. Without `dbPath` the database path is derived from it; with a `dbPath`
   * inside it (the extension's `.vscode/codeidx.db`), that path must stay inside it too.
   */
  workspace?: string;
  /** A database file the user named: followed wherever it leads, unless it is in `workspace`. */
  dbPath?: string;
  /** A backup folder the user chose (default `codeidx-backups/` beside the database). */
  backupDir?: string;
  logger?: Logger;
}

/** What `recoverDatabaseFiles` did. */
export interface RecoverResult {
  /** The backup an interrupted restore was restoring, when one was finished. */
  finishedRestore?: string;
  /** Leftover temp files and folders removed. */
  removed: string[];
}

/**
 * Makes `path` safe to open; DatabaseService.open calls it first. In order:
 *
 * - the symlink rule: a database path derived from the workspace (no `dbPath` given) must lead,
 *   symlinks resolved, inside the workspace; its `-wal`/`-shm`/`-journal` must stay in its folder.
 *   Throws UNSAFE_PATH (nothing is created or changed) otherwise;
 * - a restore killed between its renames is finished (logged as a warning);
 * - temp files of killed backups, restores and verifications are removed (logged): beside the
 *   database, in the backup folder (the default one only when it is inside the database's
 *   folder), and codeidx's folders in the OS temp folder. No plaintext copy of an encrypted backup
 *   survives this. Files of a process that still runs are left alone.
 *
 * Creates nothing; a missing folder has nothing to clean.
 */
export function recoverDatabaseFiles(path: string, options: RecoverOptions = {}): RecoverResult {
  const logger = options.logger ?? silentLogger;
  const dbPath = resolve(path);
  const root = ruleRoot(dbPath, options);
  assertDatabasePathSafe(dbPath, root);
  const finishedRestore = finishInterruptedRestore(dbPath, logger);
  const dbDir = dirname(dbPath);
  const removed = removeLeftoverTemps(
    dbDir,
    [restoreTempPrefix(dbPath), BACKUP_TEMP_PREFIX],
    logger,
  );
  const backupDir = backupFolder(dbPath, options.backupDir);
  if (options.backupDir !== undefined || isInside(dbDir, backupDir)) {
    removed.push(...removeLeftoverTemps(backupDir, [BACKUP_TEMP_PREFIX], logger));
  }
  removed.push(...removeLeftoverVerifyDirs(logger));
  return finishedRestore === undefined ? { removed } : { finishedRestore, removed };
}

/** The folder the database path must stay inside, symlinks resolved; undefined: none. */
function ruleRoot(dbPath: string, options: RecoverOptions): string | undefined {
  if (options.dbPath === undefined) return resolve(options.workspace ?? process.cwd());
  if (options.workspace === undefined) return undefined;
  const workspace = resolve(options.workspace);
  const rel = relative(workspace, dbPath);
  return rel !== '' && rel.split(sep)[0] !== '..' && !isAbsolute(rel) ? workspace : undefined;
}
