/**
 * One migration run, shaped as begin, steps, seal, commit, all in one `BEGIN IMMEDIATE`
 * transaction (the driver's `transaction().immediate()`): the version is read under the write
 * lock (so concurrent processes apply each migration exactly once), all steps commit together or
 * not at all, and a crash at any instant leaves the old version. Synchronous on purpose:
 * better-sqlite3 transactions cannot span an `await`.
 */
import { APPLICATION_ID, type Connection } from '../database/connection.ts';
import { CodeidxError, toCodeidxError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type {
  CancelFlag,
  Migration,
  MigrationPlanStep,
  MigrationResult,
  MigrationRunResult,
  ProgressListener,
} from '../types.ts';
import { writeAuditAlone } from './audit.ts';
import { MIGRATION_REFUSALS, readSnapshot, refuseOnProblems } from './history.ts';
import { applyStep, planSteps } from './steps.ts';

export interface RunOptions {
  /** Target version; default the latest for migrate. 0 is a valid target (an empty schema). */
  to?: number;
  dryRun?: boolean;
  onProgress?: ProgressListener;
  cancel?: CancelFlag;
  /**
   * Called inside the write transaction, after the version was read under the lock and only
   * when there are steps to run: the place for the pre-run backup, so that of several
   * processes migrating at once only the one that really migrates takes it.
   */
  beforeSteps?: (plan: readonly MigrationPlanStep[], fromVersion: number) => void;
}

/** What a run works on. */
export interface RunContext {
  db: Connection;
  migrations: readonly Migration[];
  logger: Logger;
}

/** Moves the schema towards `to` (only up for 'up', only down for 'down'). */
export function runMigrations(
  ctx: RunContext,
  direction: 'up' | 'down',
  to: number,
  options: RunOptions,
): MigrationRunResult {
  const started = performance.now();
  if (options.dryRun) {
    const snapshot = ctx.db.transaction(() => readSnapshot(ctx.db)).deferred();
    const { from, plan } = planRun(ctx, snapshot, direction, to);
    return {
      fromVersion: from,
      toVersion: from,
      dryRun: true,
      steps: [],
      plan,
      totalMs: performance.now() - started,
    };
  }
  // Table rebuilds in a migration need foreign keys off; it cannot change inside a transaction.
  ctx.db.pragma('foreign_keys = OFF');
  // The step that was running when the run failed; undefined before the first and after the last.
  const running: { step?: MigrationPlanStep } = {};
  try {
    const result = ctx.db
      .transaction(() => {
        const { from, plan } = begin(ctx, direction, to, options);
        const steps = runSteps(ctx, plan, options, running);
        const toVersion = seal(ctx.db, plan, from);
        return { fromVersion: from, toVersion, dryRun: false, steps, plan };
      })
      .immediate();
    return { ...result, totalMs: performance.now() - started };
  } catch (err) {
    throw reportFailure(ctx, err, running.step);
  } finally {
    ctx.db.pragma('foreign_keys = ON');
  }
}

/** Refuses on history problems, or plans the steps from the version in `snapshot`. */
function planRun(
  ctx: RunContext,
  snapshot: ReturnType<typeof readSnapshot>,
  direction: 'up' | 'down',
  to: number,
): { from: number; plan: MigrationPlanStep[] } {
  refuseOnProblems(snapshot, ctx.migrations, direction);
  const from = snapshot.version;
  const target = direction === 'up' ? Math.max(from, to) : Math.min(from, to);
  return { from, plan: planSteps(ctx.migrations, from, target) };
}

/** Begin: read the version under the lock, plan, and let the caller back up when there is work. */
function begin(
  ctx: RunContext,
  direction: 'up' | 'down',
  to: number,
  options: RunOptions,
): { from: number; plan: MigrationPlanStep[] } {
  const planned = planRun(ctx, readSnapshot(ctx.db), direction, to);
  if (planned.plan.length) options.beforeSteps?.(planned.plan, planned.from);
  return planned;
}

/** Steps: each one's SQL, history row and audit row, in order. */
function runSteps(
  ctx: RunContext,
  plan: MigrationPlanStep[],
  options: RunOptions,
  running: { step?: MigrationPlanStep },
): MigrationResult[] {
  const results = plan.map((step, index) => {
    running.step = step;
    return applyStep(step, {
      ...ctx,
      index,
      count: plan.length,
      onProgress: options.onProgress,
      cancel: options.cancel,
    });
  });
  running.step = undefined;
  return results;
}

/**
 * Seal: no foreign key violation may be committed (the steps ran with foreign keys off), and
 * the version pragmas say where the schema now is. Returns that version.
 */
function seal(db: Connection, plan: MigrationPlanStep[], from: number): number {
  const last = plan[plan.length - 1];
  if (!last) return from;
  const target = last.version - (last.direction === 'down' ? 1 : 0);
  const violations = db.pragma('foreign_key_check') as unknown[];
  if (violations.length) {
    throw new CodeidxError(
      'MIGRATION_FAILED',
      `The migration left ${violations.length} foreign key violation(s).`,
      {
        hint: 'This is a bug in the migration; nothing was changed. Report it with the log.',
        details: { violations: violations.slice(0, 10) },
      },
    );
  }
  db.pragma(`user_version = ${target}`);
  // Version 0 is still codeidx's file: the mark stays, so the next open does not call it foreign.
  db.pragma(`application_id = ${APPLICATION_ID}`);
  return target;
}

/**
 * After the rollback: logs and audits (in its own transaction) a refusal or a failed step, and
 * returns the error to throw.
 */
function reportFailure(
  ctx: RunContext,
  err: unknown,
  step: MigrationPlanStep | undefined,
): CodeidxError {
  const error = failure(err, step);
  if (!step && MIGRATION_REFUSALS.has(error.code)) {
    ctx.logger.error(error.message, { hint: error.hint });
    const version = error.details.refusedVersion as number | undefined;
    const migration = version ? ctx.migrations[version - 1] : undefined;
    writeAuditAlone(ctx.db, ctx.logger, 'refused', migration, error.message);
  } else if (step) {
    ctx.logger.error(
      `Migration ${step.version} ${step.direction} failed; the run was rolled back`,
      {
        error: error.message,
      },
    );
    const action = error.code === 'CANCELLED' ? 'cancelled' : 'failed';
    writeAuditAlone(ctx.db, ctx.logger, action, step, error.message);
  }
  return error;
}

/** A step's SQL error becomes MIGRATION_FAILED naming the step; transient and disk errors stay. */
function failure(err: unknown, step: MigrationPlanStep | undefined): CodeidxError {
  if (err instanceof CodeidxError || !step) return toCodeidxError(err);
  const cause = toCodeidxError(err);
  if (cause.transient || cause.code === 'DISK_FULL' || cause.code === 'READONLY') return cause;
  return new CodeidxError(
    'MIGRATION_FAILED',
    `Migration ${String(step.version).padStart(3, '0')}_${step.name} (${step.direction}) failed: ${cause.message}. The run was rolled back; the database is unchanged.`,
    {
      hint: 'See the log for the SQL error; run `codeidx health` to check the database.',
      cause: err,
    },
  );
}
