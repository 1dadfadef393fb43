/** Moving the schema: status, planning a target, migrate, rollback, and the backup before a run. */
import { createBackup } from '../backup/index.ts';
import { openConnection } from '../database/connection.ts';
import { CodeidxError } from '../errors.ts';
import { REPAIR } from '../fixes.ts';
import { planTarget as plan, type TargetPlan } from '../policy.ts';
import type {
  CancelFlag,
  MigrationRunResult,
  MigrationStatus,
  ProgressListener,
} from '../types.ts';
import type { ServiceState } from './state.ts';

export interface RunRequest {
  onProgress?: ProgressListener;
  cancel?: CancelFlag;
}

/** Migration status; a drifted schema is listed among the problems. */
export function status(state: ServiceState): MigrationStatus {
  const current = state.manager.status();
  if (!state.blocked) return current;
  return {
    ...current,
    problems: [
      ...current.problems,
      {
        kind: 'schema-drift',
        message: state.blocked.message,
        hint: `${state.blocked.hint ?? ''} Fix: \`${REPAIR.cli}\`.`.trim(),
      },
    ],
  };
}

/** What `migrateTo(to)` would do and whether it needs the user's yes (see policy.planTarget). */
export function planTarget(state: ServiceState, to?: number): TargetPlan {
  return plan(state.manager.status(), to);
}

/**
 * Moves the schema to `to` (default: the latest), up or down. Going down removes data, so it
 * needs `confirmed: true` (CONFIRMATION_REQUIRED otherwise) and then is a rollback, backup first.
 */
export async function migrateTo(
  state: ServiceState,
  o: RunRequest & { to?: number; dryRun?: boolean; confirmed?: boolean },
): Promise<MigrationRunResult> {
  const target = planTarget(state, o.to);
  if (target.direction !== 'down') return migrate(state, o);
  if (o.dryRun) return state.manager.rollback({ to: target.toVersion, dryRun: true });
  if (!o.confirmed) {
    throw new CodeidxError('CONFIRMATION_REQUIRED', target.confirm!.question, {
      hint: target.confirm!.detail,
      details: { plan: target },
    });
  }
  return rollback(state, { to: target.toVersion, onProgress: o.onProgress, cancel: o.cancel });
}

/** Applies pending migrations up to `to` (default: the latest); never goes down. */
export async function migrate(
  state: ServiceState,
  o: RunRequest & { to?: number; dryRun?: boolean },
): Promise<MigrationRunResult> {
  if (!o.dryRun) state.assertWritable();
  let backup: string | undefined;
  const result = await state.resilience.execute(() =>
    state.manager.migrate({
      to: o.to ?? state.manager.latestVersion,
      dryRun: o.dryRun,
      onProgress: o.onProgress,
      cancel: o.cancel,
      beforeSteps: () => {
        backup = backupBeforeRun(state, o.onProgress);
      },
    }),
  );
  if (result.steps.length) state.schemaChanged();
  return backup ? { ...result, backup } : result;
}

/** Runs down migrations to version `to`, after a backup. The caller has the user's yes. */
export async function rollback(
  state: ServiceState,
  o: RunRequest & { to: number },
): Promise<MigrationRunResult> {
  state.assertWritable();
  let backup: string | undefined;
  const result = await state.resilience.execute(() =>
    state.manager.rollback({
      to: o.to,
      onProgress: o.onProgress,
      cancel: o.cancel,
      beforeSteps: () => {
        backup = backupBeforeRun(state, o.onProgress);
      },
    }),
  );
  if (result.steps.length) state.schemaChanged();
  return backup ? { ...result, backup } : result;
}

/**
 * A verified backup before a run, when the database holds data and backups are on. Called
 * inside the run's write transaction (so only a process that really migrates takes one);
 * the snapshot is read through a second, read-only connection, which the lock does not block.
 */
function backupBeforeRun(
  state: ServiceState,
  onProgress: ProgressListener | undefined,
): string | undefined {
  if (state.options.autoBackup === false || !hasData(state)) return undefined;
  onProgress?.({ phase: 'backup', message: 'Backing up before the migration…' });
  const reader = openConnection(state.path, { readonly: true });
  try {
    const result = createBackup(reader, {
      dbPath: state.path,
      dir: state.options.backupDir,
      keep: state.options.backupKeep,
      key: state.options.backupKey,
      logger: state.logger,
    });
    state.logger.info(`Backup taken before the migration run: ${result.path}`);
    return result.path;
  } finally {
    reader.close();
  }
}

/** Whether the index holds any file (an empty database needs no backup). */
function hasData(state: ServiceState): boolean {
  const hasFiles = state.db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'files'")
    .pluck()
    .get();
  return (
    hasFiles !== undefined &&
    state.db.prepare('SELECT EXISTS (SELECT 1 FROM files)').pluck().get() === 1
  );
}
