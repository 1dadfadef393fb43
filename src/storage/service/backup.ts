/** Backups of the open database and restoring one in its place. */
import { resolve } from 'node:path';
import { createBackup, restoreBackup } from '../backup/index.ts';
import { requireEncryptionKey } from '../backup/crypto.ts';
import type { BackupResult, ProgressListener, RestoreResult } from '../types.ts';
import type { ServiceState } from './state.ts';

/**
 * A verified backup, into the backup folder (rotated) or to `out`. Encrypted when asked, or
 * by default when a key is set; asking for encryption without a key is INVALID_ARGUMENT.
 */
export async function backup(
  state: ServiceState,
  o: { out?: string; encrypt?: boolean; onProgress?: ProgressListener },
): Promise<BackupResult> {
  const { options } = state;
  if (o.encrypt) requireEncryptionKey(options.backupKey);
  return state.resilience.execute(() =>
    createBackup(state.db, {
      dbPath: state.path,
      out: o.out,
      dir: options.backupDir,
      keep: options.backupKeep,
      key:
        o.encrypt || (o.encrypt === undefined && options.backupKey) ? options.backupKey : undefined,
      logger: state.logger,
      onProgress: o.onProgress,
    }),
  );
}

/**
 * Replaces the database with a verified backup; the replaced file is kept beside it. The swap
 * waits for the write lock like every writer (another process's import or migration finishes
 * first); this service's own connection is closed around it and reopened on the restored file.
 */
export async function restore(
  state: ServiceState,
  file: string,
  o: { onProgress?: ProgressListener },
): Promise<RestoreResult> {
  if (state.readOnlyReason) throw state.readOnlyReason;
  state.db.pragma('wal_checkpoint(TRUNCATE)');
  state.db.close();
  try {
    return await restoreBackup({
      dbPath: state.path,
      file: resolve(file),
      key: state.options.backupKey,
      keep: state.options.backupKeep,
      busyTimeoutMs: state.options.busyTimeoutMs,
      logger: state.logger,
      onProgress: o.onProgress,
    });
  } finally {
    state.reopen();
  }
}
