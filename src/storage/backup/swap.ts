/**
 * The file swap of a restore (see restore.ts for the steps) and its recovery: the intent file,
 * the renames, putting the old files back when a rename fails, and finishing a swap a killed
 * process left half done.
 */
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  linkSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { toCodeidxError } from '../errors.ts';
import {
  createPrivateFile,
  removeQuietly,
  syncDir,
  syncFile,
  tempName,
  testPause,
  writeAll,
} from '../database/files.ts';
import type { Logger } from '../log.ts';
import { COMPANION_SUFFIXES, fileStamp } from '../database/quarantine.ts';
import { restoreIntentPath, restoreTempPrefix } from './names.ts';

/** What the intent file holds: names in the database's folder, never paths. */
interface Intent {
  temp: string;
  replaced: string | null;
  from: string;
}

/** Writes the intent and runs the swap (the caller holds the write lock). */
export function swapLocked(
  dbPath: string,
  temp: string,
  file: string,
  now: Date,
  logger: Logger,
): { hadMain: boolean; replaced: string | undefined } {
  const hadMain = existsSync(dbPath);
  const present = ['', ...COMPANION_SUFFIXES].some((s) => existsSync(dbPath + s));
  const replaced = present ? freeReplacedName(dbPath, now) : undefined;
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
  return { hadMain, replaced };
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
