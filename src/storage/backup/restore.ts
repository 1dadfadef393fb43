/**
 * Restoring a backup, atomically at every instant. The backup is decrypted or copied into a temp
 * file beside the database, verified and flushed. Then an intent file is written (atomically)
 * that names the temp file and the `.replaced-<time>` name, and the swap runs:
 *
 * 1. the current database gets a second name, `<db>.replaced-<time>` (a hard link; a copy where
 *    the file system has none), so `<db>` still holds it;
 * 2. its `-wal`, `-shm` and `-journal` move to the replaced name (a `-wal` must never meet the
 *    restored file, SQLite would replay it into it);
 * 3. the temp file is renamed over `<db>` (one atomic rename);
 * 4. the intent file is removed.
 *
 * `<db>` always holds the old database or the restored one. A process killed after the intent is
 * written leaves work the next open finishes (`finishInterruptedRestore`); killed before, it
 * leaves only temp files, which the next open removes.
 */
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CodeidxError, toCodeidxError } from '../errors.ts';
import {
  createPrivateFile,
  copyPrivate,
  probeHeader,
  removeQuietly,
  syncDir,
  syncFile,
  tempName,
  testPause,
  writeAll,
} from '../database/files.ts';
import { silentLogger, type Logger } from '../log.ts';
import { COMPANION_SUFFIXES, fileStamp } from '../database/quarantine.ts';
import type { ProgressListener, RestoreResult } from '../types.ts';
import { pruneReplaced } from './catalogue.ts';
import { removeLeftoverTemps } from './leftovers.ts';
import { BACKUP_TEMP_PREFIX, DEFAULT_KEEP, restoreIntentPath, restoreTempPrefix } from './names.ts';
import { assertReadable, checkDatabaseFile, decryptToTemp, requireKey } from './verify.ts';

export interface RestoreOptions {
  /** The database to replace. Every connection to it must be closed. */
  dbPath: string;
  /** The backup to restore (plain or encrypted; recognised by its content). */
  file: string;
  /** Passphrase of an encrypted backup. */
  key?: string;
  /** Replaced databases (`.replaced-*`) to keep beside it, like backups (default 5). */
  keep?: number;
  logger?: Logger;
  onProgress?: ProgressListener;
  /** The time in the `.replaced-<time>` name (default now). */
  now?: Date;
}

/** What the intent file holds: names in the database's folder, never paths. */
interface Intent {
  temp: string;
  replaced: string | null;
  from: string;
}

/**
 * Replaces the database at `dbPath` with a backup. **The caller has closed every connection to
 * `dbPath` first** (and checkpointed it, if it wants the WAL folded into the replaced file).
 *
 * The backup is verified as `verifyBackup` does before anything of the database is touched; a
 * failure then leaves it byte for byte as it was. The replaced database and its companions are
 * kept as `<dbPath>.replaced-<time>` (the newest `keep` of them; older ones are removed). A kill
 * at any instant leaves `dbPath` holding the old database or the restored one (see the module
 * comment); the next open finishes the swap.
 */
export function restoreBackup(options: RestoreOptions): RestoreResult {
  const logger = options.logger ?? silentLogger;
  const onProgress = options.onProgress;
  const dbPath = resolve(options.dbPath);
  const file = resolve(options.file);
  const keep = options.keep ?? DEFAULT_KEEP;
  if (file === dbPath) {
    throw new CodeidxError('INVALID_ARGUMENT', 'A database cannot be restored from itself.', {
      hint: 'Choose a backup file.',
    });
  }
  assertReadable(file);
  const encrypted = probeHeader(file).encrypted;
  const key = encrypted ? requireKey(file, options.key) : undefined;
  const dir = dirname(dbPath);
  const prefix = restoreTempPrefix(dbPath);
  const temps: string[] = [];
  let schemaVersion: number;
  let temp: string;
  try {
    mkdirSync(dir, { recursive: true });
    finishInterruptedRestore(dbPath, logger);
    removeLeftoverTemps(dir, [prefix, BACKUP_TEMP_PREFIX], logger);
    onProgress?.({ phase: 'restore', message: `Reading ${basename(file)}…`, increment: 0 });
    if (key !== undefined) {
      temp = decryptToTemp(file, dir, key, temps, prefix);
    } else {
      temp = tempName(dir, prefix, 'copy');
      temps.push(temp);
      copyPrivate(file, temp, (done, total) =>
        onProgress?.({ phase: 'restore', message: 'Copying the backup…', done, total }),
      );
    }
    onProgress?.({ phase: 'verify', message: 'Verifying the backup…', increment: 50 });
    schemaVersion = checkDatabaseFile(temp, { full: true, label: file });
    syncFile(temp);
  } catch (err) {
    for (const t of temps) removeQuietly(t);
    const error = toCodeidxError(err, `Cannot restore ${file}`);
    if (error.code === 'BACKUP_INVALID' || error.code === 'INVALID_ARGUMENT') throw error;
    throw new CodeidxError(error.code, `${error.message} The current database was not changed.`, {
      hint: error.hint,
      transient: error.transient,
      cause: error.cause ?? err,
      details: error.details,
    });
  }
  testPause('restore:prepared');

  const hadMain = existsSync(dbPath);
  const present = ['', ...COMPANION_SUFFIXES].some((s) => existsSync(dbPath + s));
  const replaced = present ? freeReplacedName(dbPath, options.now ?? new Date()) : undefined;
  const intent: Intent = {
    temp: basename(temp),
    replaced: replaced === undefined ? null : basename(replaced),
    from: file,
  };
  try {
    writeIntent(dbPath, intent);
  } catch (err) {
    removeQuietly(temp);
    throw toCodeidxError(err, 'Cannot start the swap; the current database was not changed');
  }
  testPause('restore:intent');
  try {
    swap(dbPath, intent);
  } catch (err) {
    undoSwap(dbPath, intent, logger);
    throw toCodeidxError(
      err,
      'Cannot move the restored database into place; the current one was put back',
    );
  }
  onProgress?.({ phase: 'restore', message: 'Restored.', increment: 50 });
  const previous = hadMain ? replaced : undefined;
  logger.info(`Restored ${dbPath} from ${file}`, { schemaVersion, previous });
  pruneReplaced(dbPath, keep, logger);
  return previous === undefined
    ? { restoredFrom: file, schemaVersion }
    : { restoredFrom: file, previous, schemaVersion };
}

/**
 * Settles a restore a killed process left between its renames: when its intent file is there,
 * the swap is finished (the restored file was verified and flushed before the intent was
 * written) and a warning is logged. Returns the restored database's source, or undefined when
 * there was nothing to finish. Called by every open, before the database is used.
 */
export function finishInterruptedRestore(dbPath: string, logger: Logger): string | undefined {
  const path = restoreIntentPath(dbPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw toCodeidxError(err, `Cannot read ${path}`);
  }
  const intent = parseIntent(text, dbPath);
  if (!intent) {
    logger.warn(`Removed an unreadable restore intent file: ${path}`);
    rmSync(path, { force: true });
    return undefined;
  }
  try {
    swap(dbPath, intent);
  } catch (err) {
    throw toCodeidxError(err, `Cannot finish the interrupted restore of ${dbPath}`);
  }
  const replaced =
    intent.replaced === null
      ? ''
      : `; the database it replaced is ${join(dirname(dbPath), intent.replaced)}`;
  logger.warn(`An interrupted restore of ${dbPath} from ${intent.from} was finished${replaced}.`);
  return intent.from;
}

/** Steps 1 to 4; each is skipped when already done, so a finished step is never repeated. */
function swap(dbPath: string, intent: Intent): void {
  const dir = dirname(dbPath);
  const temp = join(dir, intent.temp);
  if (existsSync(temp)) {
    if (intent.replaced !== null) {
      const replaced = join(dir, intent.replaced);
      if (existsSync(dbPath) && !existsSync(replaced)) keepSecondName(dbPath, replaced);
      testPause('restore:linked');
      for (const suffix of COMPANION_SUFFIXES) {
        if (existsSync(dbPath + suffix)) {
          renameSync(dbPath + suffix, replaced + suffix);
          testPause(`restore:moved${suffix}`);
        }
      }
    }
    renameSync(temp, dbPath);
    testPause('restore:swapped');
  }
  syncDir(dir);
  rmSync(restoreIntentPath(dbPath), { force: true });
  syncDir(dir);
}

/** Puts the old files back after a failed swap (the restored file did not take `dbPath`). */
function undoSwap(dbPath: string, intent: Intent, logger: Logger): void {
  const dir = dirname(dbPath);
  try {
    if (intent.replaced !== null) {
      const replaced = join(dir, intent.replaced);
      for (const suffix of COMPANION_SUFFIXES) {
        if (existsSync(replaced + suffix)) renameSync(replaced + suffix, dbPath + suffix);
      }
      // `dbPath` still holds the old file; the second name goes.
      if (existsSync(dbPath)) rmSync(replaced, { force: true });
    }
    removeQuietly(join(dir, intent.temp));
    rmSync(restoreIntentPath(dbPath), { force: true });
  } catch (err) {
    logger.error(`Could not undo the restore of ${dbPath}; the next open finishes it`, {
      error: String(err),
    });
  }
}

/** A second name for the file: a hard link, or a flushed copy where links are not possible. */
function keepSecondName(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to, constants.COPYFILE_EXCL);
    syncFile(to);
  }
}

/** `<db>.replaced-<time>`, with `-2`, `-3`… when that name (or a companion of it) is taken. */
function freeReplacedName(dbPath: string, now: Date): string {
  const base = `${dbPath}.replaced-${fileStamp(now)}`;
  let target = base;
  for (let n = 2; ['', ...COMPANION_SUFFIXES].some((s) => existsSync(target + s)); n++) {
    target = `${base}-${n}`;
  }
  return target;
}

/** Writes the intent file atomically (temp file, flush, rename, flush the folder). */
function writeIntent(dbPath: string, intent: Intent): void {
  const dir = dirname(dbPath);
  const temp = tempName(dir, restoreTempPrefix(dbPath), 'intent');
  const fd = createPrivateFile(temp);
  try {
    writeAll(fd, Buffer.from(JSON.stringify(intent)));
  } finally {
    closeSync(fd);
  }
  syncFile(temp);
  renameSync(temp, restoreIntentPath(dbPath));
  syncDir(dir);
}

/**
 * The intent, when it is well formed and names only files restore itself would name (a file
 * planted in a cloned repository cannot make this rename anything else over the database).
 */
function parseIntent(text: string, dbPath: string): Intent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { temp, replaced, from } = value as Record<string, unknown>;
  const base = basename(dbPath).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const tempPattern = new RegExp(`^\\.${base}\\.restore-\\d+-[0-9a-f]{12}\\.(copy|opened)\\.tmp$`);
  const replacedPattern = new RegExp(`^${base}\\.replaced-[0-9T-]+Z(-\\d+)?$`);
  if (typeof temp !== 'string' || !tempPattern.test(temp)) return undefined;
  if (replaced !== null && (typeof replaced !== 'string' || !replacedPattern.test(replaced))) {
    return undefined;
  }
  return { temp, replaced, from: typeof from === 'string' ? from : 'a backup' };
}
