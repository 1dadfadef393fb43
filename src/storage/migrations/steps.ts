/** The steps of a run: which migrations a move from one version to another runs, and one step's work. */
import { throwIfCancelled, type Connection } from '../database/connection.ts';
import type { Logger } from '../log.ts';
import type {
  CancelFlag,
  Migration,
  MigrationPlanStep,
  MigrationResult,
  ProgressListener,
} from '../types.ts';
import { writeAudit } from './audit.ts';
import { recordApplied, recordUndone } from './history.ts';
import { parseChunks } from './loader.ts';
import { formatCount } from '../text.ts';

/** The steps that take the database from version `from` to `to`, in the order they run. */
export function planSteps(
  migrations: readonly Migration[],
  from: number,
  to: number,
): MigrationPlanStep[] {
  if (to >= from) {
    return migrations
      .filter((m) => m.version > from && m.version <= to)
      .map((m) => ({ version: m.version, name: m.name, direction: 'up', sql: m.up }));
  }
  return migrations
    .filter((m) => m.version <= from && m.version > to)
    .reverse()
    .map((m) => ({ version: m.version, name: m.name, direction: 'down', sql: m.down }));
}

/** Where a step sits in its run, for progress and the log. */
export interface StepContext {
  db: Connection;
  migrations: readonly Migration[];
  logger: Logger;
  index: number;
  count: number;
  onProgress?: ProgressListener;
  cancel?: CancelFlag;
}

/**
 * Runs one step inside the run's transaction: its SQL (a populate chunk in batches, with
 * progress and cancel between them), then its history and audit rows. Each step is an equal
 * share of the progress bar.
 */
export function applyStep(step: MigrationPlanStep, ctx: StepContext): MigrationResult {
  const { db, index, count } = ctx;
  throwIfCancelled(ctx.cancel, 'The migration run');
  const t0 = performance.now();
  const phase = step.direction === 'up' ? 'migrate' : 'rollback';
  const label = `${verb(step)} ${index + 1}/${count}: ${describe(step.name)}`;
  ctx.onProgress?.({
    phase,
    message: label,
    step: index + 1,
    totalSteps: count,
    version: step.version,
    name: step.name,
  });
  ctx.logger.info(label, { version: step.version });
  const share = 100 / count;
  const given = executeSql(step, ctx, share);
  const executionMs = Math.round((performance.now() - t0) * 1000) / 1000;
  const migration = ctx.migrations[step.version - 1]!;
  if (step.direction === 'up') {
    recordApplied(db, migration, executionMs);
    writeAudit(db, 'up', migration, `applied in ${executionMs.toFixed(1)} ms`);
  } else if (recordUndone(db, step.version)) {
    writeAudit(db, 'down', migration, `rolled back in ${executionMs.toFixed(1)} ms`);
  }
  // A populate step has already given part of its share.
  ctx.onProgress?.({
    phase,
    message: label,
    increment: share - given,
    step: index + 1,
    totalSteps: count,
  });
  return {
    version: step.version,
    name: step.name,
    direction: step.direction,
    success: true,
    executionMs,
  };
}

/** Runs one step's SQL; returns how much of the step's progress share its batches reported. */
function executeSql(step: MigrationPlanStep, ctx: StepContext, share: number): number {
  const { db, index, count } = ctx;
  let given = 0;
  for (const chunk of parseChunks(step.sql)) {
    if (chunk.kind === 'sql') {
      db.exec(chunk.sql);
      continue;
    }
    const total = Number(db.prepare(chunk.totalSql).pluck().get() ?? 0);
    const statement = db.prepare(chunk.sql);
    let done = 0;
    for (;;) {
      throwIfCancelled(ctx.cancel, 'The migration run');
      const { changes } = statement.run();
      if (changes === 0) break;
      done += changes;
      // Batches fill 90% of the step's share in proportion to the rows done.
      const increment = total > 0 ? (share * 0.9 * Math.min(changes, total)) / total : 0;
      given += increment;
      ctx.onProgress?.({
        phase: 'populate',
        message: `${verb(step)} ${index + 1}/${count}: ${describe(step.name)} (${formatCount(done)} of ${formatCount(total)} files)`,
        done,
        total,
        step: index + 1,
        totalSteps: count,
        increment,
      });
    }
  }
  return Math.min(given, share);
}

function verb(step: MigrationPlanStep): string {
  return step.direction === 'up' ? 'Migrating' : 'Rolling back';
}

/** `add_fts_index` → `add FTS index`, as a progress message shows it. */
export function describe(name: string): string {
  return name.replace(/_/g, ' ').replace(/\bfts\b/g, 'FTS');
}
