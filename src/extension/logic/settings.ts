/**
 * The extension's settings as plain values: how raw `codeidx.*` values become a folder's
 * settings, and what follows from them. No `vscode` here: config.ts reads the values.
 */
import { isAbsolute, resolve } from 'node:path';
import { backupFolder } from '../../storage/backup/names.ts';
import { DEFAULT_DATABASE_PATH } from '../../storage/database/location.ts';
import type { ClientOptions } from '../../storage/worker/client.ts';

export { DEFAULT_DATABASE_PATH };

/** The settings of one folder, read fresh each time (changes apply without a reload). */
export interface FolderSettings {
  databasePath: string;
  autoMigrate: boolean;
  backupBeforeMigration: boolean;
  backupKeep: number;
  backupDirectory: string | undefined;
  offerGitignore: boolean;
  /** Read-only worker threads beside the writer (`codeidx.readPool.size`). */
  readPoolSize: number;
  readPoolQueueLimit: number;
  readTimeoutSeconds: number;
  /** WAL size that triggers a checkpoint and truncate after a write (`codeidx.checkpoint.walLimitMiB`). */
  walLimitMiB: number;
}

/** Settings whose change reopens a folder's database. */
export const REOPEN_SETTINGS = [
  'codeidx.databasePath',
  'codeidx.backup.beforeMigration',
  'codeidx.backup.keep',
  'codeidx.backup.directory',
  'codeidx.readPool.size',
  'codeidx.readPool.queueLimit',
  'codeidx.readPool.timeoutSeconds',
  'codeidx.checkpoint.walLimitMiB',
];

/** Reads one `codeidx.*` setting (the key without the prefix), `fallback` when it is not set. */
export type SettingReader = <T>(key: string, fallback: T) => T;

/**
 * A folder's settings from its raw values: paths resolved against the folder `root`, numbers
 * clamped to the ranges package.json declares (a hand-edited settings.json can hold anything).
 */
export function settingsFrom(root: string, get: SettingReader): FolderSettings {
  const inFolder = (p: string): string => (isAbsolute(p) ? p : resolve(root, p));
  const dir = get<string>('backup.directory', '').trim();
  return {
    databasePath: inFolder(
      get<string>('databasePath', DEFAULT_DATABASE_PATH) || DEFAULT_DATABASE_PATH,
    ),
    autoMigrate: get<boolean>('autoMigrate', true),
    backupBeforeMigration: get<boolean>('backup.beforeMigration', true),
    backupKeep: Math.max(1, Math.floor(get<number>('backup.keep', 5))),
    backupDirectory: dir ? inFolder(dir) : undefined,
    offerGitignore: get<boolean>('offerGitignore', true),
    readPoolSize: clampInt(get<number>('readPool.size', 2), 0, 8),
    readPoolQueueLimit: clampInt(get<number>('readPool.queueLimit', 1000), 1, 1_000_000),
    readTimeoutSeconds: clampInt(get<number>('readPool.timeoutSeconds', 30), 0, 86_400),
    walLimitMiB: clampInt(get<number>('checkpoint.walLimitMiB', 64), 0, 1_000_000),
  };
}

/** `value` as an integer in [min, max]; anything that is not a finite number becomes `min`. */
export function clampInt(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.floor(value))) : min;
}

/** The worker pool's part of the settings: the client's options and the writer's checkpoint policy. */
export function poolSettings(settings: FolderSettings): {
  client: Pick<ClientOptions, 'readers' | 'maxQueue' | 'readTimeoutMs'>;
  walTruncateBytes: number;
} {
  return {
    client: {
      readers: settings.readPoolSize,
      maxQueue: settings.readPoolQueueLimit,
      readTimeoutMs: settings.readTimeoutSeconds * 1000,
    },
    walTruncateBytes: settings.walLimitMiB * 1024 * 1024,
  };
}

/** A folder's backup folder, by the core's one rule (`backupFolder`) over its settings. */
export function backupDirOf(settings: FolderSettings): string {
  return backupFolder(settings.databasePath, settings.backupDirectory);
}
