/**
 * The extension in a trusted workspace, in a real extension host: activation, the migration on
 * first open, every command (dialogs answered through the commands' options), the status item's
 * states, a folder added and removed at run time, and the native module error.
 * Tests run in order and share the first folder's database, as a user's session would.
 */
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as vscode from 'vscode';
import type { CodeidxApi } from '../../src/extension/extension.ts';
import type {
  BackupResult,
  HealthReport,
  MigrationRunResult,
  MigrationStatus,
  RestoreResult,
} from '../../src/storage/types.ts';
import { EXTENSION_ID, api, cli, folderUri, records, repoRoot, run, until } from './helpers.ts';

/** The build's latest schema version: one per `migrations/NNN_*.up.sql`. */
const LATEST = readdirSync(join(repoRoot(), 'migrations')).filter((f) =>
  f.endsWith('.up.sql'),
).length;

export function mainSuite(): void {
  describe('CodeIdx in a trusted workspace', function () {
    this.timeout(60_000);
    const first =
      process.env.CODEIDX_TEST_FIRST ?? vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const second = process.env.CODEIDX_TEST_SECOND;
    const dbFile = join(first, '.vscode', 'codeidx.db');
    const folder = { folder: folderUri(first) };
    let x: CodeidxApi;
    let backup: BackupResult | undefined;

    before(async () => {
      x = await api();
      await x.ready();
    });

    // Ensure the extension activated by itself for the folder and opened its database.
    it('activates on startup and opens <folder>/.vscode/codeidx.db', () => {
      assert.deepEqual(x.folders(), [folderUri(first).toString()]);
      assert.ok(existsSync(dbFile), 'the database file exists');
      if (process.platform !== 'win32') assert.equal(statSync(dbFile).mode & 0o777, 0o600);
    });

    // Ensure the command registry and package.json's contributes.commands list the same ids.
    it('registers exactly the commands package.json contributes', async () => {
      const contributed = (
        vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
          contributes: { commands: { command: string }[] };
        }
      ).contributes.commands
        .map((c) => c.command)
        .sort();
      const registered = (await vscode.commands.getCommands(true))
        .filter((id) => id.startsWith('codeidx.'))
        .sort();
      assert.deepEqual(registered, contributed);
    });

    // Ensure the first open migrated to the latest version and the item reports healthy.
    it('migrates on first open and the status item says healthy', async () => {
      const status = await run<MigrationStatus>('codeidx.showMigrationStatus', folder);
      assert.equal(status.currentVersion, status.latestVersion);
      assert.equal(status.applied.length, LATEST, 'every migration applied');
      assert.match(
        x.progressLog(folderUri(first)).join('\n'),
        new RegExp(`^Migrating ${LATEST}/${LATEST}: `, 'm'),
      );
      assert.equal(status.pending.length, 0);
      const doc = vscode.window.activeTextEditor?.document;
      assert.equal(doc?.uri.scheme, 'codeidx-report', 'the report is a read-only virtual document');
      assert.match(doc.getText(), new RegExp(`Current version: \\*\\*${LATEST}\\*\\*`));
      const item = await until(
        () => x.statusItem().kind === 'healthy' && x.statusItem(),
        'healthy',
      );
      assert.equal(item.visible, true);
      assert.equal(item.command, 'codeidx.checkHealth');
      assert.match(item.tooltip, new RegExp(`Schema version: ${LATEST} of ${LATEST}`));
    });

    // Ensure the once-per-workspace .gitignore offer was made for a new database in a git repo.
    it('offers once to add the database to .gitignore, and adds it', async function () {
      if (!existsSync(join(first, '.git'))) this.skip();
      assert.equal(x.gitignoreOffered(folderUri(first)), true);
      const added = await run<string[]>('codeidx.addToGitignore', folder);
      assert.deepEqual(added, [
        '/.vscode/codeidx.db',
        '/.vscode/codeidx.db-*',
        '/.vscode/codeidx-backups/',
      ]);
      const text = readFileSync(join(first, '.gitignore'), 'utf8');
      assert.match(text, /^\/\.vscode\/codeidx\.db$/m);
      assert.deepEqual(await run<string[]>('codeidx.addToGitignore', folder), [], 'not twice');
    });

    // Ensure Check Health returns the report, shows it, and the item stays healthy.
    it('Check Health reports healthy and opens the report', async () => {
      const report = await run<HealthReport>('codeidx.checkHealth', folder);
      assert.equal(report.status, 'healthy', JSON.stringify(report.checks));
      assert.match(vscode.window.activeTextEditor!.document.getText(), /is healthy/);
    });

    // Ensure Back Up Database writes a verified copy and the tooltip then names the last backup.
    it('Back Up Database writes a verified backup', async () => {
      const imported = await cli(['import', '-', '--workspace', first], records(5000));
      assert.equal(imported.code, 0, imported.stderr);
      backup = await run<BackupResult>('codeidx.backup', folder);
      assert.ok(existsSync(backup.path), 'the backup file exists');
      assert.equal(backup.verified, true);
      assert.equal(backup.encrypted, false);
      // Keep a copy for the restore test: later runs rotate old backups away (keep: 5).
      const kept = join(first, 'kept-backup.db');
      copyFileSync(backup.path, kept);
      backup = { ...backup, path: kept };
      await until(
        () => /Last backup: 20/.test(x.statusItem().tooltip),
        'the tooltip to name the backup',
      );
    });

    // Ensure a key set through the command (SecretStorage) makes backups encrypted; '' removes it.
    it('Set Backup Encryption Key makes the next backup encrypted', async () => {
      assert.equal(await run('codeidx.setBackupKey', { key: 'correct horse battery' }), true);
      const encrypted = await run<BackupResult>('codeidx.backup', folder);
      assert.equal(encrypted.encrypted, true);
      assert.equal(encrypted.verified, true);
      assert.equal(await run('codeidx.setBackupKey', { key: '' }), false);
      const plain = await run<BackupResult>('codeidx.backup', folder);
      assert.equal(plain.encrypted, false);
    });

    // Ensure the rebuild reports its count, and that the item shows "working" while it runs.
    it('Rebuild Full-Text Index reports the count; the item spins meanwhile', async () => {
      const kinds = new Set<string>();
      let last = performance.now();
      let maxGap = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        kinds.add(x.statusItem().kind);
      }, 1);
      const result = await run<{ rows: number; ms: number }>('codeidx.rebuildFts', folder);
      clearInterval(timer);
      assert.equal(result.rows, 5000);
      assert.ok(kinds.has('working'), `states seen: ${[...kinds].join(', ')}`);
      // The rebuild ran in the worker: the host kept turning. DESIGN's bound is 50 ms (10 ms measured
      // here); a loaded CI machine may pause longer, but never for a large share of the run.
      console.log(
        `      rebuild of 5,000 files: ${Math.round(result.ms)} ms in the worker; longest extension host pause ${maxGap.toFixed(1)} ms`,
      );
      assert.ok(
        maxGap < 50 || maxGap < result.ms / 4,
        `the host was blocked for ${maxGap.toFixed(0)} ms`,
      );
      assert.match(x.statusItem().text, /CodeIdx/);
    });

    // Ensure a cancelled rebuild changes nothing and the command says so.
    it('a cancelled rebuild changes nothing', async () => {
      const controller = new AbortController();
      controller.abort();
      const result = await run('codeidx.rebuildFts', { ...folder, signal: controller.signal });
      assert.equal(result, undefined);
      const search = await cli(['search', 'http request', '--workspace', first, '--json']);
      assert.equal(search.code, 0, search.stderr);
      assert.ok((JSON.parse(search.stdout) as unknown[]).length > 0, 'the index still answers');
    });

    // Ensure declining the confirmation leaves the database alone.
    it('Roll Back Migrations... does nothing when the confirmation is declined', async () => {
      const result = await run('codeidx.rollback', { ...folder, target: 1, confirm: false });
      assert.equal(result, undefined);
      const status = await run<MigrationStatus>('codeidx.showMigrationStatus', folder);
      assert.equal(status.currentVersion, LATEST);
    });

    // Ensure Migrate to a version below the current one asks, as Roll Back does.
    it('Run Pending Migrations to a lower target asks first; declined, nothing changes', async () => {
      const result = await run('codeidx.migrate', { ...folder, target: 1, confirm: false });
      assert.equal(result, undefined);
      const status = await run<MigrationStatus>('codeidx.showMigrationStatus', folder);
      assert.equal(status.currentVersion, LATEST);
    });

    // Ensure a confirmed rollback backs up first, lands on the target, and the item turns degraded.
    it('Roll Back Migrations... rolls back after a backup; the item turns degraded', async () => {
      const result = await run<MigrationRunResult>('codeidx.rollback', {
        ...folder,
        target: 1,
        confirm: true,
      });
      assert.equal(result.toVersion, 1);
      assert.ok(result.backup && existsSync(result.backup), 'a backup was taken first');
      const item = await until(
        () => x.statusItem().kind === 'degraded' && x.statusItem(),
        'degraded',
      );
      assert.equal(item.background, 'statusBarItem.warningBackground');
      assert.match(item.tooltip, /pending/);
    });

    // Ensure a cancelled migration leaves the database at its previous version.
    it('a cancelled migration leaves the database at its previous version', async () => {
      const controller = new AbortController();
      controller.abort();
      const result = await run('codeidx.migrate', { ...folder, signal: controller.signal });
      assert.equal(result, undefined);
      const status = await run<MigrationStatus>('codeidx.showMigrationStatus', folder);
      assert.equal(status.currentVersion, 1);
    });

    // Ensure Run Pending Migrations brings it back to the latest version and healthy.
    it('Run Pending Migrations migrates to the latest version', async () => {
      const result = await run<MigrationRunResult>('codeidx.migrate', folder);
      assert.equal(result.toVersion, LATEST);
      // The progress named the backup and each step, as the notification showed them.
      const said = x.progressLog(folderUri(first)).join('\n');
      assert.match(said, new RegExp(`^Migrating 1/${LATEST - 1}: .*FTS index`, 'im'));
      assert.match(said, /Backing up before the migration/);
      await until(() => x.statusItem().kind === 'healthy', 'healthy again');
    });

    // Ensure Restore verifies the backup and swaps it in, keeping the replaced file.
    it('Restore from Backup... restores a verified backup and keeps the previous file', async () => {
      assert.ok(backup);
      const result = await run<RestoreResult>('codeidx.restore', {
        ...folder,
        file: backup.path,
        confirm: true,
      });
      assert.ok(result, `restore failed: ${JSON.stringify(x.state(folderUri(first))?.error)}`);
      assert.equal(result.schemaVersion, LATEST);
      assert.ok(result.previous && existsSync(result.previous), 'the replaced database is kept');
      await until(() => x.statusItem().kind === 'healthy', 'healthy after restore');
    });

    // Ensure a damaged backup is refused before anything is replaced.
    it('Restore refuses a file that does not verify', async () => {
      const bad = join(first, 'not-a-backup.db');
      writeFileSync(bad, 'this is not a database');
      const result = await run('codeidx.restore', { ...folder, file: bad, confirm: true });
      assert.equal(result, undefined);
      assert.equal(x.state(folderUri(first))?.kind, 'broken', 'the failure shows on the item');
      assert.match(x.state(folderUri(first))!.error!.code, /BACKUP_INVALID|CORRUPT/);
      // A successful action clears the failure.
      await run('codeidx.checkHealth', folder);
      await until(() => x.statusItem().kind === 'healthy', 'healthy after a good action');
    });

    // Ensure a change by another process (the CLI) refreshes the item through the file watcher.
    it('refreshes when another process changes the database', async () => {
      const r = await cli(['rollback', '--to', '1', '--yes', '--workspace', first]);
      assert.equal(r.code, 0, r.stderr);
      await until(
        () => x.statusItem().kind === 'degraded',
        `the watcher to notice the rollback (${JSON.stringify(x.statusItem())})`,
        20_000,
      );
      const m = await cli(['migrate', '--workspace', first]);
      assert.equal(m.code, 0, m.stderr);
      await until(
        () => x.statusItem().kind === 'healthy',
        'the watcher to notice the migration',
        20_000,
      );
    });

    // Ensure a folder added at run time gets its own database, and removing it closes it.
    it('opens a database for a folder added at run time (moving a damaged file aside), and closes it when removed', async function () {
      if (!second) this.skip();
      const uri = folderUri(second);
      // A damaged file where the database should be: moved aside (kept), and a new one created.
      mkdirSync(join(second, '.vscode'), { recursive: true });
      writeFileSync(join(second, '.vscode', 'codeidx.db'), 'x'.repeat(4096));
      const added = vscode.workspace.updateWorkspaceFolders(
        vscode.workspace.workspaceFolders!.length,
        0,
        { uri },
      );
      assert.ok(added, 'the folder was added');
      await until(() => x.folders().includes(uri.toString()), 'the second folder to open');
      await x.ready();
      await until(() => x.state(uri)?.kind === 'healthy', 'the second database to be healthy');
      assert.ok(existsSync(join(second, '.vscode', 'codeidx.db')));
      const kept = readdirSync(join(second, '.vscode')).filter((f) =>
        /^codeidx\.db\.(corrupt|foreign)-/.test(f),
      );
      assert.equal(
        kept.length,
        1,
        `the damaged file was kept: ${readdirSync(join(second, '.vscode')).join(', ')}`,
      );
      const status = await run<MigrationStatus>('codeidx.showMigrationStatus', { folder: uri });
      assert.equal(status.currentVersion, status.latestVersion);
      const index = vscode.workspace.workspaceFolders!.findIndex(
        (f) => f.uri.toString() === uri.toString(),
      );
      vscode.workspace.updateWorkspaceFolders(index, 1);
      await until(() => !x.folders().includes(uri.toString()), 'the second folder to close');
    });

    // Ensure a database migrated by a newer CodeIdx is reported and left at its version.
    it('leaves a database newer than the extension alone and says to update', async () => {
      const third = mkdtempSync(join(tmpdir(), 'codeidx-newer-'));
      const made = await cli(['migrate', '--workspace', third]);
      assert.equal(made.code, 0, made.stderr);
      const file = join(third, '.vscode', 'codeidx.db');
      const db = new Database(file);
      db.pragma(`user_version = ${LATEST + 1}`);
      db.prepare(
        'INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_ms) VALUES (?, ?, ?, ?, 1)',
      ).run(LATEST + 1, 'from_the_future', `sha256:${'0'.repeat(64)}`, new Date().toISOString());
      db.close();
      const uri = folderUri(third);
      vscode.workspace.updateWorkspaceFolders(vscode.workspace.workspaceFolders!.length, 0, {
        uri,
      });
      try {
        const state = await until(
          () => x.state(uri)?.kind === 'broken' && x.state(uri),
          'the newer database to be reported',
        );
        assert.equal(state.error?.code, 'DATABASE_NEWER');
        assert.match(state.error.hint ?? '', /Update codeidx \(the extension/);
        const check = new Database(file, { readonly: true });
        assert.equal(
          check.pragma('user_version', { simple: true }),
          LATEST + 1,
          'not migrated down',
        );
        check.close();
      } finally {
        const index = vscode.workspace.workspaceFolders!.findIndex(
          (f) => f.uri.toString() === uri.toString(),
        );
        vscode.workspace.updateWorkspaceFolders(index, 1);
        await until(() => !x.folders().includes(uri.toString()), 'the third folder to close');
      }
    });

    // Ensure a setting change applies without a reload: another database path reopens the folder.
    it('applies codeidx.databasePath without a reload', async () => {
      const config = vscode.workspace.getConfiguration('codeidx', folderUri(first));
      await config.update(
        'databasePath',
        '.vscode/other.db',
        vscode.ConfigurationTarget.WorkspaceFolder,
      );
      try {
        await until(() => existsSync(join(first, '.vscode', 'other.db')), 'the new database file');
        await x.ready();
        await until(() => x.statusItem().kind === 'healthy', 'healthy on the new file');
      } finally {
        await config.update('databasePath', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
      }
      await until(() => x.state(folderUri(first))?.info?.path === dbFile, 'back on codeidx.db');
    });

    // Ensure a driver that cannot load gives one clear error and a broken item, not a crash.
    it('reports a native module that cannot load, and recovers when it can', async () => {
      process.env.CODEIDX_NATIVE_BINDING = join(first, 'missing', 'better_sqlite3.node');
      try {
        await x.reopen(folderUri(first));
        const state = await until(
          () => x.state(folderUri(first))?.kind === 'broken' && x.state(folderUri(first)),
          'broken',
        );
        assert.equal(state.error?.code, 'NATIVE_MODULE');
        assert.match(
          state.error.message,
          /binary for .* is missing: expected .*better_sqlite3\.node/,
        );
        assert.match(state.error.hint ?? '', /\.vsix built for/);
        const item = x.statusItem();
        assert.match(item.text, /broken/);
        assert.equal(item.background, 'statusBarItem.errorBackground');
        assert.match(item.tooltip, /missing/);
        // Commands explain rather than throw.
        assert.equal(await run('codeidx.backup', folder), undefined);
      } finally {
        delete process.env.CODEIDX_NATIVE_BINDING;
      }
      await x.reopen(folderUri(first));
      await until(() => x.statusItem().kind === 'healthy', 'healthy after the driver loads');
    });

    // Ensure Repair on a healthy database does nothing, and Show Log opens the channel.
    it('Repair leaves a healthy database alone; Show Log runs', async () => {
      const result = await run<{ action: string }>('codeidx.repair', { ...folder, confirm: true });
      assert.equal(result.action, 'none');
      await run('codeidx.showLog');
    });
  });
}
