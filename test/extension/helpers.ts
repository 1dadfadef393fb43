import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CodeidxApi } from '../../src/extension/extension.ts';

export const EXTENSION_ID = 'codeidx.codeidx';

/** The extension's API, after it activated on its own (onStartupFinished). */
export async function api(): Promise<CodeidxApi> {
  const ext = vscode.extensions.getExtension<CodeidxApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this host`);
  await until(() => ext.isActive, 'the extension to activate by itself', 30_000);
  return ext.exports;
}

/** Polls `fn` until it is truthy; fails with `what` after `ms`. */
type Falsy = false | 0 | '' | null | undefined;

export async function until<T>(
  fn: () => T | Falsy | Promise<T | Falsy>,
  what: string,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function folderUri(path: string): vscode.Uri {
  return vscode.Uri.file(path);
}

export function run<T>(command: string, options: Record<string, unknown> = {}): Thenable<T> {
  return vscode.commands.executeCommand<T>(command, options);
}

/** The repository root (where dist/cli.js is), as the driver passes it or from this bundle. */
export function repoRoot(): string {
  return process.env.CODEIDX_TEST_ROOT ?? join(__dirname, '..', '..', '..');
}

/**
 * Runs the codeidx CLI in another process (the way another tool changes the database beside the
 * editor). In desktop VS Code the host's executable is Electron, which runs as Node with
 * ELECTRON_RUN_AS_NODE.
 */
export function cli(
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(repoRoot(), 'dist', 'cli.js'), ...args],
      { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** `n` JSON lines of indexer records for `codeidx import`. */
export function records(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(
      JSON.stringify({
        path: `src/module${i}.ts`,
        size: 100 + i,
        lastModified: 1_700_000_000_000,
        language: 'typescript',
        definitions: [
          { name: `parseHttpRequest${i}`, type: 'function', line: 1, column: 0, exported: true },
        ],
        imports: [{ module: './util', type: 'es-module', names: ['x'], line: 1 }],
        tags: [{ tag: 'core', weight: 1 }],
      }),
    );
  return lines.join('\n') + '\n';
}
