/** The extension in a window without a folder: no status item, and commands say a folder is needed. */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, run } from './helpers.ts';

export function emptyWindowSuite(): void {
  describe('CodeIdx in a window without a folder', function () {
    this.timeout(60_000);

    // Ensure the extension activates but shows nothing and opens nothing.
    it('shows no status item', async () => {
      const x = await api();
      assert.equal(vscode.workspace.workspaceFolders, undefined);
      assert.deepEqual(x.folders(), []);
      assert.equal(x.statusItem().visible, false);
    });

    // Ensure each folder command explains itself instead of failing.
    it('commands say that a folder is needed', async () => {
      for (const id of [
        'codeidx.showMigrationStatus',
        'codeidx.backup',
        'codeidx.rollback',
        'codeidx.checkHealth',
      ])
        assert.equal(await run(id), undefined, id);
    });
  });
}
