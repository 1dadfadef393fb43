/** The choices of "Roll Back Migrations…". No `vscode` here: the command shows them. */
import { planTarget } from '../../storage/policy.ts';
import type { MigrationStatus } from '../../storage/types.ts';

export interface RollbackChoice {
  label: string;
  /** What going down to this version removes, e.g. `removes 003 prefix_index, 002 fts`. */
  description: string;
  version: number;
}

/**
 * One choice per version below the current one, nearest first, each naming the migrations it
 * undoes (the core's plan, so the list says what the rollback will do).
 */
export function rollbackChoices(status: MigrationStatus): RollbackChoice[] {
  const items: RollbackChoice[] = [];
  for (let v = status.currentVersion - 1; v >= 0; v--)
    items.push({
      label: v === 0 ? 'Version 0 (empty database)' : `Version ${v}`,
      description: `removes ${planTarget(status, v)
        .steps.map((m) => `${String(m.version).padStart(3, '0')} ${m.name}`)
        .join(', ')}`,
      version: v,
    });
  return items;
}
