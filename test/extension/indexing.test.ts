/**
 * Background indexing, Go to Symbol in Workspace and Search Index in a real extension host. Two
 * folders are added to the (trusted, multi-root) workspace with indexing on in their folder
 * settings (the workspace turns it off for the main suite's folder, whose records are imported).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CodeidxApi } from '../../src/extension/extension.ts';
import type { IndexSnapshot } from '../../src/extension/logic/indexing.ts';
import { IndexSymbolProvider } from '../../src/extension/symbolProvider.ts';
import { api, folderUri, run, until } from './helpers.ts';

type Found = vscode.SymbolInformation[];

function symbols(query: string): Thenable<Found> {
  return vscode.commands.executeCommand<Found>('vscode.executeWorkspaceSymbolProvider', query);
}

/** A folder with indexing on (folder settings) and these files. */
function makeFolder(prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, '.vscode'));
  writeFileSync(
    join(dir, '.vscode', 'settings.json'),
    JSON.stringify({ 'codeidx.index.enabled': true, 'codeidx.index.maxFileSizeKiB': 1 }),
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

export function indexingSuite(): void {
  describe('CodeIdx indexing, Go to Symbol and Search Index', function () {
    this.timeout(90_000);
    let x: CodeidxApi;
    let a: vscode.Uri;
    let b: vscode.Uri;
    let git = false;
    const snapshot = (uri: vscode.Uri): IndexSnapshot | undefined => x.index(uri);

    before(async () => {
      x = await api();
      await x.ready();
      const pa = makeFolder('codeidx-index-a-', {
        'pkg/shapes.py':
          '"""Shapes."""\n\nclass FooShape:\n    def area(self):\n        return 0\n',
        'big.py': `DATA = "${'x'.repeat(2048)}"\n`,
      });
      const pb = makeFolder('codeidx-index-b-', {
        'b.py': 'class FooShapeTwo:\n    pass\n',
        'b.ts': 'export class FooShapeTs {}\n',
      });
      try {
        execFileSync('git', ['init', '-q', pb]);
        git = true;
      } catch {
        // no git here: the branch switch test is skipped
      }
      a = folderUri(pa);
      b = folderUri(pb);
      const n = vscode.workspace.workspaceFolders!.length;
      assert.ok(vscode.workspace.updateWorkspaceFolders(n, 0, { uri: a }, { uri: b }));
      await until(
        () => x.folders().includes(a.toString()) && x.folders().includes(b.toString()),
        'both folders to open',
      );
      await x.ready();
    });

    after(async () => {
      await vscode.workspace
        .getConfiguration('codeidx')
        .update('symbols.provider', undefined, vscode.ConfigurationTarget.Workspace);
      const folders = vscode.workspace.workspaceFolders!;
      const first = folders.findIndex((f) => f.uri.toString() === a.toString());
      if (first >= 0) vscode.workspace.updateWorkspaceFolders(first, 2);
      await until(() => !x.folders().includes(a.toString()), 'the folders to close');
    });

    // Ensure a trusted folder is indexed in the background after it opens and migrates, and
    // the size cap's skip is counted.
    it('fills the index of a folder that opens', async () => {
      const s = await until(() => snapshot(a)?.runs && snapshot(a), 'the first index run', 60_000);
      assert.equal(s.last?.files, 1, JSON.stringify(s));
      assert.equal(s.last.skipped['too-large'], 1, 'big.py is over 1 KiB');
      assert.ok(s.last.definitions >= 2, 'FooShape and area');
      await until(() => snapshot(b)?.runs, 'the second folder indexed', 60_000);
    });

    // Ensure Ctrl+T's provider answers from the index: the Python class and its location (line 3,
    // 0-based 2), with no container (VS Code shows the file's path beside it by itself).
    it('Go to Symbol in Workspace finds the Python class at its location', async () => {
      const found = await symbols('FooShape');
      const foo = found.find((s) => s.name === 'FooShape');
      assert.ok(foo, `found: ${found.map((s) => s.name).join(', ')}`);
      assert.equal(foo.kind, vscode.SymbolKind.Class);
      assert.equal(foo.containerName, '');
      assert.equal(
        foo.location.uri.toString(),
        vscode.Uri.joinPath(a, 'pkg', 'shapes.py').toString(),
      );
      assert.equal(foo.location.range.start.line, 2);
      assert.equal(foo.location.range.start.character, 6);
    });

    // Ensure both folders' indexes answer (multi-root), merged best first, and that in `auto`
    // TypeScript is left to VS Code's own provider while `always` answers it too.
    it('merges the folders best first; auto leaves TypeScript to tsserver, always does not', async () => {
      const ours = (found: Found): string[] =>
        found
          // Ours point at the name (an empty range); tsserver's span the declaration.
          .filter((s) => s.name.startsWith('FooShape') && s.location.range.isEmpty)
          .map((s) => s.name);
      const auto = ours(await symbols('FooShape'));
      assert.equal(auto[0], 'FooShape', 'the exact name first');
      assert.ok(auto.includes('FooShapeTwo'), 'the other folder answers too');
      assert.ok(
        !auto.includes('FooShapeTs'),
        `auto lists no TypeScript symbol: ${auto.join(', ')}`,
      );
      await vscode.workspace
        .getConfiguration('codeidx')
        .update('symbols.provider', 'always', vscode.ConfigurationTarget.Workspace);
      assert.ok(ours(await symbols('FooShape')).includes('FooShapeTs'));
      await vscode.workspace
        .getConfiguration('codeidx')
        .update('symbols.provider', 'off', vscode.ConfigurationTarget.Workspace);
      assert.deepEqual(
        ours(await symbols('FooShape')).filter((n) => n !== 'FooShapeTs'),
        [],
      );
      await vscode.workspace
        .getConfiguration('codeidx')
        .update('symbols.provider', undefined, vscode.ConfigurationTarget.Workspace);
    });

    // Ensure the status item's tooltip says what was skipped and why.
    it('the status item tooltip counts what was skipped and why', async () => {
      const doc = await vscode.workspace.openTextDocument(
        vscode.Uri.joinPath(a, 'pkg', 'shapes.py'),
      );
      await vscode.window.showTextDocument(doc);
      const item = await until(
        () => x.statusItem().folder === a.toString() && x.statusItem(),
        'the item to show the folder',
      );
      assert.match(item.tooltip, /1 larger than 1 KiB \(codeidx\.index\.maxFileSizeKiB\)/);
      assert.match(item.tooltip, /Indexed: 1 files/);
    });

    // Ensure Pause stops indexing (a new file is noticed but not indexed) and Resume catches up.
    it('Pause Indexing holds changes back; Resume Indexing indexes them', async () => {
      await run('codeidx.pauseIndexing', { folder: a });
      assert.equal(snapshot(a)?.paused, true);
      await until(() => x.statusItem().text.includes('indexing paused'), 'the paused item');
      writeFileSync(join(a.fsPath, 'pkg', 'later.py'), 'class LaterThing:\n    pass\n');
      await until(() => snapshot(a)?.pending, 'the watcher to report the new file', 30_000);
      assert.equal((await symbols('LaterThing')).length, 0, 'not indexed while paused');
      await run('codeidx.resumeIndexing', { folder: a });
      assert.equal(snapshot(a)?.paused, false);
      const found = await until(
        async () => (await symbols('LaterThing')).find((s) => s.name === 'LaterThing'),
        'LaterThing after resuming',
        30_000,
      );
      assert.equal(
        found.location.uri.toString(),
        vscode.Uri.joinPath(a, 'pkg', 'later.py').toString(),
      );
    });

    // Ensure a definition added in the editor and saved becomes visible to Ctrl+T.
    it('a saved file’s new definition becomes visible', async () => {
      const uri = vscode.Uri.joinPath(a, 'pkg', 'shapes.py');
      const doc = await vscode.workspace.openTextDocument(uri);
      const edit = new vscode.WorkspaceEdit();
      edit.insert(uri, new vscode.Position(doc.lineCount, 0), '\nclass SavedLater:\n    pass\n');
      assert.ok(await vscode.workspace.applyEdit(edit));
      const t0 = Date.now();
      assert.ok(await doc.save());
      const found = await until(
        async () => (await symbols('SavedLater')).find((s) => s.name === 'SavedLater'),
        'SavedLater after the save',
        30_000,
      );
      console.log(`      saved definition visible to Ctrl+T after ${Date.now() - t0} ms`);
      assert.equal(found.location.range.start.line, doc.lineCount - 3);
    });

    // Ensure files created and deleted outside the editor are indexed from the watcher's paths
    // (a run of those paths, not a walk of the folder) and leave the index when deleted.
    it('a file created, then deleted, outside the editor', async () => {
      const file = join(a.fsPath, 'pkg', 'outside.py');
      writeFileSync(file, 'class OutsideThing:\n    pass\n');
      await until(
        async () => (await symbols('OutsideThing')).find((s) => s.name === 'OutsideThing'),
        'OutsideThing after the watcher saw it',
        30_000,
      );
      assert.ok(snapshot(a)!.reasons.includes('files'), snapshot(a)!.reasons.join(', '));
      assert.equal(snapshot(a)!.last?.skipped['too-large'], 1, 'the whole-folder counts stay');
      rmSync(file);
      await until(
        async () => !(await symbols('OutsideThing')).some((s) => s.name === 'OutsideThing'),
        'OutsideThing gone after the delete',
        30_000,
      );
    });

    // Ensure a branch switch (.git/HEAD changing) reconciles the index: watchers can miss a
    // checkout's burst of events, so the HEAD watcher asks for a full reconcile.
    it('reconciles after a branch switch', async function () {
      if (!git) this.skip();
      const before = snapshot(b)!.runs;
      execFileSync('git', ['-C', b.fsPath, 'checkout', '-q', '-b', 'feature']);
      const s = await until(
        () => snapshot(b)!.runs > before && snapshot(b)!.reasons.includes('branch') && snapshot(b),
        'a run for the branch switch',
        30_000,
      );
      assert.equal(s.problem, undefined);
    });

    // Ensure indexing waits while the schema is rolled back (and says why), and catches up
    // once it is migrated again.
    it('waits for the latest schema after a rollback and reconciles after the migration', async () => {
      const rolled = await run('codeidx.rollback', { folder: a, target: 1, confirm: true });
      assert.ok(rolled, 'rolled back');
      writeFileSync(join(a.fsPath, 'pkg', 'during.py'), 'class DuringRollback:\n    pass\n');
      await until(
        () => /latest version/.test(snapshot(a)?.problem ?? '') && !snapshot(a)!.running,
        'indexing to wait for the schema',
        30_000,
      );
      const runs = snapshot(a)!.runs;
      await run('codeidx.migrate', { folder: a });
      const s = await until(
        () => snapshot(a)!.runs > runs && !snapshot(a)!.problem && snapshot(a),
        'a run after the migration',
        30_000,
      );
      assert.ok(s.reasons.includes('schema'), s.reasons.join(', '));
      assert.ok((await symbols('DuringRollback')).some((x) => x.name === 'DuringRollback'));
    });

    // Ensure a cancelled request answers nothing without asking the index.
    it('a cancelled Go to Symbol request returns nothing', async () => {
      const provider = new IndexSymbolProvider(() => assert.fail('the index was asked'));
      const source = new vscode.CancellationTokenSource();
      source.cancel();
      assert.deepEqual(await provider.provideWorkspaceSymbols('FooShape', source.token), []);
    });

    // Ensure Search Index finds the definition (with its line) and the file by full text.
    it('Search Index finds definitions and files', async () => {
      const items = await run<{ label: string; description?: string; line?: number }[]>(
        'codeidx.searchIndex',
        { query: 'FooShape' },
      );
      assert.match(items[0]!.label, /FooShape$/);
      assert.equal(items[0]!.line, 3);
      assert.ok(
        items.some((i) => /\$\(file\) (pkg\/shapes\.py|b\.py)/.test(i.label)),
        JSON.stringify(items.map((i) => i.label)),
      );
    });

    // Ensure Reindex Folder runs a full pass to the end and reports it. (Files whose content is
    // unchanged are re-read and re-parsed; the importer then keeps their rows, same hash.)
    it('Reindex Folder runs to the end and counts the folder', async () => {
      const before = snapshot(a)!.runs;
      const s = await run<IndexSnapshot>('codeidx.reindexFolder', { folder: a });
      assert.equal(s.paused, false);
      assert.equal(s.problem, undefined);
      assert.ok(s.runs > before, 'a new run completed');
      assert.equal(s.last?.files, 3, 'shapes.py, later.py and during.py');
      assert.equal(s.last.parsed + s.last.unchanged, 3, JSON.stringify(s.last));
    });
  });
}
