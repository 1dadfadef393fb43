import assert from 'node:assert/strict';
import {
  accessibleLabel,
  folderView,
  restrictedView,
  stateFromHealth,
  type FolderState,
} from '../../src/extension/logic/status.ts';
import { CodeidxError } from '../../src/storage/errors.ts';
import type { HealthReport } from '../../src/storage/types.ts';
import type { DatabaseInfo } from '../../src/storage/worker/protocol.ts';

const INFO: DatabaseInfo = { path: '/w/db', sizeBytes: 10, schemaVersion: 3, latestVersion: 3 };

function report(status: HealthReport['status'], failing: string[] = []): HealthReport {
  return {
    status,
    path: '/w/db',
    checks: [
      { name: 'integrity', status: 'healthy', message: 'Integrity ok.' },
      ...failing.map((message) => ({ name: 'fts' as const, status, message })),
    ],
    schemaVersion: 3,
    latestVersion: 3,
    sizeBytes: 10,
    checkedAt: '2026-01-01T00:00:00Z',
  };
}

describe('extension logic: status state mapping', () => {
  // Ensure each report status maps to the item's state, with the failing checks as its message.
  it('maps healthy, degraded and unhealthy reports', () => {
    const healthy = stateFromHealth(report('healthy'), INFO, undefined);
    assert.equal(healthy.kind, 'healthy');
    assert.equal(healthy.message, 'Schema version 3 (latest).');
    const degraded = stateFromHealth(report('degraded', ['A.', 'B.']), INFO, undefined);
    assert.equal(degraded.kind, 'degraded');
    assert.equal(degraded.message, 'A. B.');
    assert.equal(stateFromHealth(report('unhealthy', ['C.']), INFO, undefined).kind, 'broken');
  });

  // Ensure a failure shown earlier holds the item at broken even when the report is healthy.
  it('a recorded failure wins over a healthy report', () => {
    const failure = new CodeidxError('MIGRATION_FAILED', 'Migration 003 failed.');
    const state = stateFromHealth(report('healthy'), INFO, failure);
    assert.equal(state.kind, 'broken');
    assert.equal(state.message, 'Migration 003 failed.');
    assert.equal(state.error, failure);
    assert.equal(state.info, INFO);
  });
});

describe('extension logic: status item view', () => {
  const state = (kind: FolderState['kind'], message = 'Why.'): FolderState => ({ kind, message });

  // Ensure the text names the folder only in a multi-root workspace and the state unless healthy.
  it('text, background and command per state', () => {
    const healthy = folderView('app', 'file:///w/app', state('healthy'), false);
    assert.equal(healthy.snapshot.text, '$(database) CodeIdx');
    assert.equal(healthy.snapshot.background, undefined);
    assert.equal(healthy.snapshot.command, 'codeidx.checkHealth');
    assert.equal(healthy.snapshot.folder, 'file:///w/app');
    const degraded = folderView('app', 'file:///w/app', state('degraded'), true);
    assert.equal(degraded.snapshot.text, '$(warning) CodeIdx app: degraded');
    assert.equal(degraded.snapshot.background, 'statusBarItem.warningBackground');
    const broken = folderView('app', 'u', state('broken'), false);
    assert.equal(broken.snapshot.text, '$(error) CodeIdx: broken');
    assert.equal(broken.snapshot.background, 'statusBarItem.errorBackground');
    assert.equal(
      folderView('app', 'u', state('starting'), false).snapshot.text,
      '$(sync~spin) CodeIdx: opening',
    );
    assert.equal(
      folderView('app', 'u', state('working'), false).snapshot.text,
      '$(sync~spin) CodeIdx: working',
    );
  });

  // Ensure the tooltip carries the state's message as escaped text, except when healthy.
  it('the tooltip has the message unless healthy', () => {
    const degraded = folderView('app', 'u', state('degraded', 'FTS *out* of date.'), false);
    assert.deepEqual(degraded.tooltip[1], { text: 'FTS *out* of date.\n\n' });
    const healthy = folderView('app', 'u', state('healthy', 'Schema version 3 (latest).'), false);
    assert.ok(healthy.tooltip.every((p) => !('text' in p)));
  });

  // Ensure restricted mode shows the shield and a click that manages trust.
  it('restricted view', () => {
    const view = restrictedView();
    assert.equal(view.snapshot.text, '$(shield) CodeIdx: restricted');
    assert.equal(view.snapshot.command, 'workbench.trust.manage');
    assert.match(view.tooltip, /not trusted/);
  });

  // Ensure the screen reader hears words, not codicon names.
  it('accessibleLabel drops codicons', () => {
    assert.equal(accessibleLabel('$(sync~spin) CodeIdx app: working'), 'CodeIdx app: working');
  });
});
