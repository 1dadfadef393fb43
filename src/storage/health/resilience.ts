import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  wrap,
} from 'cockatiel';
import { CodeidxError, toCodeidxError, type ErrorCode } from '../errors.ts';
import { CHECK_HEALTH } from '../fixes.ts';
import { silentLogger, type Logger } from '../log.ts';

export interface ResilienceOptions {
  logger?: Logger;
  /** Attempts in all, the first one included (default 5). 1 turns retrying off. */
  maxAttempts?: number;
  /** First backoff delay in milliseconds, before jitter (default 50). */
  initialDelayMs?: number;
  /** Longest backoff delay in milliseconds (default 2000). */
  maxDelayMs?: number;
  /** Failed operations in a row that open the circuit (default 5). */
  breakerThreshold?: number;
  /** Milliseconds the circuit stays open before one trial call is let through (default 10000). */
  halfOpenAfterMs?: number;
}

export type CircuitStateName = 'closed' | 'open' | 'half-open';

export interface Resilience {
  /** Runs `fn` (synchronous or not) under the retry policy, inside the circuit breaker. */
  execute<T>(fn: () => T | Promise<T>): Promise<T>;
  /**
   * `open` while calls fail fast; `half-open` once the pause is over (the next call is the
   * trial) and while that trial runs; `closed` otherwise.
   */
  readonly state: CircuitStateName;
  /** Called on every transition cockatiel makes: open, half-open (a trial starts), closed. */
  onStateChange(listener: (state: CircuitStateName) => void): { dispose(): void };
}

/**
 * Errors that are an answer to the request, not a sign that the database is failing: trying
 * again gives the same answer, and the user needs that answer rather than "circuit open".
 * They pass through without counting toward the breaker. Every other code counts.
 */
const ANSWERS_NOT_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CANCELLED',
  'INVALID_ARGUMENT',
  'IMPORT_INVALID',
  'CHECKSUM_MISMATCH',
  'DATABASE_NEWER',
  'SCHEMA_DRIFT',
  'MIGRATION_INVALID',
  'FOREIGN_DATABASE',
  'BACKUP_INVALID',
  'CIRCUIT_OPEN',
]);

const NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) {
    throw new CodeidxError('INVALID_ARGUMENT', `${name} must be a whole number of 1 or more.`, {
      details: { [name]: value },
    });
  }
  return v;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) {
    throw new CodeidxError('INVALID_ARGUMENT', `${name} must be a number of 0 or more.`, {
      details: { [name]: value },
    });
  }
  return v;
}

/**
 * Retry and a circuit breaker for work on one database (cockatiel 4).
 *
 * Retry: only transient errors (a CodeidxError with `transient: true`, or a raw SQLite error
 * that `toCodeidxError` classifies transient: SQLITE_BUSY, SQLITE_LOCKED), at most
 * `maxAttempts` attempts in all, waiting between them with exponential backoff and decorrelated
 * jitter between `initialDelayMs` and `maxDelayMs`. Anything else is not retried; every error
 * leaves `execute` as a CodeidxError (converted with `toCodeidxError`).
 *
 * Circuit breaker, around the retries: it counts operations, each after its own retries. After
 * `breakerThreshold` failed operations in a row it opens, and for `halfOpenAfterMs` calls fail
 * fast with CIRCUIT_OPEN without touching the database; then one trial call is let through: its
 * success closes the circuit, its failure opens it again. Non-transient failures count too (a
 * corrupt file, a full disk, a read-only folder, an internal or I/O error, a failed migration:
 * a database that keeps failing is what the breaker is for). Refusals do not count (a bad
 * argument, a cancel, a changed checksum, a newer schema, drift, an invalid backup: see
 * ANSWERS_NOT_FAILURES): they are answers that would come back the same, and neither count nor reset the run.
 *
 * Retries are logged at warn, giving up at warn, the circuit opening at warn, half-open and
 * closing at info.
 */
export function createResilience(options: ResilienceOptions = {}): Resilience {
  const logger = options.logger ?? silentLogger;
  const maxAttempts = positiveInteger('maxAttempts', options.maxAttempts, 5);
  const threshold = positiveInteger('breakerThreshold', options.breakerThreshold, 5);
  const initialDelay = nonNegative('initialDelayMs', options.initialDelayMs, 50);
  const maxDelay = Math.max(initialDelay, nonNegative('maxDelayMs', options.maxDelayMs, 2000));
  const halfOpenAfter = nonNegative('halfOpenAfterMs', options.halfOpenAfterMs, 10_000);

  const retryPolicy = retry(
    handleWhen((err) => toCodeidxError(err).transient),
    {
      // cockatiel counts retries, not attempts.
      maxAttempts: maxAttempts - 1,
      backoff: new ExponentialBackoff({ initialDelay, maxDelay }),
    },
  );
  retryPolicy.onRetry((e) => {
    const error = 'error' in e ? toCodeidxError(e.error) : undefined;
    logger.warn(`Retrying after a transient error (attempt ${e.attempt + 1} of ${maxAttempts})`, {
      delayMs: Math.round(e.delay),
      code: error?.code,
      error: error?.message,
    });
  });
  retryPolicy.onGiveUp((e) => {
    if (maxAttempts === 1) return;
    const error = 'error' in e ? toCodeidxError(e.error) : undefined;
    logger.warn(`Gave up after ${maxAttempts} attempts`, {
      code: error?.code,
      error: error?.message,
    });
  });

  const breaker = circuitBreaker(
    handleWhen((err) => !ANSWERS_NOT_FAILURES.has(toCodeidxError(err).code)),
    { halfOpenAfter, breaker: new ConsecutiveBreaker(threshold) },
  );
  let openedAt = 0;
  breaker.onBreak(() => {
    openedAt = Date.now();
    const last = breaker.lastFailure;
    const error = last && 'error' in last ? toCodeidxError(last.error) : undefined;
    logger.warn(
      `Circuit opened after ${threshold} failed operations in a row; calls fail fast for ${formatSeconds(halfOpenAfter)}`,
      { code: error?.code, error: error?.message },
    );
  });
  breaker.onHalfOpen(() => logger.info('Circuit half-open: letting one trial call through'));
  breaker.onReset(() => logger.info('Circuit closed: the database answers again'));

  const policy = wrap(breaker, retryPolicy);

  const circuitOpen = (cause: unknown): CodeidxError => {
    const last = breaker.lastFailure;
    const lastError = last && 'error' in last ? toCodeidxError(last.error) : undefined;
    const retryInMs = Math.max(0, openedAt + halfOpenAfter - Date.now());
    return new CodeidxError(
      'CIRCUIT_OPEN',
      `The last ${threshold} operations on the database failed${lastError ? ` (last: ${lastError.message})` : ''}.`,
      {
        hint: `codeidx stopped trying after ${threshold} failures in a row; it will try again in ${formatSeconds(retryInMs)}. Check health to see why.`,
        fix: CHECK_HEALTH,
        cause,
        details: { retryInMs, threshold, lastCode: lastError?.code },
      },
    );
  };

  return {
    async execute<T>(fn: () => T | Promise<T>): Promise<T> {
      try {
        return await policy.execute(() => fn());
      } catch (err) {
        if (err instanceof BrokenCircuitError) throw circuitOpen(err);
        throw toCodeidxError(err);
      }
    },
    get state(): CircuitStateName {
      const state = breaker.state;
      if (state === CircuitState.Open && Date.now() - openedAt >= halfOpenAfter) {
        return 'half-open';
      }
      return NAMES[state];
    },
    onStateChange(listener: (state: CircuitStateName) => void): { dispose(): void } {
      return breaker.onStateChange((s) => listener(NAMES[s]));
    },
  };
}

/** `12s`, or `0.3s` under a second. */
function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${Math.ceil(ms / 1000)}s` : `${(Math.ceil(ms / 100) / 10).toString()}s`;
}
