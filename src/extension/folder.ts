import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { DatabaseClient, type CallOptions } from '../storage/worker/client.ts';
import { CodeidxError, toCodeidxError } from '../storage/errors.ts';
import type { Logger } from '../storage/log.ts';
import { newerRefusal, shouldAutoMigrate } from '../storage/policy.ts';
import type { OpenResult } from '../storage/worker/protocol.ts';
import type { MigrationRunResult, ProgressEvent } from '../storage/types.ts';
import { folderSettings } from './config.ts';
import { offerGitignore } from './gitignore.ts';
import { stateFromHealth, type FolderState } from './logic/status.ts';
import { poolSettings, type FolderSettings } from './logic/settings.ts';
import { showFailure } from './notify.ts';

/** What a folder's database needs from the extension around it. */
export interface FolderHost {
  logger: Logger;
  context: vscode.ExtensionContext;
  backupKey(): Promise<string | undefined>;
  changed(db: FolderDatabase): void;
}

/** Options the commands accept, so tests (and other extensions) can run them without dialogs. */
export interface RunOptions {
  signal?: AbortSignal;
}

/**
 * One workspace folder's database: its worker client, its state for the status item, the
 * automatic migration on open, and a watcher that notices other processes' changes.
 */
export class FolderDatabase implements vscode.Disposable {
  readonly folder: vscode.WorkspaceFolder;
  client: DatabaseClient | undefined;
  opened: OpenResult | undefined;
  settings: FolderSettings;
  /** Background indexing is writing: its WAL changes are ours, not another process's. */
  backgroundWork = false;
  private current: FolderState = { kind: 'starting', message: 'Opening the database…' };
  private activity: string | undefined;
  private failure: CodeidxError | undefined;
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private disposed = false;
  private starting: Promise<void> | undefined;

  private readonly host: FolderHost;

  constructor(folder: vscode.WorkspaceFolder, host: FolderHost) {
    this.folder = folder;
    this.host = host;
    this.settings = folderSettings(folder);
  }

  get state(): FolderState {
    if (this.activity) return { ...this.current, kind: 'working', message: this.activity };
    return this.current;
  }

  get name(): string {
    return this.folder.name;
  }

  /** Opens the database and, when migrations are pending and autoMigrate is on, runs them. */
  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const { logger } = this.host;
    const t0 = performance.now();
    this.settings = folderSettings(this.folder);
    this.setActivity('Opening the database…');
    try {
      const { client, opened } = await DatabaseClient.open(
        {
          // With the folder given, a default path that a symlink leads outside it is refused.
          workspace: this.folder.uri.fsPath,
          dbPath: this.settings.databasePath,
          autoBackup: this.settings.backupBeforeMigration,
          backupKeep: this.settings.backupKeep,
          backupDir: this.settings.backupDirectory,
          backupKey: await this.host.backupKey(),
          nativeBinding: process.env.CODEIDX_NATIVE_BINDING || undefined,
          walTruncateBytes: poolSettings(this.settings).walTruncateBytes,
        },
        { logger, ...poolSettings(this.settings).client },
      );
      if (this.disposed) {
        await client.close();
        return;
      }
      this.client = client;
      this.opened = opened;
      logger.info(
        `${this.name}: opened ${opened.path} (schema ${opened.status.currentVersion} of ${opened.status.latestVersion}, SQLite ${opened.sqliteVersion})`,
      );
      this.watch(opened.path);
    } catch (err) {
      this.setActivity(undefined);
      this.fail(toCodeidxError(err), 'open');
      return;
    }
    this.setActivity(undefined);
    const opened = this.opened;
    const notice = opened.notice;
    if (notice) {
      void vscode.window
        .showWarningMessage(`CodeIdx (${this.name}): ${notice.message}`, 'Reveal Old File')
        .then((pick) => {
          if (pick)
            void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(notice.movedTo));
        });
    }
    if (opened.created && this.settings.offerGitignore) {
      void offerGitignore(this, this.host.context, this.host.logger);
    }
    const newer = newerRefusal(opened.status);
    if (newer) {
      this.fail(newer, 'open');
      return;
    }
    if (shouldAutoMigrate(opened.status, this.settings.autoMigrate)) {
      await this.migrate();
    } else {
      await this.refresh();
    }
    logger.info(`${this.name}: ${this.state.kind} after ${Math.round(performance.now() - t0)} ms.`);
  }

  /** Runs pending migrations (to `to`, default latest) under a cancellable notification progress. */
  async migrate(to?: number, options: RunOptions = {}): Promise<MigrationRunResult | undefined> {
    const client = this.need();
    const before = this.opened?.status.currentVersion;
    try {
      const result = await this.withProgress(
        'Migrating the database',
        (o) => client.migrate(to === undefined ? {} : { to }, o),
        options,
      );
      const note = result.backup ? ` A backup was taken first: ${result.backup}.` : '';
      if (result.steps.length) {
        this.host.logger.info(
          `${this.name}: migrated from version ${result.fromVersion} to ${result.toVersion} in ${Math.round(result.totalMs)} ms.${note}`,
        );
        vscode.window.setStatusBarMessage(
          `$(database) CodeIdx: ${this.name} migrated to version ${result.toVersion}`,
          5000,
        );
      }
      this.failure = undefined;
      return result;
    } catch (err) {
      const error = toCodeidxError(err);
      if (error.code === 'CANCELLED') {
        const status = await client.status().catch(() => undefined);
        void vscode.window.showInformationMessage(
          `CodeIdx (${this.name}): migration cancelled; nothing was changed (the database is still at version ${status?.currentVersion ?? before}).`,
        );
      } else {
        this.fail(error, 'migrate');
      }
      return undefined;
    } finally {
      await this.refresh();
    }
  }

  /**
   * Runs `fn` in the worker under a notification progress: the status item says "working",
   * progress events become the notification's messages and increments, and Cancel sets the
   * worker's cancel flag. The status item is refreshed afterwards.
   */
  async withProgress<T>(
    title: string,
    fn: (o: CallOptions) => Promise<T>,
    options: RunOptions = {},
    cancellable = true,
  ): Promise<T> {
    this.setActivity(`${title}…`);
    try {
      return await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `CodeIdx (${this.name})`,
          cancellable,
        },
        (progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
          if (options.signal?.aborted) controller.abort();
          progress.report({ message: `${title}…` });
          const onProgress = (e: ProgressEvent): void => {
            this.setActivity(e.message);
            progress.report({ message: e.message, increment: e.increment });
          };
          return fn({ signal: controller.signal, onProgress });
        },
      );
    } finally {
      this.setActivity(undefined);
    }
  }

  /** Re-reads health and size; the status item follows. */
  async refresh(): Promise<void> {
    const client = this.client;
    if (!client || client.closed) {
      this.host.changed(this);
      return;
    }
    try {
      const [report, info] = await Promise.all([client.health(), client.info()]);
      this.current = stateFromHealth(report, info, this.failure);
    } catch (err) {
      const error = toCodeidxError(err);
      this.host.logger.warn(`${this.name}: health check failed: ${error.message}`);
      this.current = { kind: 'broken', message: error.message, error };
    }
    this.host.changed(this);
  }

  /** Marks a successful action: a failure shown earlier no longer holds the item at "broken". */
  clearFailure(): void {
    this.failure = undefined;
  }

  /** Records a failure: the status item turns to broken and a notification offers the fixes. */
  fail(error: CodeidxError, during: string): void {
    this.failure = error;
    this.host.logger.error(`${this.name}: ${during} failed: ${error.message}`, {
      code: error.code,
      hint: error.hint,
    });
    this.current = { ...this.current, kind: 'broken', message: error.message, error };
    this.host.changed(this);
    void showFailure(this, error);
  }

  need(): DatabaseClient {
    if (this.client && !this.client.closed) return this.client;
    throw (
      this.failure ??
      new CodeidxError('INTERNAL', `The database of ${this.name} is not open.`, {
        hint: 'Run "CodeIdx: Check Health" or reload the window.',
      })
    );
  }

  /** The last progress messages shown (newest last), for the API and its tests. */
  readonly progressLog: string[] = [];

  private setActivity(activity: string | undefined): void {
    this.activity = activity;
    if (activity) {
      this.progressLog.push(activity);
      if (this.progressLog.length > 50) this.progressLog.shift();
    }
    this.host.changed(this);
  }

  /**
   * Another process (the CLI, another window) changing the file refreshes the status item. A
   * Node watcher on the database's folder: it works wherever the file lives (also outside the
   * workspace) and does not depend on the workbench's watcher exclusions.
   */
  private watch(path: string): void {
    this.watcher?.close();
    const base = basename(path);
    const names = new Set([base, `${base}-wal`]);
    const onEvent = (_event: string, filename: string | Buffer | null): void => {
      if (filename !== null && !names.has(String(filename))) return;
      // During our own work the refresh that follows it covers the change; reads make no events.
      if (this.activity || this.backgroundWork) return;
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => {
        this.host.logger.debug(`${this.name}: the database changed on disk; refreshing.`);
        void this.refresh();
      }, 300);
    };
    try {
      this.watcher = watch(dirname(path), { persistent: false }, onEvent);
      this.watcher.on('error', (err) =>
        this.host.logger.warn(`${this.name}: cannot watch the database: ${err.message}`),
      );
    } catch (err) {
      this.host.logger.warn(`${this.name}: cannot watch the database: ${String(err)}`);
    }
  }

  /** Closes the database and ends its worker. */
  async close(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
    await this.starting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.close();
  }

  dispose(): void {
    void this.close();
  }
}
