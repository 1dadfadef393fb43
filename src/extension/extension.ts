/**
 * CodeIdx for VS Code: one database per workspace folder, opened and migrated in a worker
 * thread, a status item for the active folder, and the commands of the "CodeIdx" category.
 */
import * as vscode from 'vscode';
import type { Logger } from '../storage/log.ts';
import { registerCommands, type CommandHost } from './commands/index.ts';
import { refreshIntervalSeconds } from './config.ts';
import { FolderDatabase, type FolderHost } from './folder.ts';
import { gitignoreOffered } from './gitignore.ts';
import { registerIndexCommands } from './indexCommands.ts';
import { FolderIndexer } from './indexing.ts';
import type { IndexSnapshot } from './logic/indexing.ts';
import { channelLogger } from './log.ts';
import { REOPEN_SETTINGS } from './logic/settings.ts';
import type { FolderState, StatusSnapshot } from './logic/status.ts';
import { REPORT_SCHEME, ReportProvider } from './reports.ts';
import { StatusItem } from './statusItem.ts';

export const SECRET_BACKUP_KEY = 'codeidx.backupKey';

/** What `activate` returns: read-only views for tests and other extensions. */
export interface CodeidxApi {
  /** Resolves when every folder's database has been opened (and migrated) or has failed. */
  ready(): Promise<void>;
  folders(): string[];
  state(folder?: vscode.Uri): FolderState | undefined;
  statusItem(): StatusSnapshot;
  /** The last progress messages a folder showed (what its notifications and status item said). */
  progressLog(folder: vscode.Uri): string[];
  trusted(): boolean;
  gitignoreOffered(folder: vscode.Uri): boolean;
  /** Closes and reopens a folder's database (all folders without an argument). */
  reopen(folder?: vscode.Uri): Promise<void>;
  /** What a folder's background indexer is doing. */
  index(folder: vscode.Uri): IndexSnapshot | undefined;
  /** Resolves when the folder's indexer has no run in progress. */
  indexIdle(folder: vscode.Uri): Promise<void>;
}

/** The extension's state: the open folders, the status item, the timers. */
export class Codeidx implements FolderHost, CommandHost, vscode.Disposable {
  readonly context: vscode.ExtensionContext;
  readonly channel: vscode.LogOutputChannel;
  readonly logger: Logger;
  readonly reports = new ReportProvider();
  readonly status = new StatusItem();
  private readonly dbs = new Map<string, FolderDatabase>();
  private readonly indexers = new Map<FolderDatabase, FolderIndexer>();
  private timer: NodeJS.Timeout | undefined;
  private lastFolder: string | undefined;

  constructor(context: vscode.ExtensionContext, channel: vscode.LogOutputChannel) {
    this.context = context;
    this.channel = channel;
    this.logger = channelLogger(channel);
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** The backup passphrase from SecretStorage; a keyring that cannot be read means no key. */
  async backupKey(): Promise<string | undefined> {
    try {
      return await this.context.secrets.get(SECRET_BACKUP_KEY);
    } catch (err) {
      this.logger.warn(`Cannot read the backup key from secret storage: ${String(err)}`);
      return undefined;
    }
  }

  async storeBackupKey(key: string | undefined): Promise<void> {
    if (key) await this.context.secrets.store(SECRET_BACKUP_KEY, key);
    else await this.context.secrets.delete(SECRET_BACKUP_KEY);
  }

  showLog(): void {
    this.channel.show(true);
  }

  showReport(name: string, markdown: string): Promise<vscode.TextDocument> {
    return this.reports.show(name, markdown);
  }

  changed(db: FolderDatabase): void {
    this.indexers.get(db)?.stateChanged();
    if (this.active() === db) this.render();
  }

  /** Opens every folder's database, unless the workspace is restricted. */
  start(): void {
    if (!this.trusted) {
      this.logger.info(
        'Restricted mode: CodeIdx opens no database until the workspace is trusted.',
      );
      this.render();
      return;
    }
    for (const folder of vscode.workspace.workspaceFolders ?? []) this.add(folder);
    this.render();
    this.restartTimer();
  }

  add(folder: vscode.WorkspaceFolder): void {
    if (!this.trusted || this.dbs.has(folder.uri.toString())) return;
    const db = new FolderDatabase(folder, this);
    this.dbs.set(folder.uri.toString(), db);
    const indexer = new FolderIndexer(db, this);
    this.indexers.set(db, indexer);
    this.render();
    void db
      .start()
      .then(() => indexer.start())
      .catch((err: unknown) => this.logger.error(`${folder.name}: ${String(err)}`));
  }

  async remove(folder: vscode.WorkspaceFolder): Promise<void> {
    const db = this.dbs.get(folder.uri.toString());
    if (!db) return;
    this.dbs.delete(folder.uri.toString());
    this.indexers.get(db)?.dispose();
    this.indexers.delete(db);
    this.render();
    await db.close();
    this.logger.info(`${folder.name}: closed (folder removed from the workspace).`);
  }

  async reopen(folder?: vscode.Uri): Promise<void> {
    const targets = [...this.dbs.values()].filter(
      (d) => !folder || d.folder.uri.toString() === folder.toString(),
    );
    await Promise.all(
      targets.map(async (d) => {
        await this.remove(d.folder);
        this.add(d.folder);
      }),
    );
    await this.ready();
  }

  async ready(): Promise<void> {
    await Promise.all([...this.dbs.values()].map((d) => d.start().catch(() => undefined)));
  }

  /** The background indexer of a folder's database. */
  indexer(db: FolderDatabase): FolderIndexer | undefined {
    return this.indexers.get(db);
  }

  all(): FolderDatabase[] {
    return [...this.dbs.values()];
  }

  get(folder: vscode.Uri): FolderDatabase | undefined {
    return this.dbs.get(folder.toString());
  }

  /** The folder of the active editor, else the last one used, else the first. */
  active(): FolderDatabase | undefined {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const folder = uri && vscode.workspace.getWorkspaceFolder(uri);
    if (folder) this.lastFolder = folder.uri.toString();
    return (
      (this.lastFolder ? this.dbs.get(this.lastFolder) : undefined) ??
      this.dbs.values().next().value
    );
  }

  render(): void {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0 || !this.trusted) {
      if (folders.length === 0) this.status.hide();
      else this.status.restricted();
      return;
    }
    const db = this.active();
    if (!db) {
      this.status.hide();
      return;
    }
    const indexer = this.indexers.get(db);
    this.status.showFolder(
      db,
      folders.length > 1,
      indexer && { snapshot: indexer.snapshot, maxFileSizeKiB: indexer.maxFileSizeKiB },
    );
  }

  restartTimer(): void {
    clearInterval(this.timer);
    const seconds = refreshIntervalSeconds();
    if (seconds > 0 && this.trusted) {
      this.timer = setInterval(() => {
        for (const db of this.dbs.values())
          if (!db.state.kind.match(/working|starting/)) void db.refresh();
      }, seconds * 1000);
    }
  }

  onConfigurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (e.affectsConfiguration('codeidx.health.refreshIntervalSeconds')) this.restartTimer();
    for (const db of this.dbs.values()) {
      if (e.affectsConfiguration('codeidx.index', db.folder.uri))
        this.indexers.get(db)?.settingsChanged();
      const reopen =
        REOPEN_SETTINGS.some((s) => e.affectsConfiguration(s, db.folder.uri)) ||
        (e.affectsConfiguration('codeidx.autoMigrate', db.folder.uri) &&
          vscode.workspace.getConfiguration('codeidx', db.folder.uri).get('autoMigrate') === true);
      if (reopen) {
        this.logger.info(`${db.name}: settings changed; reopening the database.`);
        void this.reopen(db.folder.uri);
      }
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    const dbs = [...this.dbs.values()];
    this.dbs.clear();
    for (const indexer of this.indexers.values()) indexer.dispose();
    this.indexers.clear();
    await Promise.all(dbs.map((d) => d.close()));
  }

  dispose(): void {
    void this.closeAll();
    this.status.dispose();
    this.reports.dispose();
  }
}

let current: Codeidx | undefined;

export function activate(context: vscode.ExtensionContext): CodeidxApi {
  const channel = vscode.window.createOutputChannel('CodeIdx', { log: true });
  const ext = new Codeidx(context, channel);
  current = ext;
  context.subscriptions.push(
    channel,
    ext,
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, ext.reports),
    vscode.workspace.onDidChangeWorkspaceFolders((e) => {
      for (const f of e.removed) void ext.remove(f);
      for (const f of e.added) ext.add(f);
      ext.render();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      ext.logger.info('The workspace is trusted now: opening the databases.');
      ext.start();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => ext.onConfigurationChanged(e)),
    vscode.window.onDidChangeActiveTextEditor(() => ext.render()),
    ...registerCommands(ext),
    ...registerIndexCommands(ext),
  );
  ext.logger.info(
    `CodeIdx ${String((context.extension.packageJSON as { version?: unknown }).version)} activated (${vscode.env.appName} ${vscode.version}, Node ${process.versions.node}, Node-API ${process.versions.napi}).`,
  );
  ext.start();
  return {
    ready: () => ext.ready(),
    folders: () => ext.all().map((d) => d.folder.uri.toString()),
    state: (folder) => (folder ? ext.get(folder) : ext.active())?.state,
    statusItem: () => ext.status.snapshot,
    progressLog: (folder) => [...(ext.get(folder)?.progressLog ?? [])],
    trusted: () => ext.trusted,
    gitignoreOffered: (folder) => gitignoreOffered(context, folder),
    reopen: (folder) => ext.reopen(folder),
    index: (folder) => {
      const db = ext.get(folder);
      return db && ext.indexer(db)?.snapshot;
    },
    indexIdle: async (folder) => {
      const db = ext.get(folder);
      await (db && ext.indexer(db)?.idle());
    },
  };
}

/** Closes every database and ends every worker. */
export async function deactivate(): Promise<void> {
  await current?.closeAll();
  current = undefined;
}
