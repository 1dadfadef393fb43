/* global describe, it, before, after, afterEach, setTimeout */
// The browser test: code-server's real workbench in Debian's Chromium (playwright-core), driven
// the way a user drives it. Opens a folder with the extension loaded, waits for the status item
// to say healthy, runs commands from the Command Palette, reads their notifications, and saves
// the screenshots the README uses (media/*.png).
//
//   npm run test:e2e        (after scripts/install-code-server.sh)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { buildAll, sessionUrl, startCodeServer } from '../../scripts/run-extension-tests.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const media = join(root, 'media');

describe('CodeIdx in the browser (code-server + Chromium)', function () {
  this.timeout(180_000);
  let scratch;
  let folder;
  let server;
  let browser;
  let page;

  /** The status item, found by its accessible label ("CodeIdx", "CodeIdx: degraded", ...). */
  const statusItem = () => page.locator('.statusbar-item', { hasText: 'CodeIdx' }).first();

  async function waitForStatus(label, ms = 60_000) {
    const deadline = Date.now() + ms;
    let last;
    while (Date.now() < deadline) {
      last = await statusItem()
        .getAttribute('aria-label')
        .catch(() => undefined);
      if (last === label) return;
      await page.waitForTimeout(200);
    }
    assert.fail(`status item label is "${last}", expected "${label}"`);
  }

  /** Runs a command by its title from the Command Palette (F1). */
  async function runFromPalette(title) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    const row = page
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: page.getByText(title, { exact: true }) })
      .first();
    await row.waitFor({ state: 'visible' });
    await row.click();
  }

  /**
   * The notification whose text matches: as a toast, or else in the Notification Center (the
   * workbench may keep toasts hidden, e.g. while the headless window has no focus).
   */
  async function notification(pattern) {
    const toast = page.locator('.notification-toast', { hasText: pattern }).first();
    try {
      await toast.waitFor({ state: 'visible', timeout: 5_000 });
      return toast;
    } catch {
      await runFromPalette('Notifications: Show Notifications');
      const item = page
        .locator('.notifications-center .monaco-list-row', { hasText: pattern })
        .first();
      await item.waitFor({ state: 'visible', timeout: 30_000 });
      return item;
    }
  }

  before(async () => {
    await buildAll();
    scratch = mkdtempSync(join(tmpdir(), 'codeidx-e2e-'));
    folder = join(scratch, 'my-project');
    mkdirSync(folder);
    writeFileSync(join(folder, 'index.ts'), 'export function parseHttpRequest() {}\n');
    mkdirSync(join(folder, 'shapes'));
    writeFileSync(
      join(folder, 'shapes', 'geometry.py'),
      'import math\n\n\nclass RoundedRectangle:\n    def area(self):\n        return math.pi\n',
    );
    server = await startCodeServer({ trust: false, scratch });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(sessionUrl(server.port, { folder }));
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page)
      await page
        .screenshot({ path: join(scratch, `failure-${Date.now()}.png`) })
        .catch(() => undefined);
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    if (scratch && process.env.CODEIDX_TEST_KEEP !== '1')
      rmSync(scratch, { recursive: true, force: true });
  });

  // Ensure the extension opens and migrates the folder's database and the item reports healthy.
  it('shows the status item as healthy after the first open', async () => {
    await waitForStatus('CodeIdx', 90_000);
    await page.keyboard.press('Escape');
    await statusItem().hover();
    await page.locator('.monaco-hover').first().waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(media, 'status-healthy.png') });
    await page.mouse.move(640, 300);
  });

  // Ensure a command run from the Command Palette reports its result in a notification.
  it('backs up from the Command Palette and says where the file is', async () => {
    await runFromPalette('CodeIdx: Back Up Database');
    const toast = await notification(/backed up to/);
    const text = await toast.innerText();
    assert.match(text, /backed up to .*codeidx-backups.*verified/s);
    assert.match(text, /Reveal/);
    assert.match(text, /Copy Path/);
    await page.screenshot({ path: join(media, 'backup-notification.png') });
    await toast.hover();
    await toast
      .locator('.codicon-notifications-clear, .codicon-close')
      .first()
      .click()
      .catch(() => undefined);
  });

  // Ensure the migration status report opens as a readable document.
  it('shows the migration status report', async () => {
    await runFromPalette('CodeIdx: Show Migration Status');
    await page
      .locator('.monaco-editor .view-lines', { hasText: 'migration status' })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    // The report is Markdown: the built-in preview renders it (what the README shows).
    await runFromPalette('Markdown: Open Preview');
    await page
      .locator('.editor-instance iframe.webview, .webview.ready')
      .first()
      .waitFor({ state: 'attached', timeout: 15_000 })
      .catch(() => undefined);
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(media, 'migration-status.png') });
  });

  // Ensure a change made by another process (the CLI) turns the item degraded, and back.
  it('turns degraded when the CLI rolls the database back, and healthy after migrating', async () => {
    const cli = (...args) =>
      execFileSync(process.execPath, [join(root, 'dist/cli.js'), ...args, '--workspace', folder], {
        stdio: 'pipe',
      });
    cli('rollback', '--to', '1', '--yes');
    await waitForStatus('CodeIdx: degraded', 30_000);
    await statusItem().hover();
    await page.locator('.monaco-hover').first().waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(media, 'status-degraded.png') });
    await page.mouse.move(640, 300);
    cli('migrate');
    await waitForStatus('CodeIdx', 30_000);
    await new Promise((r) => setTimeout(r, 100));
  });

  // Ensure Go to Symbol in Workspace (Ctrl+T) finds a Python class from the index and opens it.
  it('finds a Python class with Ctrl+T and opens it at its line', async () => {
    await page.keyboard.press('Escape');
    const input = page.locator('.quick-input-widget input');
    const row = page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'RoundedRectangle' })
      .first();
    // The index fills in the background after the first open: ask again until it answers.
    const deadline = Date.now() + 60_000;
    for (;;) {
      await page.keyboard.press('Control+T');
      await input.waitFor({ state: 'visible' });
      await input.fill('#RoundedRect');
      try {
        await row.waitFor({ state: 'visible', timeout: 5_000 });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await page.keyboard.press('Escape');
      }
    }
    assert.match(await row.innerText(), /shapes\/geometry\.py/);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(media, 'go-to-symbol.png') });
    await page.keyboard.press('Enter');
    await page
      .locator('.tab.active', { hasText: 'geometry.py' })
      .waitFor({ state: 'visible', timeout: 15_000 });
    // The cursor is on the class's line (4), as the status bar's position says.
    await page
      .locator('.statusbar-item', { hasText: /Ln 4, Col/ })
      .first()
      .waitFor({ state: 'visible', timeout: 10_000 });
  });
});
