import * as vscode from 'vscode';
import { planTarget } from '../../storage/policy.ts';
import { rollBack } from './rollback.ts';
import { guarded, pickFolder, type CommandHandler } from './shared.ts';

/** CodeIdx: Run Pending Migrations — to the latest version, or to `o.target`. */
export const migrate: CommandHandler = async (host, o) => {
  const db = await pickFolder(host, o);
  if (!db) return undefined;
  if (o.target !== undefined) {
    // The core's rule: a target below the current version is a rollback and asks first.
    const plan = await guarded(db, 'Migrate', async () =>
      planTarget(await db.need().status(), o.target),
    );
    if (!plan) return undefined;
    if (plan.direction === 'down') return rollBack(db, plan, o);
  }
  const result = await db.migrate(o.target, { signal: o.signal });
  if (result && result.steps.length === 0)
    void vscode.window.showInformationMessage(
      `CodeIdx (${db.name}): the database is up to date (version ${result.toVersion}).`,
    );
  return result;
};
