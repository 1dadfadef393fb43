/**
 * Entry point for @vscode/test-cli (`.vscode-test.mjs`, desktop VS Code): its runner sets up
 * mocha's globals before loading this file, so the suite that fits the window is declared here
 * at load time. code-server runs index.ts's run() instead; both declare the same tests.
 */
import * as vscode from 'vscode';
import { emptyWindowSuite } from './empty.test.ts';
import { indexingSuite } from './indexing.test.ts';
import { mainSuite } from './main.test.ts';
import { restrictedSuite } from './restricted.test.ts';

if (!vscode.workspace.workspaceFolders?.length) emptyWindowSuite();
else if (vscode.workspace.isTrusted) {
  mainSuite();
  indexingSuite();
} else restrictedSuite();
