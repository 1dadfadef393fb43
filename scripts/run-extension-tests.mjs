#!/usr/bin/env node
/* global fetch, setTimeout, setInterval, clearInterval, URLSearchParams */
// Runs the extension test suite (test/extension/) inside code-server's real extension host.
//
//   npm run test:extension            (after scripts/install-code-server.sh)
//
// 1. Builds the extension (dist/) and bundles the suite (dist/test/extension/index.js).
// 2. Starts code-server on loopback with scratch state and `enable-smoke-test-driver`, which makes
//    the workbench honour the URL's `payload` (extensionDevelopmentPath + extensionTestsPath).
// 3. Opens each session in headless Chromium; the suite's run() settles and the workbench calls
//    window.codeAutomationExit(code), the end signal. Host and workbench console lines arrive
//    through window.codeAutomationLog and are printed.
// Sessions: "main" (a trusted multi-root workspace; every command, states, folders, native
// module error), "empty" (a window without a folder) and "restricted" (workspace trust on; the
// driver grants trust when the suite asks for it).
// See ../shared/notes/vscode-tests-in-code-server.md (the route this follows).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const codeServer = join(root, '.tools/code-server/node_modules/code-server/out/node/entry.js');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SESSION_TIMEOUT_MS = Number(process.env.CODEIDX_TEST_TIMEOUT_MS ?? 180_000);
const only = process.argv.slice(2); // optional session names
const keep = process.env.CODEIDX_TEST_KEEP === '1';

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const log = (...a) => console.log(`[run-extension-tests ${elapsed()}]`, ...a);

/** Builds dist/ and bundles the suite; esbuild is fast enough to do both every run. */
export async function buildAll() {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
  await esbuild.build({
    entryPoints: {
      index: join(root, 'test/extension/index.ts'),
      desktop: join(root, 'test/extension/desktop.ts'),
    },
    outdir: join(root, 'dist/test/extension'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['vscode', 'mocha', 'better-sqlite3'],
    logLevel: 'warning',
  });
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Starts code-server in its own process group; resolves when /healthz answers. */
export async function startCodeServer({ trust, scratch, env = {} }) {
  const port = await freePort();
  const userData = join(scratch, `user-data-${trust ? 'trust' : 'notrust'}`);
  mkdirSync(join(userData, 'User'), { recursive: true });
  // No telemetry prompts, no welcome page, no extension recommendations in the way.
  writeFileSync(
    join(userData, 'User/settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'security.workspace.trust.startupPrompt': 'never',
      'extensions.ignoreRecommendations': true,
      'telemetry.telemetryLevel': 'off',
      'workbench.tips.enabled': false,
      'chat.disableAIFeatures': true,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
    }),
  );
  writeFileSync(join(userData, 'config.yaml'), 'auth: none\n');
  const args = [
    codeServer,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--user-data-dir',
    userData,
    '--extensions-dir',
    join(scratch, 'extensions'),
    '--config',
    join(userData, 'config.yaml'),
    '--vscode-option',
    'enable-smoke-test-driver',
  ];
  if (!trust) args.push('--disable-workspace-trust');
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited early:\n${output}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer /healthz:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    port,
    child,
    output: () => output,
    exited: () => exited,
    stop() {
      // Kill the whole group: killing only the pid leaves helper processes behind.
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, 2000).unref();
    },
  };
}

/** The URL that loads this extension for development and runs the suite in the host. */
export function sessionUrl(port, { folder, workspace, testsPath }) {
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(root)],
    ...(testsPath ? [['extensionTestsPath', remote(testsPath)]] : []),
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  const params = new URLSearchParams();
  if (folder) params.set('folder', folder);
  if (workspace) params.set('workspace', workspace);
  // Without a folder code-server reopens the last workspace; `ew` asks for an empty window.
  if (!folder && !workspace) params.set('ew', 'true');
  params.set('payload', JSON.stringify(payload));
  return `http://127.0.0.1:${port}/?${params}`;
}

/** Workbench lines that mean nothing here (no network, no vsda, chat and agent hosts). */
const NOISE =
  /ENOTFOUND|vsda|[Cc]hat|agent|authentication provider|AccountPolicyGate|connection token|Creating a socket|reconnection-grace-time|builtin extensions cache|Service Worker|Long running operations during shutdown/;

/** Opens one session in Chromium and waits for codeAutomationExit; returns the exit code. */
async function runSession(browser, server, name, target, scratch) {
  log(`session "${name}": starting`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  let settle;
  const exit = new Promise((r) => (settle = r));
  let granting = false;
  let finished = false;
  await page.exposeFunction('codeAutomationExit', (code) => {
    finished = true; // what the workbench logs while it shuts down is noise
    settle(Number(code));
  });
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const line = format(...(Array.isArray(args) ? args : [args]));
    if (finished || NOISE.test(line)) return;
    // Suite output goes out as is, so CI can count mocha's "N passing" / "N failing" lines.
    console.log(type === 'error' || type === 'warn' ? `[${name}:${type}] ${line}` : line);
    if (line.includes('CODEIDX_TEST:GRANT_TRUST') && !granting) {
      granting = true;
      void grantTrust(page).catch((err) =>
        console.log(`  [${name}] could not grant trust: ${err}`),
      );
    }
  });
  await page.goto(
    sessionUrl(server.port, { ...target, testsPath: join(root, 'dist/test/extension/index.js') }),
  );
  const timeout = new Promise((r) => setTimeout(() => r('timeout'), SESSION_TIMEOUT_MS).unref());
  const died = new Promise((r) => {
    const t = setInterval(() => {
      if (server.exited()) {
        clearInterval(t);
        r('server-exited');
      }
    }, 500);
    t.unref();
  });
  const result = await Promise.race([exit, timeout, died]);
  const code = typeof result === 'number' ? result : 1;
  if (code !== 0) {
    const shot = join(scratch, `failure-${name}.png`);
    await page.screenshot({ path: shot }).catch(() => undefined);
    log(
      `session "${name}": ${typeof result === 'number' ? `exit code ${code}` : result}; screenshot ${shot}`,
    );
  } else {
    log(`session "${name}": passed`);
  }
  await context.close();
  return code;
}

/** Answers the workspace trust prompt (or the trust editor) with "trust". */
async function grantTrust(page) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    for (const label of [
      /^Yes, I trust the authors/,
      /^Trust Folder/,
      /^Trust Workspace/,
      /^Trust$/,
    ]) {
      const button = page.getByRole('button', { name: label }).first();
      if (await button.isVisible().catch(() => false)) {
        await button.click();
        log(`granted workspace trust (${label})`);
        return;
      }
    }
    await page.waitForTimeout(250);
  }
  throw new Error('no trust button appeared');
}

/** Scratch folders: a git repository (the first folder), a second folder, an untrusted folder. */
export function fixtures(scratch) {
  const first = join(scratch, 'project-a');
  const second = join(scratch, 'project-b');
  const untrusted = join(scratch, 'untrusted');
  for (const d of [first, second, untrusted]) mkdirSync(d, { recursive: true });
  writeFileSync(join(first, 'index.ts'), 'export function parseHttpRequest() {}\n');
  try {
    execFileSync('git', ['init', '-q', first]);
  } catch {
    log('git is not available: the .gitignore offer test will be skipped');
  }
  const workspace = join(scratch, 'codeidx-test.code-workspace');
  // Background indexing is off for the workspace: the main suite imports records for files that
  // do not exist, which a reconcile would remove. The indexing suite's folders turn it on.
  writeFileSync(
    workspace,
    JSON.stringify({ folders: [{ path: first }], settings: { 'codeidx.index.enabled': false } }),
  );
  return { first, second, untrusted, workspace };
}

async function main() {
  const built = Date.now();
  await buildAll();
  log(`built in ${((Date.now() - built) / 1000).toFixed(1)} s`);
  const scratch = mkdtempSync(join(tmpdir(), 'codeidx-exttest-'));
  const fx = fixtures(scratch);
  const env = {
    CODEIDX_TEST_FIRST: fx.first,
    CODEIDX_TEST_SECOND: fx.second,
    CODEIDX_TEST_ROOT: root,
  };
  const sessions = [
    { name: 'main', trust: false, target: { workspace: fx.workspace } },
    { name: 'empty', trust: false, target: {} },
    { name: 'restricted', trust: true, target: { folder: fx.untrusted } },
  ].filter((s) => only.length === 0 || only.includes(s.name));
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const servers = new Map();
  let failed = 0;
  try {
    for (const s of sessions) {
      if (!servers.has(s.trust)) {
        servers.set(s.trust, await startCodeServer({ trust: s.trust, scratch, env }));
        log(
          `code-server (${s.trust ? 'workspace trust on' : '--disable-workspace-trust'}) on port ${servers.get(s.trust).port}`,
        );
      }
      const code = await runSession(browser, servers.get(s.trust), s.name, s.target, scratch);
      if (code !== 0) failed++;
    }
  } finally {
    await browser.close();
    for (const server of servers.values()) server.stop();
    if (!keep && failed === 0) rmSync(scratch, { recursive: true, force: true });
  }
  log(`${sessions.length - failed} of ${sessions.length} sessions passed`);
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
