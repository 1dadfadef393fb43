import * as vscode from 'vscode';
import { CodeidxError } from '../../storage/errors.ts';
import { planTarget, type TargetPlan } from '../../storage/policy.ts';
import type { MigrationRunResult } from '../../storage/types.ts';
import type { FolderDatabase } from '../folder.ts';
import { rollbackChoices } from '../logic/rollback.ts';
import { backupDirOf } from '../logic/settings.ts';
import {
  confirm,
  guarded,
  pickFolder,
  type CommandHandler,
  type CommandOptions,
} from './shared.ts';

/**
 * Going down a version (Roll Back, or Migrate to a lower target): the core's question and what
 * it removes, a modal yes, then the run.
 */
export async function rollBack(
  db: FolderDatabase,
  plan: TargetPlan,
  o: CommandOptions,
): Promise<MigrationRunResult | undefined> {
  return guarded(db, 'Rollback', async () => {
    const backupNote = db.settings.backupBeforeMigration
      ? `If it holds data, a verified backup is taken first, into ${backupDirOf(db.settings)} (codeidx.backup.keep: ${db.settings.backupKeep}).`
      : 'Automatic backups are off (codeidx.backup.beforeMigration): no backup is taken.';
    const ok = await confirm(
      o,
      `${db.name}: ${plan.confirm!.question}`,
      `${plan.confirm!.detail} ${backupNote}`,
      'Roll Back',
    );
    if (!ok) return undefined;
    const client = db.need();
    const result = await db.withProgress(
      'Rolling back',
      (c) => client.rollback({ to: plan.toVersion }, c),
      o,
    );
    void vscode.window.showInformationMessage(
      `CodeIdx (${db.name}): rolled back to version ${result.toVersion} in ${Math.round(result.totalMs)} ms.${result.backup ? ` Backup: ${result.backup}` : ''}`,
    );
    return result;
  });
}

/** CodeIdx: Roll Back Migrations… — `o.target` or a picked version below the current one. */
export const rollback: CommandHandler = async (host, o) => {
  const db = await pickFolder(host, o);
  if (!db) return undefined;
  const status = await guarded(db, 'Rollback', () => db.need().status());
  if (!status) return undefined;
  if (status.currentVersion === 0) {
    void vscode.window.showInformationMessage(
      `CodeIdx (${db.name}): the database is at version 0; there is nothing to roll back.`,
    );
    return undefined;
  }
  let target = o.target;
  if (target === undefined) {
    const pick = await vscode.window.showQuickPick(rollbackChoices(status), {
      title: `Roll back ${db.name} from version ${status.currentVersion} to…`,
      placeHolder: 'The target version; every migration above it is undone',
    });
    if (!pick) return undefined;
    target = pick.version;
  }
  const to = target;
  const plan = await guarded(db, 'Rollback', () => {
    const p = planTarget(status, to);
    if (p.direction !== 'down') {
      throw new CodeidxError(
        'INVALID_ARGUMENT',
        `Cannot roll back from version ${status.currentVersion} to ${to}.`,
        { hint: `Pick a version from 0 to ${status.currentVersion - 1}.` },
      );
    }
    return p;
  });
  if (!plan) return undefined;
  return rollBack(db, plan, o);
};
