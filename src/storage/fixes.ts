/**
 * The fixes the core names, declared once. A health check or a refusal carries one of these;
 * the CLI prints `cli`, the extension offers `title` as a button that runs `command`.
 */
import type { Fix } from './types.ts';

export const REPAIR: Fix = {
  cli: 'codeidx repair',
  command: 'codeidx.repair',
  title: 'Repair (move aside and rebuild)',
};
export const ACCEPT_CHECKSUMS: Fix = {
  cli: 'codeidx repair --accept-checksums',
  command: 'codeidx.repair',
  title: 'Accept the new checksums',
};
export const MIGRATE: Fix = {
  cli: 'codeidx migrate',
  command: 'codeidx.migrate',
  title: 'Run pending migrations',
};
export const CREATE: Fix = {
  cli: 'codeidx migrate',
  command: 'codeidx.migrate',
  title: 'Create the database',
};
export const REBUILD_FTS: Fix = {
  cli: 'codeidx rebuild-fts',
  command: 'codeidx.rebuildFts',
  title: 'Rebuild the full-text index',
};
export const BACKUP: Fix = {
  cli: 'codeidx backup',
  command: 'codeidx.backup',
  title: 'Back up now',
};
export const CHECK_HEALTH: Fix = {
  cli: 'codeidx health',
  command: 'codeidx.checkHealth',
  title: 'Check Health',
};
/** The log: VS Code's output channel; the CLI writes it to stderr when CODEIDX_LOG is set. */
export const SHOW_LOG: Fix = {
  cli: 'CODEIDX_LOG=debug codeidx …',
  command: 'codeidx.showLog',
  title: 'Show Log',
};
export const SET_BACKUP_KEY: Fix = {
  cli: 'export CODEIDX_BACKUP_KEY=…',
  command: 'codeidx.setBackupKey',
  title: 'Set Backup Encryption Key',
};

/** Making files writable again is the user's shell's job: no codeidx command does it. */
export function makeWritable(paths: string[]): Fix {
  return {
    cli: `chmod u+w ${paths.map(shellQuote).join(' ')}`,
    title: 'Make the files writable',
  };
}

function shellQuote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
