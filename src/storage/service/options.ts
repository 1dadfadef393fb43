import type { Logger } from '../log.ts';
import type { CancelFlag, ProgressListener } from '../types.ts';

export interface ServiceOptions {
  /** A folder; the database is `<workspace>/.vscode/codeidx.db`. */
  workspace?: string;
  /** An explicit database file; wins over `workspace`. */
  dbPath?: string;
  /** Run pending migrations on open (default true; never with `readOnly`). */
  migrate?: boolean;
  /**
   * Move a damaged file (or, at the database's own path, another program's) aside and create a
   * new one. Only for callers the user asked to do that: `repair`, and the extension's open,
   * which says so in a notification. Default false: open throws CORRUPT or FOREIGN_DATABASE and
   * leaves the file exactly as it is.
   */
  recover?: boolean;
  /**
   * For read-only commands (status, health, search): the connection is read-only, nothing is
   * created, migrated or moved, and a missing database is NO_DATABASE with the way to create one.
   */
  readOnly?: boolean;
  /** Take a verified backup before a migration run or rollback when the database holds data (default true). */
  autoBackup?: boolean;
  backupKeep?: number;
  backupDir?: string;
  /** Passphrase for AES-256-GCM backups. */
  backupKey?: string;
  logger?: Logger;
  onProgress?: ProgressListener;
  cancel?: CancelFlag;
  busyTimeoutMs?: number;
  /** For tests: another migrations folder. Never taken from the workspace. */
  migrationsDir?: string;
}
