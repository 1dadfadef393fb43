/**
 * Opening a database file safely: leftovers of a killed backup or restore are finished first, a
 * file that is not codeidx's or is damaged is refused and left as it is (or, with `recover`,
 * moved aside and replaced), and a file the user cannot write is opened read-only.
 */
import { dirname } from 'node:path';
import { recoverDatabaseFiles } from '../backup/index.ts';
import {
  APPLICATION_ID,
  openConnection,
  probeFile,
  type Connection,
} from '../database/connection.ts';
import { moveAside } from '../database/quarantine.ts';
import { CodeidxError, toCodeidxError } from '../errors.ts';
import { CREATE, REPAIR } from '../fixes.ts';
import { silentLogger } from '../log.ts';
import type { OpenNotice } from '../types.ts';
import { openedForReading, unwritable } from './access.ts';
import type { ServiceOptions } from './options.ts';

/** What opening the file gave: the connection, and what the open did or found on the way. */
export interface OpenedFile {
  db: Connection;
  /** The file was missing or empty (or was moved aside): it starts at version 0. */
  created: boolean;
  notice: OpenNotice | undefined;
  readOnlyReason: CodeidxError | undefined;
}

/** Opens (or creates) the database at `path` as `options` say; see `DatabaseService.open`. */
export function openFile(path: string, options: ServiceOptions): OpenedFile {
  const logger = options.logger ?? silentLogger;
  // Leftovers of a killed restore or backup are ours to finish or remove, even before a read.
  recoverDatabaseFiles(path, options);
  const readOnly = options.readOnly === true;
  const probe = probeFile(path);
  if (readOnly && (probe === 'missing' || probe === 'empty')) throw noDatabase(path);
  const created = probe === 'missing' || probe === 'empty';
  let db: Connection | undefined;
  let readOnlyReason: CodeidxError | undefined;
  try {
    if (probe === 'not-sqlite') throw notSqlite(path);
    // Identify the file read-only first: a foreign file must not even be switched to WAL.
    if (probe === 'sqlite') identify(openConnection(path, { readonly: true }), path);
    // A read command also names files the user cannot write: health shows the real cause.
    readOnlyReason = readOnly ? (unwritable(path) ?? openedForReading(path)) : unwritable(path);
    db = openConnection(path, {
      busyTimeoutMs: options.busyTimeoutMs,
      readonly: readOnlyReason !== undefined,
    });
    return { db, created, notice: undefined, readOnlyReason };
  } catch (err) {
    db?.close();
    const error = toCodeidxError(err, `Cannot open ${path}`);
    const movable = error.code === 'CORRUPT' || error.code === 'FOREIGN_DATABASE';
    if (!movable || !options.recover || readOnly) throw error;
    const reason = error.code === 'CORRUPT' ? 'corrupt' : 'foreign';
    const movedTo = moveAside(path, reason);
    const message =
      reason === 'corrupt'
        ? `The codeidx database was damaged; it was moved to ${movedTo} and a new, empty one was created.`
        : `${path} was not a codeidx database; it was moved to ${movedTo} and a new, empty one was created.`;
    logger.warn(message, { cause: error.message });
    return {
      db: openConnection(path, { busyTimeoutMs: options.busyTimeoutMs }),
      created: true,
      notice: { kind: 'moved-aside', reason, movedTo, message },
      readOnlyReason: undefined,
    };
  }
}

/**
 * Refuses a file that is not codeidx's before any of its schema is used: another program's
 * database (a different application_id, or tables without our mark), or a damaged one.
 */
function identify(db: Connection, path: string): void {
  let applicationId: number;
  let objects: number;
  try {
    applicationId = Number(db.pragma('application_id', { simple: true }));
    // Reading the schema also surfaces a damaged file as SQLITE_CORRUPT / SQLITE_NOTADB. SQLite's
    // own tables (sqlite_stat1 after ANALYZE) stay after `rollback --to 0`: they mark no owner.
    objects = Number(
      db
        .prepare("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        .pluck()
        .get(),
    );
  } finally {
    db.close();
  }
  if (applicationId === APPLICATION_ID || (applicationId === 0 && objects === 0)) return;
  throw new CodeidxError(
    'FOREIGN_DATABASE',
    `${path} is an SQLite database of another program; it was left as it is.`,
    {
      hint: `Point codeidx at another file; or, if codeidx should own this path, repair moves the file aside (it is kept) and creates a new database in ${dirname(path)}.`,
      fix: REPAIR,
    },
  );
}

/** A file without the SQLite header: nothing of codeidx's, so nothing is done to it. */
function notSqlite(path: string): CodeidxError {
  return new CodeidxError(
    'CORRUPT',
    `${path} is not an SQLite database (no SQLite header); it was left as it is.`,
    {
      hint: 'Point codeidx at another file; or, if this is a damaged codeidx database, repair moves it aside (it is kept) and creates a new one.',
      fix: REPAIR,
    },
  );
}

function noDatabase(path: string): CodeidxError {
  return new CodeidxError('NO_DATABASE', `There is no codeidx database at ${path}.`, {
    hint: 'This command only reads; `codeidx migrate` (or opening the folder in VS Code) creates it.',
    fix: CREATE,
    details: { path },
  });
}
