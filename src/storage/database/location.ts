import { resolve } from 'node:path';

/**
 * Where a workspace keeps its database, relative to the folder: the CLI's default and the
 * default of the extension's `codeidx.databasePath` setting. Forward slashes work on every platform.
 */
export const DEFAULT_DATABASE_PATH = '.vscode/codeidx.db';

/** The database path: `dbPath` when given, else `<workspace or cwd>/.vscode/codeidx.db`; absolute. */
export function resolveDatabasePath(options: { workspace?: string; dbPath?: string }): string {
  if (options.dbPath) return resolve(options.dbPath);
  return resolve(options.workspace ?? process.cwd(), DEFAULT_DATABASE_PATH);
}
