import assert from 'node:assert/strict';
import { failureNotice, healthNotice } from '../../src/extension/logic/notices.ts';
import { CodeidxError } from '../../src/storage/errors.ts';
import { SHOW_LOG } from '../../src/storage/fixes.ts';
import type { HealthReport } from '../../src/storage/types.ts';

const FOLDER = 'file:///w/app';
const titles = (n: { actions: { title: string }[] }): string[] => n.actions.map((a) => a.title);

describe('extension logic: failure notices', () => {
  // Ensure the core's structured fix is the first button and runs its command on the folder.
  it('puts the core fix first, then log, restore (when open) and the health report', () => {
    const error = new CodeidxError('SCHEMA_DRIFT', 'Schema changed.', {
      hint: 'Repair it.',
      fix: { title: 'Repair Database', cli: 'codeidx repair', command: 'codeidx.repair' },
    });
    const notice = failureNotice('app', error, FOLDER, true);
    assert.equal(notice.severity, 'error');
    assert.equal(notice.text, 'CodeIdx (app): Schema changed. Repair it.');
    assert.deepEqual(titles(notice), [
      'Repair Database',
      'Show Log',
      'Restore Backup',
      'Open Health Report',
    ]);
    assert.deepEqual(notice.actions[0], {
      title: 'Repair Database',
      command: 'codeidx.repair',
      args: [{ folder: FOLDER }],
    });
    assert.deepEqual(notice.actions[1]!.args, [], 'Show Log takes no folder');
  });

  // Ensure a closed database offers no restore, and a fix without a command gets no button.
  it('offers no restore when the database is not open', () => {
    const error = new CodeidxError('CORRUPT', 'Broken.', {
      fix: { title: 'Delete it', cli: 'rm x' },
    });
    const notice = failureNotice('app', error, FOLDER, false);
    assert.deepEqual(titles(notice), ['Show Log', 'Open Health Report']);
    assert.equal(notice.text, 'CodeIdx (app): Broken.');
  });

  // Ensure a core fix that is one of the usual buttons (the log, for a stopped worker) is shown
  // once, first.
  it('shows a Show Log fix once, first', () => {
    const error = new CodeidxError('WORKER_EXITED', 'The worker stopped.', { fix: SHOW_LOG });
    const notice = failureNotice('app', error, FOLDER, true);
    assert.deepEqual(titles(notice), ['Show Log', 'Restore Backup', 'Open Health Report']);
    assert.deepEqual(notice.actions[0], {
      title: 'Show Log',
      command: 'codeidx.showLog',
      args: [],
    });
  });

  // Ensure the codes with their own way out get their own buttons.
  it('newer database, native module and cancel', () => {
    const newer = failureNotice('a', new CodeidxError('DATABASE_NEWER', 'Newer.'), FOLDER, true);
    assert.equal(newer.severity, 'warning');
    assert.deepEqual(newer.actions[0], {
      title: 'Show Extension',
      command: 'workbench.extensions.search',
      args: ['@installed codeidx'],
    });
    assert.deepEqual(titles(newer), ['Show Extension', 'Show Log']);
    const native = failureNotice('a', new CodeidxError('NATIVE_MODULE', 'No.'), FOLDER, true);
    assert.deepEqual([native.severity, titles(native)], ['error', ['Show Log']]);
    const cancelled = failureNotice('a', new CodeidxError('CANCELLED', 'Stop.'), FOLDER, true);
    assert.deepEqual([cancelled.severity, titles(cancelled)], ['information', []]);
  });
});

describe('extension logic: health notices', () => {
  const report = (
    status: HealthReport['status'],
    checks: HealthReport['checks'],
  ): HealthReport => ({
    status,
    path: '/w/db',
    checks,
    schemaVersion: 3,
    latestVersion: 3,
    sizeBytes: 1,
    checkedAt: '2026-01-01T00:00:00Z',
  });

  // Ensure a clean report says how many checks passed and offers nothing.
  it('all checks passed', () => {
    const notice = healthNotice(
      'app',
      report('healthy', [{ name: 'integrity', status: 'healthy', message: 'ok' }]),
      FOLDER,
    );
    assert.deepEqual(notice, {
      severity: 'information',
      text: 'CodeIdx (app): healthy. 1 checks passed.',
      actions: [],
    });
  });

  // Ensure one button per distinct fix with a command, and the failing messages in the text.
  it('one button per distinct fix, error when unhealthy', () => {
    const repair = { title: 'Repair Database', cli: 'codeidx repair', command: 'codeidx.repair' };
    const notice = healthNotice(
      'app',
      report('unhealthy', [
        { name: 'integrity', status: 'unhealthy', message: 'Corrupt.', fix: repair },
        { name: 'schema-objects', status: 'unhealthy', message: 'Planted.', fix: repair },
        {
          name: 'writable',
          status: 'degraded',
          message: 'Read-only.',
          fix: { title: 'chmod', cli: 'chmod' },
        },
      ]),
      FOLDER,
    );
    assert.equal(notice.severity, 'error');
    assert.equal(notice.text, 'CodeIdx (app): unhealthy. Corrupt. Planted.');
    assert.deepEqual(notice.actions, [
      { title: 'Repair Database', command: 'codeidx.repair', args: [{ folder: FOLDER }] },
    ]);
    const degraded = healthNotice(
      'app',
      report('degraded', [
        {
          name: 'backup-age',
          status: 'degraded',
          message: 'Old.',
          fix: { title: 'Back Up', cli: 'codeidx backup', command: 'codeidx.backup' },
        },
      ]),
      FOLDER,
    );
    assert.equal(degraded.severity, 'warning');
  });
});
