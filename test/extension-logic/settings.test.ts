import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  backupDirOf,
  clampInt,
  poolSettings,
  settingsFrom,
  type SettingReader,
} from '../../src/extension/logic/settings.ts';

const ROOT = join('/', 'work', 'app');

/** A reader over a plain object, as VS Code's configuration answers. */
const reader =
  (values: Record<string, unknown>): SettingReader =>
  <T>(key: string, fallback: T): T =>
    (key in values ? values[key] : fallback) as T;

describe('extension logic: settings', () => {
  // Ensure the defaults match package.json's and the database sits in the folder's .vscode.
  it('defaults', () => {
    const s = settingsFrom(ROOT, reader({}));
    assert.equal(s.databasePath, join(ROOT, '.vscode', 'codeidx.db'));
    assert.equal(s.autoMigrate, true);
    assert.equal(s.backupKeep, 5);
    assert.equal(s.backupDirectory, undefined);
    assert.equal(s.readPoolSize, 2);
    assert.equal(backupDirOf(s), join(ROOT, '.vscode', 'codeidx-backups'));
  });

  // Ensure relative paths resolve against the folder, absolute ones stay, blanks mean default.
  it('paths', () => {
    const s = settingsFrom(ROOT, reader({ databasePath: 'data/x.db', 'backup.directory': ' /b ' }));
    assert.equal(s.databasePath, join(ROOT, 'data', 'x.db'));
    assert.equal(s.backupDirectory, '/b');
    assert.equal(backupDirOf(s), '/b');
    const blank = settingsFrom(ROOT, reader({ databasePath: '', 'backup.directory': '   ' }));
    assert.equal(blank.databasePath, join(ROOT, '.vscode', 'codeidx.db'));
    assert.equal(blank.backupDirectory, undefined);
  });

  // Ensure hand-edited numbers out of range (or not numbers) are clamped, never passed on.
  it('clamps numbers to their declared ranges', () => {
    const s = settingsFrom(
      ROOT,
      reader({
        'backup.keep': 0,
        'readPool.size': 99,
        'readPool.queueLimit': -5,
        'readPool.timeoutSeconds': Number.NaN,
        'checkpoint.walLimitMiB': 1.9,
      }),
    );
    assert.equal(s.backupKeep, 1);
    assert.equal(s.readPoolSize, 8);
    assert.equal(s.readPoolQueueLimit, 1);
    assert.equal(s.readTimeoutSeconds, 0);
    assert.equal(s.walLimitMiB, 1);
    assert.equal(clampInt(Number.POSITIVE_INFINITY, 2, 9), 2);
  });

  // Ensure the pool gets milliseconds and bytes from the settings' seconds and MiB.
  it('poolSettings converts units', () => {
    const s = settingsFrom(
      ROOT,
      reader({ 'readPool.timeoutSeconds': 3, 'checkpoint.walLimitMiB': 2 }),
    );
    assert.deepEqual(poolSettings(s), {
      client: { readers: 2, maxQueue: 1000, readTimeoutMs: 3000 },
      walTruncateBytes: 2 * 1024 * 1024,
    });
  });
});
