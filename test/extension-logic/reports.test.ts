import assert from 'node:assert/strict';
import {
  healthMarkdown,
  migrationStatusMarkdown,
  tooltipParts,
} from '../../src/extension/logic/reports.ts';
import type { HealthReport, MigrationStatus } from '../../src/storage/types.ts';

const STATUS: MigrationStatus = {
  currentVersion: 1,
  latestVersion: 2,
  applied: [
    {
      version: 1,
      name: 'initial|schema',
      checksum: 'abc',
      appliedAt: '2026-01-01T00:00:00Z',
      executionMs: 12.4,
    },
  ],
  pending: [{ version: 2, name: 'fts', description: 'full text', checksum: 'def' }],
  problems: [{ kind: 'checksum-mismatch', version: 1, message: 'Changed.', hint: 'Repair it.' }],
};

const REPORT: HealthReport = {
  status: 'degraded',
  path: '/w/.vscode/codeidx.db',
  checks: [
    { name: 'integrity', status: 'healthy', message: 'ok' },
    {
      name: 'backup-age',
      status: 'degraded',
      message: 'No backup | yet.',
      fix: { title: 'Back Up', cli: 'codeidx backup', command: 'codeidx.backup' },
    },
  ],
  schemaVersion: 2,
  latestVersion: 2,
  sizeBytes: 2048,
  checkedAt: '2026-01-02T00:00:00Z',
};

describe('extension logic: reports', () => {
  // Ensure the status document lists applied, pending and problems, and data cannot break a table.
  it('migrationStatusMarkdown renders each section and escapes | in cells', () => {
    const md = migrationStatusMarkdown('app', '/w/db', STATUS);
    assert.match(md, /^# CodeIdx migration status: app\n/);
    assert.match(md, /- Current version: \*\*1\*\*/);
    assert.match(md, /\| 1 \| initial\\\|schema \| 2026-01-01T00:00:00Z \| 12 ms \| `abc` \|/);
    assert.match(md, /\| 2 \| fts \| full text \| `def` \|/);
    assert.match(md, /- \*\*checksum-mismatch\*\* \(version 1\): Changed\. Repair it\./);
    assert.ok(md.endsWith('\n'));
  });

  // Ensure empty sections say so instead of printing an empty table.
  it('migrationStatusMarkdown says None for empty sections', () => {
    const md = migrationStatusMarkdown('app', '/w/db', {
      ...STATUS,
      applied: [],
      pending: [],
      problems: [],
    });
    assert.match(md, /## Applied\n\nNone\.\n/);
    assert.match(md, /## Pending\n\nNone: the database is up to date\.\n/);
    assert.match(md, /## Problems\n\nNone\.\n$/);
  });

  // Ensure the health document has one row per check with the CLI form of its fix.
  it('healthMarkdown renders one row per check with its fix', () => {
    const md = healthMarkdown('app', REPORT);
    assert.match(md, /^# CodeIdx health: app is degraded/);
    assert.match(md, /- Size: 2\.0 KiB/);
    assert.match(md, /- Last backup: none/);
    assert.match(md, /\| ✅ \| integrity \| ok \| {2}\|/);
    assert.match(md, /\| ⚠️ \| backup-age \| No backup \\\| yet\. \| Back Up: `codeidx backup` \|/);
  });

  // Ensure the tooltip keeps messages as text (escaped by the renderer) and lists failing checks.
  it('tooltipParts puts the detail in a text part and lists failing checks', () => {
    const parts = tooltipParts(
      'app',
      'degraded',
      {
        path: '/w/db',
        sizeBytes: 100,
        schemaVersion: 2,
        latestVersion: 2,
        lastBackup: { path: '/b', at: '2026-01-01T00:00:00Z', ageHours: 2.25 },
      },
      REPORT,
      'No *backup* yet.',
    );
    assert.deepEqual(parts[0], { markdown: '**CodeIdx: app**: degraded\n\n' });
    assert.deepEqual(parts[1], { text: 'No *backup* yet.\n\n' });
    const markdown = parts.map((p) => ('markdown' in p ? p.markdown : '')).join('');
    assert.match(markdown, /- Schema version: 2 of 2\n- Size: 100 B\n/);
    assert.match(markdown, /- Last backup: 2026-01-01T00:00:00Z \(2\.3 h ago\)/);
    assert.match(markdown, /Failing checks:\n- ⚠️ backup-age: No backup \| yet\.\n/);
    assert.doesNotMatch(markdown, /integrity/);
    assert.deepEqual(parts.at(-1), { markdown: '\nClick for the health report.' });
  });

  // Ensure a tooltip without info or detail has the heading and the click hint only.
  it('tooltipParts without info, report or detail', () => {
    assert.deepEqual(tooltipParts('app', 'opening', undefined, undefined, undefined), [
      { markdown: '**CodeIdx: app**: opening\n\n' },
      { markdown: '\nClick for the health report.' },
    ]);
  });
});
