/**
 * Background indexing of one workspace folder: runs the worker's `index` method (the parse
 * threads start inside the storage worker, never on this thread), one run at a time, and keeps
 * the index current from the workbench's file watcher, save events and `.git/HEAD` (a branch
 * switch). File events and saves index their paths only; watchers drop events in bursts, so the
 * other runs are a reconcile of the whole folder: a walk plus a size and mtime comparison, which
 * re-parses only what changed.
 */
import { watch, type FSWatcher } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import * as vscode from 'vscode';
import { toCodeidxError } from '../storage/errors.ts';
import type { Logger } from '../storage/log.ts';
import { languageOf } from '../indexer/languages.ts';
import type { FolderDatabase } from './folder.ts';
import type { IndexReason, IndexSnapshot } from './logic/indexing.ts';

/** The `codeidx.index.*` settings of one folder. */
export interface IndexSettings {
  enabled: boolean;
  exclude: string[];
  maxFileSizeKiB: number;
  cpuShare: number;
}

/** The default of `codeidx.index.cpuShare` (see the README for the measurement behind it). */
export const DEFAULT_CPU_SHARE = 0.5;

export function indexSettings(folder: vscode.WorkspaceFolder): IndexSettings {
  const c = vscode.workspace.getConfiguration('codeidx.index', folder.uri);
  const share = c.get<number>('cpuShare', DEFAULT_CPU_SHARE);
  const kib = c.get<number>('maxFileSizeKiB', 1024);
  return {
    enabled: c.get<boolean>('enabled', true),
    exclude: c.get<string[]>('exclude', []).filter((g) => typeof g === 'string' && g.trim()),
    maxFileSizeKiB: Number.isFinite(kib) && kib > 0 ? Math.floor(kib) : 1024,
    cpuShare: Number.isFinite(share) ? Math.min(1, Math.max(0.05, share)) : DEFAULT_CPU_SHARE,
  };
}

/** Milliseconds a burst of file events is gathered before one run (a save: one event). */
const DEBOUNCE_MS = 150;
/** More changed paths than this in one run (a checkout, a generator): walk the whole folder. */
const MAX_PATHS = 500;

/** `file` relative to `folder` with forward slashes, or undefined when it is not inside. */
export function relativePath(folder: string, file: string): string | undefined {
  const rel = relative(folder, file);
  if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

export interface IndexerHost {
  logger: Logger;
  changed(db: FolderDatabase): void;
}

/** The background indexer of one folder. */
export class FolderIndexer implements vscode.Disposable {
  private readonly db: FolderDatabase;
  private readonly host: IndexerHost;
  private settings: IndexSettings;
  private paused = false;
  private running: Promise<void> | undefined;
  private controller: AbortController | undefined;
  /** The next run; `paths` set: only those changed files (watcher and save events), else the whole folder. */
  private pending: { full: boolean; reasons: Set<IndexReason>; paths?: Set<string> } | undefined;
  /** Reasons gathered while a burst of events is debounced. */
  private gathering = new Set<IndexReason>();
  /** Changed paths gathered with them (relative to the folder); undefined: a whole-folder run. */
  private gatheringPaths: Set<string> | undefined = new Set();
  private lastReasons: IndexReason[] = [];
  /** A run of changed paths failed or was cancelled: the next run walks the whole folder. */
  private missed = false;
  private debounce: NodeJS.Timeout | undefined;
  private progress = { done: 0, total: 0 };
  private runs = 0;
  private last: IndexSnapshot['last'];
  private problem: string | undefined;
  private disposed = false;
  private started = false;
  private readonly disposables: vscode.Disposable[] = [];
  private head: FSWatcher | undefined;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(db: FolderDatabase, host: IndexerHost) {
    this.db = db;
    this.host = host;
    this.settings = indexSettings(db.folder);
  }

  get snapshot(): IndexSnapshot {
    return {
      enabled: this.settings.enabled,
      paused: this.paused,
      running: this.running !== undefined,
      pending: this.pending !== undefined,
      done: this.progress.done,
      total: this.progress.total,
      runs: this.runs,
      reasons: this.lastReasons,
      ...(this.last ? { last: this.last } : {}),
      ...(this.problem ? { problem: this.problem } : {}),
    };
  }

  get maxFileSizeKiB(): number {
    return this.settings.maxFileSizeKiB;
  }

  /** After the folder's database opened and migrated: watch, and reconcile once. */
  start(): void {
    if (this.disposed || this.started) return;
    this.started = true;
    this.settings = indexSettings(this.db.folder);
    if (!this.settings.enabled) {
      this.changed();
      return;
    }
    this.watch();
    this.request(false, 'open');
  }

  /** Settings changed: re-read them; turning indexing on or off, or new excludes, reconcile. */
  settingsChanged(): void {
    const before = this.settings;
    this.settings = indexSettings(this.db.folder);
    if (!this.started) return;
    if (!this.settings.enabled) {
      this.stopWatching();
      this.pending = undefined;
      this.controller?.abort();
      this.changed();
      return;
    }
    if (!before.enabled) this.watch();
    this.request(false, 'settings');
  }

  /** The database's state changed: a schema that came back to the latest version is reconciled. */
  stateChanged(): void {
    // `changed()` calls come back here: only an idle indexer with nothing queued asks again.
    if (this.problem && !this.running && !this.pending && this.schemaCurrent())
      this.request(false, 'schema');
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    // What the stopped run did not finish is redone by the reconcile on resume.
    if (this.running) this.pending ??= { full: false, reasons: new Set(['resume']) };
    this.controller?.abort();
    this.host.logger.info(`${this.db.name}: indexing paused.`);
    this.changed();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.host.logger.info(`${this.db.name}: indexing resumed.`);
    this.request(this.pending?.full ?? false, 'resume');
  }

  /**
   * Asks for a run (`full`: re-parse every file); runs now, or after the one in progress.
   * `paths`: only these files changed (see `schedule`); without them the whole folder is walked.
   */
  request(full: boolean, reason: IndexReason, paths?: Set<string>): void {
    clearTimeout(this.debounce);
    const reasons = new Set([...(this.pending?.reasons ?? []), ...this.gathering, reason]);
    this.gathering.clear();
    this.gatheringPaths = new Set();
    const before = this.pending;
    // Paths add up until a whole-folder run is asked for, which covers them all.
    const partial =
      paths &&
      !full &&
      !this.missed &&
      (!before || before.paths) &&
      paths.size + (before?.paths?.size ?? 0) <= MAX_PATHS;
    this.pending = {
      full: full || (before?.full ?? false),
      reasons,
      ...(partial ? { paths: new Set([...(before?.paths ?? []), ...paths]) } : {}),
    };
    if (!this.paused && !this.disposed && this.settings.enabled && this.started)
      this.running ??= this.loop();
    this.changed();
  }

  /** A full re-index now (Reindex Folder); resolves when it and anything queued have run. */
  async reindex(): Promise<IndexSnapshot> {
    this.started = true;
    this.request(true, 'reindex');
    await this.idle();
    return this.snapshot;
  }

  /** Resolves when no run is in progress. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Gathers an event (`uri`: the changed file or folder; none: the whole folder) for one run. */
  private schedule(reason: IndexReason, uri?: vscode.Uri): void {
    clearTimeout(this.debounce);
    this.gathering.add(reason);
    const rel = uri ? relativePath(this.db.folder.uri.fsPath, uri.fsPath) : undefined;
    if (rel === undefined) this.gatheringPaths = undefined;
    else this.gatheringPaths?.add(rel);
    // A save is one file the user waits for: run now (the watcher's change event for the same
    // file comes later and finds it unchanged). Other events come in bursts: gather them.
    if (reason === 'save') {
      this.request(false, reason, this.gatheringPaths);
      return;
    }
    this.debounce = setTimeout(() => this.request(false, reason, this.gatheringPaths), DEBOUNCE_MS);
    if (this.paused) this.pending ??= { full: false, reasons: new Set() };
  }

  private async loop(): Promise<void> {
    // Start after `running` holds this promise: what the run notifies must see it running.
    await Promise.resolve();
    try {
      while (this.pending && !this.paused && !this.disposed && this.settings.enabled) {
        const { full, reasons, paths } = this.pending;
        this.pending = undefined;
        const done = await this.runOnce(full, paths);
        if (done) this.lastReasons = [...reasons].sort();
        // A run of changed paths that did not complete left them out: the next run walks the folder.
        if (paths && !done) this.missed = true;
        if (!paths && done) this.missed = false;
      }
    } finally {
      this.running = undefined;
      this.controller = undefined;
      this.changed();
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** One run; true when it completed. */
  private async runOnce(full: boolean, paths?: Set<string>): Promise<boolean> {
    const client = this.db.client;
    if (!client || client.closed) return false;
    if (!this.schemaCurrent()) {
      this.problem = 'waiting for the schema to reach the latest version (run pending migrations).';
      return false;
    }
    const controller = (this.controller = new AbortController());
    this.progress = { done: 0, total: 0 };
    this.db.backgroundWork = true;
    this.changed();
    try {
      const summary = await client.index(
        {
          folder: this.db.folder.uri.fsPath,
          full,
          exclude: this.settings.exclude,
          maxFileBytes: this.settings.maxFileSizeKiB * 1024,
          cpuShare: this.settings.cpuShare,
          ...(paths ? { paths: [...paths] } : {}),
        },
        {
          signal: controller.signal,
          onProgress: (e) => {
            if (e.total !== undefined) this.progress = { done: e.done ?? 0, total: e.total };
            this.changed();
          },
        },
      );
      // Skips are counted by whole-folder runs; a run over a few changed paths keeps those counts.
      this.last = paths && this.last ? { ...summary, skipped: this.last.skipped } : summary;
      this.problem = undefined;
      this.runs++;
      this.host.logger.info(
        `${this.db.name}: indexed ${summary.files} files (${summary.parsed} parsed, ${summary.unchanged} unchanged, ${summary.removed} removed) in ${summary.ms} ms.`,
      );
      return true;
    } catch (err) {
      const error = toCodeidxError(err);
      if (error.code === 'CANCELLED') return false;
      this.problem = error.message;
      this.host.logger.warn(`${this.db.name}: indexing failed: ${error.message}`, {
        code: error.code,
      });
      return false;
    } finally {
      this.db.backgroundWork = false;
    }
  }

  private schemaCurrent(): boolean {
    const info = this.db.state.info;
    const status = this.db.opened?.status;
    if (info) return info.schemaVersion === info.latestVersion;
    return status !== undefined && status.currentVersion === status.latestVersion;
  }

  /** File events of indexable files in this folder, saves, and `.git/HEAD` (a branch switch). */
  private watch(): void {
    this.stopWatching();
    const folder = this.db.folder;
    const relevant = (uri: vscode.Uri): boolean =>
      uri.scheme === 'file' &&
      vscode.workspace.getWorkspaceFolder(uri)?.uri.toString() === folder.uri.toString() &&
      languageOf(uri.fsPath) !== undefined;
    const onFile = (uri: vscode.Uri): void => {
      if (relevant(uri)) this.schedule('files', uri);
    };
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(folder, '**/*'),
    );
    this.disposables.push(
      watcher,
      watcher.onDidCreate(onFile),
      watcher.onDidChange(onFile),
      watcher.onDidDelete((uri) => {
        // A deleted folder arrives as one event for the folder itself.
        if (
          uri.scheme === 'file' &&
          vscode.workspace.getWorkspaceFolder(uri)?.uri.toString() === folder.uri.toString()
        )
          this.schedule('files', uri);
      }),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (relevant(doc.uri)) this.schedule('save', doc.uri);
      }),
    );
    // The workbench's watcher excludes .git; a Node watcher on the folder sees HEAD change.
    try {
      this.head = watch(join(folder.uri.fsPath, '.git'), { persistent: false }, (_e, name) => {
        if (name === null || name === 'HEAD') {
          this.host.logger.debug(`${this.db.name}: .git/HEAD changed; reconciling the index.`);
          this.schedule('branch');
        }
      });
      this.head.on('error', () => this.head?.close());
    } catch {
      // Not a git repository (or .git is a file, as in a worktree): file events suffice.
    }
  }

  private stopWatching(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.head?.close();
    this.head = undefined;
  }

  private changed(): void {
    if (!this.disposed) this.host.changed(this.db);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.debounce);
    this.stopWatching();
    this.controller?.abort();
  }
}
