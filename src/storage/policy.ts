/**
 * The core's rules over plain data, shared by the service, the CLI and the extension (which
 * reaches the database only through the worker, so these take a status, not a connection).
 * Nothing here touches a file.
 */
import { CodeidxError } from './errors.ts';
import type { MigrationStatus } from './types.ts';

/** What moving the schema to a target version does, and whether it needs the user's yes. */
export interface TargetPlan {
  direction: 'up' | 'down' | 'none';
  fromVersion: number;
  toVersion: number;
  /** The migrations applied (up) or undone (down), in the order they run. */
  steps: { version: number; name: string }[];
  /**
   * Present when going down: it removes tables and their data, so nothing runs until the user
   * says yes (`--yes` in the CLI, a modal dialog in VS Code). Going up never asks.
   */
  confirm?: { question: string; detail: string };
}

/**
 * Plans `migrate --to N` (default: the latest). A target below the current version is a
 * rollback, and asks like one; a version that does not exist is INVALID_ARGUMENT, and a
 * database newer than this build is DATABASE_NEWER.
 */
export function planTarget(status: MigrationStatus, to?: number): TargetPlan {
  // Every target is "down" from a newer schema; it is refused, never planned.
  const newer = newerRefusal(status);
  if (newer) throw newer;
  const from = status.currentVersion;
  const target = to ?? status.latestVersion;
  if (!Number.isInteger(target) || target < 0 || target > status.latestVersion) {
    throw new CodeidxError('INVALID_ARGUMENT', `Target version ${target} does not exist.`, {
      hint: `Choose a version from 0 to ${status.latestVersion}.`,
      details: { target, latestVersion: status.latestVersion },
    });
  }
  if (target < from) {
    const steps = status.applied
      .filter((m) => m.version > target && m.version <= from)
      .sort((a, b) => b.version - a.version)
      .map(({ version, name }) => ({ version, name }));
    const removes = steps.map((m) => `${String(m.version).padStart(3, '0')} ${m.name}`).join(', ');
    return {
      direction: 'down',
      fromVersion: from,
      toVersion: target,
      steps,
      confirm: {
        question: `Roll back from version ${from} to ${target}?`,
        detail: `This undoes ${removes || 'nothing'}, removing the tables they created and the data in them.`,
      },
    };
  }
  const steps = status.pending
    .filter((m) => m.version <= target)
    .map(({ version, name }) => ({ version, name }));
  return {
    direction: steps.length ? 'up' : 'none',
    fromVersion: from,
    toVersion: steps.length ? target : from,
    steps,
  };
}

/** Whether opening a folder runs its pending migrations by itself: only when nothing is wrong. */
export function shouldAutoMigrate(status: MigrationStatus, enabled: boolean): boolean {
  return enabled && status.pending.length > 0 && status.problems.length === 0;
}

/**
 * The one refusal for a database migrated by a newer build: it is read, never written. Every
 * write (migrate, rollback, import, rebuild, maintenance, repair) throws this same error.
 */
export function newerRefusal(status: Pick<MigrationStatus, 'problems'>): CodeidxError | undefined {
  const newer = status.problems.find((p) => p.kind === 'database-newer');
  if (!newer) return undefined;
  return new CodeidxError(
    'DATABASE_NEWER',
    `${newer.message} codeidx reads it but never writes to it.`,
    {
      hint: 'Update codeidx (the extension or the CLI); the database was left as it is.',
      details: { problems: status.problems, refusedVersion: newer.version },
    },
  );
}
