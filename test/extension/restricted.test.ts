/**
 * The extension in restricted mode (an untrusted folder; the driver runs code-server with
 * workspace trust on): it opens nothing, says "restricted", and starts as soon as trust is
 * granted. The driver clicks the trust button when the suite logs CODEIDX_TEST:GRANT_TRUST.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CodeidxApi } from '../../src/extension/extension.ts';
import { api, run, until } from './helpers.ts';

export function restrictedSuite(): void {
  describe('CodeIdx in restricted mode', function () {
    this.timeout(60_000);
    const folder = vscode.workspace.workspaceFolders![0]!;
    const dbFile = join(folder.uri.fsPath, '.vscode', 'codeidx.db');
    let x: CodeidxApi;

    before(async () => {
      x = await api();
    });

    // Ensure nothing is opened or created in an untrusted folder, and the item says why.
    it('opens nothing and shows the restricted status item', () => {
      assert.equal(vscode.workspace.isTrusted, false);
      assert.equal(x.trusted(), false);
      assert.deepEqual(x.folders(), []);
      assert.equal(existsSync(dbFile), false, 'no database was created');
      const item = x.statusItem();
      assert.equal(item.kind, 'restricted');
      assert.match(item.text, /restricted/);
      assert.match(item.tooltip, /not trusted/);
      assert.equal(item.command, 'workbench.trust.manage');
    });

    // Ensure commands explain instead of opening the database.
    it('commands explain that the workspace must be trusted', async () => {
      assert.equal(await run('codeidx.backup'), undefined);
      assert.equal(await run('codeidx.showMigrationStatus'), undefined);
      assert.equal(existsSync(dbFile), false);
    });

    // Ensure granting trust starts the extension normally, without a reload.
    it('starts normally when trust is granted', async () => {
      const granted = new Promise<void>((resolve) =>
        vscode.workspace.onDidGrantWorkspaceTrust(() => resolve()),
      );
      // The workbench refuses modal dialogs under the test driver: open the trust editor instead.
      await vscode.commands.executeCommand('workbench.trust.manage');
      console.log('CODEIDX_TEST:GRANT_TRUST');
      await granted;
      await until(() => x.folders().length === 1, 'the folder to open after trust');
      await x.ready();
      await until(() => x.statusItem().kind === 'healthy', 'healthy after trust');
      assert.ok(existsSync(dbFile), 'the database was created after trust');
    });
  });
}
