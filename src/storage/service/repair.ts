/** The way out of every refusal: accept changed checksums, or move a broken file aside and rebuild. */
import { moveAside } from '../database/quarantine.ts';
import { newerRefusal } from '../policy.ts';
import type { RepairResult } from '../types.ts';
import { health } from './health.ts';
import { migrate } from './migrate.ts';
import type { ServiceState } from './state.ts';

/** The health checks whose failure a rebuild fixes. */
const REBUILD_FIXES = ['integrity', 'foreign-keys', 'schema-objects', 'checksums'];

/**
 * With `acceptChecksums`, records the current checksums of applied migrations whose files
 * changed on purpose. Otherwise, when the file is damaged, drifted or its history does not
 * match, moves it aside (never deletes it) and builds a new one.
 */
export async function repair(
  state: ServiceState,
  o: { acceptChecksums?: boolean },
): Promise<RepairResult> {
  // A read-only file is not damaged: moving it aside would not help, and health says why.
  if (state.readOnlyReason) throw state.readOnlyReason;
  const newer = newerRefusal(state.manager.status());
  if (newer) throw newer;
  if (o.acceptChecksums) return acceptChecksums(state);
  const broken = health(state, {}).checks.filter(
    (c) => c.status === 'unhealthy' && REBUILD_FIXES.includes(c.name),
  );
  if (broken.length === 0 && !state.blocked) {
    return { action: 'none', message: 'The database is healthy; nothing to repair.' };
  }
  state.db.close();
  const movedTo = moveAside(state.path, 'repair');
  state.reopen();
  await migrate(state, {});
  const message = `Moved the old database to ${movedTo} (${broken.map((c) => c.name).join(', ')}) and created a new one at schema version ${state.manager.status().currentVersion}. Re-index the workspace to fill it.`;
  state.logger.warn(message);
  return { action: 'moved-aside', movedTo, message };
}

function acceptChecksums(state: ServiceState): RepairResult {
  const accepted = state.manager.acceptChecksums();
  return {
    action: accepted.length ? 'checksums-accepted' : 'none',
    acceptedVersions: accepted,
    message: accepted.length
      ? `Accepted the current checksums of migration(s) ${accepted.join(', ')}; both sums are in the audit table.`
      : 'No applied migration has a changed checksum; nothing to accept.',
  };
}

/** The repair of a file the open already moved aside: migrate the new one and say where the old went. */
export async function repairMovedAside(
  state: ServiceState,
  notice: { movedTo: string; message: string },
): Promise<RepairResult> {
  await migrate(state, {});
  return {
    action: 'moved-aside',
    movedTo: notice.movedTo,
    message: `${notice.message} Re-index the workspace to fill it.`,
  };
}
