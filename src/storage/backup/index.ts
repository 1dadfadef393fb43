/**
 * Backups of a codeidx database: create (an online `VACUUM INTO` snapshot, verified, rotated,
 * optionally encrypted), list, verify and restore (verified, then swapped in atomically), and the
 * recovery every open runs first. One file per part; this index is the public surface.
 */
export {
  BACKUP_DIR_NAME,
  DEFAULT_KEEP,
  backupFileName,
  backupFolder,
  parseBackupName,
} from './names.ts';
export { lastBackup, listBackups, listReplaced, type BackupInfo } from './catalogue.ts';
export { createBackup, type CreateBackupOptions } from './create.ts';
export { verifyBackup } from './verify.ts';
export { finishInterruptedRestore, restoreBackup, type RestoreOptions } from './restore.ts';
export { recoverDatabaseFiles, type RecoverOptions, type RecoverResult } from './recover.ts';
