// The one way a writer takes the database's write lock.
//
// Why not a plain `db.transaction(fn)()`: that is a deferred `BEGIN`. When its first statement
// reads (a lookup, the schema) and a later one writes, SQLite must upgrade a read transaction to
// a write one, and in WAL mode it does not call the busy handler for that upgrade: with another
// writer active it fails at once with SQLITE_BUSY ("database is locked"), whatever the busy
// timeout. `BEGIN IMMEDIATE` takes the write lock first, before any read, and so waits for the
// busy timeout like any other lock request.
import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import type { Connection } from './connection.ts';
import { toCodeidxError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';

export interface WriteLockOptions {
  /**
   * Attempts in all (default 10). Each attempt itself waits up to the connection's busy timeout
   * (5 s by default) for the lock, so the default waits about a minute before BUSY.
   */
  maxAttempts?: number;
  /** First backoff delay between attempts in milliseconds, before jitter (default 100). */
  initialDelayMs?: number;
  /** Longest backoff delay in milliseconds (default 2000). */
  maxDelayMs?: number;
  logger?: Logger;
}

/**
 * Runs `fn` in a `BEGIN IMMEDIATE` transaction: the write lock is taken before anything is read,
 * waiting up to the connection's busy timeout for another writer. Commits when `fn` returns,
 * rolls back when it throws. Inside a transaction already open it nests as a savepoint (the lock
 * is already held). Synchronous, like better-sqlite3: `fn` must not return a promise.
 */
export function immediateTransaction<T>(db: Connection, fn: () => T): T {
  return db.transaction(fn).immediate();
}

function retryPolicy(options: WriteLockOptions): RetryPolicy {
  const logger = options.logger ?? silentLogger;
  const maxAttempts = options.maxAttempts ?? 10;
  const policy = retry(
    handleWhen((err) => toCodeidxError(err).transient),
    {
      // cockatiel counts retries, not attempts.
      maxAttempts: Math.max(0, maxAttempts - 1),
      backoff: new ExponentialBackoff({
        initialDelay: options.initialDelayMs ?? 100,
        maxDelay: options.maxDelayMs ?? 2000,
      }),
    },
  );
  policy.onRetry((e) =>
    logger.warn(`Waiting for the write lock (attempt ${e.attempt + 1} of ${maxAttempts})`, {
      delayMs: Math.round(e.delay),
    }),
  );
  return policy;
}

/**
 * Every writer's way to take the write lock: runs `fn` with `immediateTransaction` (busy timeout
 * first), and when the lock is still held by another connection after that (SQLITE_BUSY or
 * SQLITE_LOCKED), tries again with exponential backoff and jitter, `maxAttempts` times in all.
 * `fn` runs in a transaction that was rolled back before each retry, so it must have no effect
 * outside the database (collect results, publish them once this resolves). Errors leave as
 * CodeidxError; a lock never obtained is BUSY (transient).
 */
export async function writeTransaction<T>(
  db: Connection,
  fn: () => T,
  options: WriteLockOptions = {},
): Promise<T> {
  try {
    return await retryPolicy(options).execute(() => immediateTransaction(db, fn));
  } catch (err) {
    throw toCodeidxError(err);
  }
}

/**
 * Opens a `BEGIN IMMEDIATE` transaction that the caller ends with COMMIT or ROLLBACK, for work
 * that spans an `await` (a strict import reading its input). Waits and retries like
 * `writeTransaction`.
 */
export async function beginWrite(db: Connection, options: WriteLockOptions = {}): Promise<void> {
  try {
    await retryPolicy(options).execute(() => db.exec('BEGIN IMMEDIATE'));
  } catch (err) {
    throw toCodeidxError(err);
  }
}
