// The table of commands: parsing, `codeidx --help`, per-command help and the README test read it.
import type { Command } from './command.ts';
import { backup } from './commands/backup.ts';
import { health } from './commands/health.ts';
import { importCommand } from './commands/import.ts';
import { index } from './commands/index.ts';
import { maintenance } from './commands/maintenance.ts';
import { migrate } from './commands/migrate.ts';
import { rebuildFts } from './commands/rebuild-fts.ts';
import { repair } from './commands/repair.ts';
import { restore } from './commands/restore.ts';
import { rollback } from './commands/rollback.ts';
import { search } from './commands/search.ts';
import { status } from './commands/status.ts';
import { symbols } from './commands/symbols.ts';

/** Every command, in the order `codeidx --help` lists them. */
export const COMMANDS: readonly Command[] = [
  index,
  search,
  symbols,
  migrate,
  status,
  rollback,
  backup,
  restore,
  health,
  repair,
  rebuildFts,
  maintenance,
  importCommand,
];

/** The command called `name`, if there is one. */
export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
