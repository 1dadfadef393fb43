/**
 * The extension test suite's entry point, loaded by the extension host as `extensionTestsPath`
 * (code-server through scripts/run-extension-tests.mjs, or desktop VS Code through
 * @vscode/test-cli). It picks the part of the suite that fits the window it runs in: a trusted
 * workspace, a restricted (untrusted) one, or a window without a folder.
 */
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { emptyWindowSuite } from './empty.test.ts';
import { indexingSuite } from './indexing.test.ts';
import { mainSuite } from './main.test.ts';
import { restrictedSuite } from './restricted.test.ts';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  // The suite is bundled: register the bdd globals, then let each part declare its tests.
  mocha.suite.emit('pre-require', globalThis, 'test/extension', mocha);
  const which = !vscode.workspace.workspaceFolders?.length
    ? 'empty'
    : vscode.workspace.isTrusted
      ? 'main'
      : 'restricted';
  console.log(`codeidx extension tests: ${which} window (${vscode.env.appName} ${vscode.version})`);
  if (which === 'empty') emptyWindowSuite();
  else if (which === 'main') {
    mainSuite();
    indexingSuite();
  } else restrictedSuite();
  return new Promise((resolve, reject) => {
    mocha.run((failures) =>
      failures ? reject(new Error(`${failures} test(s) failed`)) : resolve(),
    );
  });
}
