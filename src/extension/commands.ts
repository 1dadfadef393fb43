/**
 * The Command Palette commands (category "CodeIdx"). Each takes one optional options object so
 * that the status item, notifications, tests and other extensions can run it without dialogs:
 * `{ folder, target, confirm, file, key, signal }`; whatever is missing is asked for.
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { CodeidxError, toCodeidxError } from '../storage/errors.ts';
import { planTarget, type TargetPlan } from '../storage/policy.ts';
import { backupDirOf } from './config.ts';
import { SECRET_BACKUP_KEY, type Codeidx } from './extension.ts';
import type { FolderDatabase } from './folder.ts';
import { addToGitignore } from './gitignore.ts';
import { showFailure } from './notify.ts';
import { formatBytes, healthMarkdown, migrationStatusMarkdown } from './reports.ts';
import type { MigrationRunResult } from '../storage/types.ts';

export interface CommandOptions {
  /** The workspace folder (a Uri or its path); asked for in a multi-root workspace. */
  folder?: vscode.Uri | string;
  /** Rollback / migrate: the version to end at. */
  target?: number;
  /** true answers the modal confirmation; false declines it. */
  confirm?: boolean;
  /** Restore: the backup file. */
  file?: string;
  /** Set Backup Encryption Key: the passphrase ('' removes it). */
  key?: string;
  /** Repair: accept changed checksums of applied migrations instead of rebuilding. */
  acceptChecksums?: boolean;
  /** Aborting cancels the run, as the notification's Cancel button does. */
  signal?: AbortSignal;
}

function options(arg: unknown): CommandOptions {
  if (arg instanceof vscode.Uri) return { folder: arg };
  return arg && typeof arg === 'object' ? (arg as CommandOptions) : {};
}

const NEED_FOLDER =
  'CodeIdx keeps one database per folder: open a folder (File > Open Folder) or add one to the workspace first.';

/** The folder a command works on: given, the only one, or picked. Undefined after explaining why not. */
async function pickFolder(ext: Codeidx, o: CommandOptions): Promise<FolderDatabase | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void vscode.window.showInformationMessage(NEED_FOLDER);
    return undefined;
  }
  if (!ext.trusted) {
    void vscode.window
      .showWarningMessage(
        'CodeIdx is off in restricted mode: trust this workspace to let it open its database.',
        'Manage Workspace Trust',
      )
      .then((pick) => pick && vscode.commands.executeCommand('workbench.trust.manage'));
    return undefined;
  }
  let folder: vscode.WorkspaceFolder | undefined;
  if (o.folder) {
    const uri = typeof o.folder === 'string' ? vscode.Uri.file(o.folder) : o.folder;
    folder = vscode.workspace.getWorkspaceFolder(uri);
  } else if (folders.length === 1) {
    folder = folders[0];
  } else {
    folder = await vscode.window.showWorkspaceFolderPick({
      placeHolder: 'Which folder\u2019s CodeIdx database?',
    });
  }
  if (!folder) return undefined;
  const db = ext.get(folder.uri);
  if (!db) {
    void vscode.window.showWarningMessage(`CodeIdx has no database open for ${folder.name}.`);
    return undefined;
  }
  await db.start();
  return db;
}

async function confirm(
  o: CommandOptions,
  message: string,
  detail: string,
  button: string,
): Promise<boolean> {
  if (o.confirm !== undefined) return o.confirm;
  const pick = await vscode.window.showWarningMessage(message, { modal: true, detail }, button);
  return pick === button;
}

/** Runs a command body; a failure becomes the failure notification, and the item refreshes. */
async function guarded<T>(
  db: FolderDatabase,
  what: string,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  try {
    const result = await fn();
    db.clearFailure();
    return result;
  } catch (err) {
    const error = toCodeidxError(err);
    if (error.code === 'CANCELLED') {
      void vscode.window.showInformationMessage(
        `CodeIdx (${db.name}): ${what} cancelled; nothing was changed.`,
      );
    } else {
      db.fail(error, what);
    }
    return undefined;
  } finally {
    await db.refresh();
  }
}

/** Going down a version: the core's question and what it removes, a modal yes, then the run. */
async function rollBack(
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

export function registerCommands(ext: Codeidx): vscode.Disposable[] {
  const reg = (id: string, fn: (o: CommandOptions) => unknown): vscode.Disposable =>
    vscode.commands.registerCommand(id, (arg: unknown) => fn(options(arg)));

  return [
    reg('codeidx.showLog', () => ext.channel.show(true)),

    reg('codeidx.showMigrationStatus', async (o) => {
      const db = await pickFolder(ext, o);
      if (!db) return undefined;
      return guarded(db, 'Show migration status', async () => {
        const status = await db.need().status();
        await ext.reports.show(
          `migration-status-${db.name}`,
          migrationStatusMarkdown(db.name, db.opened?.path ?? db.settings.databasePath, status),
        );
        return status;
      });
    }),

    reg('codeidx.migrate', async (o) => {
      const db = await pickFolder(ext, o);
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
    }),

    reg('codeidx.rollback', async (o) => {
      const db = await pickFolder(ext, o);
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
        const items = [];
        for (let v = status.currentVersion - 1; v >= 0; v--)
          items.push({
            label: v === 0 ? 'Version 0 (empty database)' : `Version ${v}`,
            description: `removes ${planTarget(status, v)
              .steps.map((m) => `${String(m.version).padStart(3, '0')} ${m.name}`)
              .join(', ')}`,
            version: v,
          });
        const pick = await vscode.window.showQuickPick(items, {
          title: `Roll back ${db.name} from version ${status.currentVersion} to…`,
          placeHolder: 'The target version; every migration above it is undone',
        });
        if (!pick) return undefined;
        target = pick.version;
      }
      const to = target;
      const plan = await guarded(db, 'Rollback', async () => {
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
    }),

    reg('codeidx.rebuildFts', async (o) => {
      const db = await pickFolder(ext, o);
      if (!db) return undefined;
      return guarded(db, 'Rebuild of the full-text index', async () => {
        const client = db.need();
        const result = await db.withProgress(
          'Rebuilding the full-text index',
          (c) => client.rebuildFts({}, c),
          o,
        );
        void vscode.window.showInformationMessage(
          `CodeIdx (${db.name}): rebuilt the full-text index: ${result.rows.toLocaleString('en-US')} files in ${Math.round(result.ms)} ms.`,
        );
        return result;
      });
    }),

    reg('codeidx.backup', async (o) => {
      const db = await pickFolder(ext, o);
      if (!db) return undefined;
      return guarded(db, 'Backup', async () => {
        const client = db.need();
        const result = await db.withProgress('Backing up', (c) => client.backup({}, c), o, false);
        void vscode.window
          .showInformationMessage(
            `CodeIdx (${db.name}): backed up to ${result.path} (${formatBytes(result.bytes)}, verified${result.encrypted ? ', encrypted' : ''}, ${Math.round(result.ms)} ms).`,
            'Reveal',
            'Copy Path',
          )
          .then(async (pick) => {
            if (pick === 'Reveal')
              await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(result.path));
            if (pick === 'Copy Path') await vscode.env.clipboard.writeText(result.path);
          });
        return result;
      });
    }),

    reg('codeidx.setBackupKey', async (o) => {
      let key = o.key;
      if (key === undefined) {
        key = await vscode.window.showInputBox({
          title: 'CodeIdx: Backup Encryption Key',
          prompt:
            'Backups are encrypted with AES-256-GCM using this passphrase. It is kept in VS Code\u2019s secret storage, never in settings. Keep a copy: an encrypted backup cannot be restored without it. Leave empty to remove the key.',
          password: true,
          ignoreFocusOut: true,
          validateInput: (v) => (v && v.length < 8 ? 'Use at least 8 characters.' : undefined),
        });
        if (key === undefined) return undefined;
      }
      if (key) await ext.context.secrets.store(SECRET_BACKUP_KEY, key);
      else await ext.context.secrets.delete(SECRET_BACKUP_KEY);
      ext.logger.info(
        key
          ? 'Backup encryption key set; new backups are encrypted.'
          : 'Backup encryption key removed.',
      );
      void vscode.window.showInformationMessage(
        key
          ? 'CodeIdx: backups are encrypted from now on. Keep a copy of the key: restoring an encrypted backup needs it.'
          : 'CodeIdx: backup encryption key removed; new backups are not encrypted.',
      );
      await ext.reopen();
      return Boolean(key);
    }),

    reg('codeidx.restore', async (o) => {
      const db = await pickFolder(ext, o);
      if (!db) return undefined;
      return guarded(db, 'Restore', async () => {
        let file = o.file;
        if (!file) {
          const picked = await vscode.window.showOpenDialog({
            title: `Restore ${db.name}'s CodeIdx database from…`,
            defaultUri: vscode.Uri.file(backupDirOf(db.settings)),
            canSelectMany: false,
            openLabel: 'Restore',
          });
          if (!picked?.[0]) return undefined;
          file = picked[0].fsPath;
        }
        const ok = await confirm(
          o,
          `Replace ${db.name}'s CodeIdx database with ${basename(file)}?`,
          'The backup is verified before anything is replaced. The current database is kept beside it, not deleted.',
          'Restore',
        );
        if (!ok) return undefined;
        const client = db.need();
        const from = file;
        const result = await db.withProgress(
          'Restoring',
          (c) => client.restore({ file: from }, c),
          o,
          false,
        );
        void vscode.window.showInformationMessage(
          `CodeIdx (${db.name}): restored from ${basename(result.restoredFrom)} (schema version ${result.schemaVersion}).${result.previous ? ` The previous database is kept at ${result.previous}.` : ''}`,
        );
        return result;
      });
    }),

    reg('codeidx.checkHealth', async (o) => {
      const db = await pickFolder(ext, o);
      if (!db) return undefined;
      if (!db.client || db.client.closed) {
        const error = db.state.error;
        if (error) void showFailure(db, error);
        return undefined;
      }
      return guarded(db, 'Health check', async () => {
        const client = db.need();
        const report = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: `CodeIdx: checking ${db.name}` },
          () => client.health({ full: true }),
        );
        await ext.reports.show(`health-${db.name}`, healthMarkdown(db.name, report));
        const fixes = report.checks.filter((c) => c.status !== 'healthy' && c.fix?.command);
        const summary = `CodeIdx (${db.name}): ${report.status}.`;
        if (fixes.length === 0) {
          void vscode.window.showInformationMessage(
            `${summary} ${report.checks.length} checks passed.`,
          );
        } else {
          const titles = [...new Set(fixes.map((c) => c.fix!.title))];
          const failing = fixes.map((c) => c.message).join(' ');
          const show =
            report.status === 'unhealthy'
              ? vscode.window.showErrorMessage
              : vscode.window.showWarningMessage;
          void show(`${summary} ${failing}`, ...titles).then(async (pick) => {
            const fix = fixes.find((c) => c.fix!.title === pick)?.fix;
            if (fix?.command)
              await vscode.commands.executeCommand(fix.command, { folder: db.folder.uri });
          });
        }
        return report;
      });
    }),

    reg('codeidx.repair', async (o) => {
      const db = await pickFolder(ext, o);
      if (!db) return undefined;
      return guarded(db, 'Repair', async () => {
        const ok =
          o.acceptChecksums ||
          (await confirm(
            o,
            `Repair ${db.name}'s CodeIdx database?`,
            'If the database is damaged or its schema was changed, it is moved aside (kept, not deleted) and a new one is created; the index then needs to be filled again.',
            'Repair',
          ));
        if (!ok) return undefined;
        const result = await db.need().repair({ acceptChecksums: o.acceptChecksums });
        void vscode.window.showInformationMessage(`CodeIdx (${db.name}): ${result.message}`);
        return result;
      });
    }),

    reg('codeidx.addToGitignore', async (o) => {
      const db = await pickFolder(ext, o);
      if (!db) return undefined;
      const added = addToGitignore(db, ext.logger);
      void vscode.window.showInformationMessage(
        added.length
          ? `CodeIdx (${db.name}): added ${added.join(', ')} to .gitignore.`
          : `CodeIdx (${db.name}): .gitignore already lists the database files.`,
      );
      return added;
    }),
  ];
}
