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
import { CodeidxError, toCodeidxError } from './errors.ts';
import { silentLogger, type Logger } from './log.ts';

export interface ResilienceOptions {
  logger?: Logger;
  /** Attempts in all, the first included (default 5). */
  maxAttempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Consecutive failed operations that open the circuit (default 5). */
  breakerThreshold?: number;
  /** How long the circuit stays open before one trial call (default 10 s). */
  halfOpenAfterMs?: number;
}

export type CircuitStateName = 'closed' | 'open' | 'half-open';

export interface Resilience {
  execute<T>(fn: () => T | Promise<T>): Promise<T>;
  readonly state: CircuitStateName;
  onStateChange(listener: (state: CircuitStateName) => void): { dispose(): void };
}

/** Failures that say the database is unwell, as opposed to a refusal of what was asked. */
const UNWELL = new Set(['BUSY', 'CORRUPT', 'DISK_FULL', 'READONLY', 'INTERNAL', 'BACKUP_FAILED']);

const NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/**
 * Retry with exponential backoff and jitter (cockatiel's decorrelated jitter) for transient
 * errors only (busy or locked), a bounded number of times, inside a consecutive-failure circuit
 * breaker. The breaker counts operations that still failed with a sign of an unwell database
 * (busy after all retries, corrupt, disk full, read-only, I/O); refusals of a request (a bad
 * argument, a changed checksum, a cancel) pass through without counting. While open, calls fail
 * fast with CIRCUIT_OPEN.
 */
export function createResilience(options: ResilienceOptions = {}): Resilience {
  const logger = options.logger ?? silentLogger;
  const threshold = options.breakerThreshold ?? 5;
  const halfOpenAfter = options.halfOpenAfterMs ?? 10_000;
  const retryPolicy = retry(
    handleWhen((err) => toCodeidxError(err).transient),
    {
      maxAttempts: (options.maxAttempts ?? 5) - 1,
      backoff: new ExponentialBackoff({
        initialDelay: options.initialDelayMs ?? 50,
        maxDelay: options.maxDelayMs ?? 2000,
      }),
    },
  );
  retryPolicy.onRetry((e) =>
    logger.warn('Retrying after a transient error', {
      attempt: e.attempt,
      delayMs: Math.round(e.delay),
      error: 'error' in e ? String(e.error) : undefined,
    }),
  );
  const breaker = circuitBreaker(
    handleWhen((err) => UNWELL.has(toCodeidxError(err).code)),
    { halfOpenAfter, breaker: new ConsecutiveBreaker(threshold) },
  );
  breaker.onStateChange((s) => logger.info(`Circuit breaker ${NAMES[s]}`));
  const policy = wrap(breaker, retryPolicy);

  return {
    async execute<T>(fn: () => T | Promise<T>): Promise<T> {
      try {
        return await policy.execute(() => fn());
      } catch (err) {
        if (err instanceof BrokenCircuitError) {
          throw new CodeidxError(
            'CIRCUIT_OPEN',
            `The last ${threshold} operations on the database failed; codeidx paused.`,
            {
              hint: `It tries again in ${Math.round(halfOpenAfter / 1000)} s. Run \`codeidx health\` (or "CodeIdx: Check Health") to see why.`,
              cause: err,
            },
          );
        }
        throw toCodeidxError(err);
      }
    },
    get state() {
      return NAMES[breaker.state];
    },
    onStateChange(listener) {
      return breaker.onStateChange((s) => listener(NAMES[s]));
    },
  };
}
