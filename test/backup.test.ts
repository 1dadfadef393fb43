import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createBackup, listBackups, restoreBackup, verifyBackup } from '../src/storage/backup.ts';
import { CodeidxError } from '../src/storage/errors.ts';
import { moveAside } from '../src/storage/quarantine.ts';
import { Repository } from '../src/storage/repository.ts';
import { fileRecord, tempDatabases } from './helpers.ts';

const KEY = 'correct horse battery staple';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CodeidxError, String(err));
    return err.code;
  }
  return 'none';
}

describe('backups', () => {
  const t = tempDatabases();
  const dbPath = (): string => join(t.dir(), 'test.db');

  it('writes a verified 0600 copy in a 0700 folder that opens with the same rows', () => {
    const db = t.open();
    new Repository(db).upsertFile(fileRecord('src/a.ts'));
    const result = createBackup(db, { dbPath: dbPath() });
    assert.ok(result.verified && !result.encrypted);
    assert.match(result.path, /codeidx-backups\/codeidx-\d{4}-\d\d-\d\dT[\d-]+Z-v2\.db$/);
    assert.equal(statSync(result.path).mode & 0o777, 0o600);
    assert.equal(statSync(join(t.dir(), 'codeidx-backups')).mode & 0o777, 0o700);
    const copy = new Database(result.path, { readonly: true });
    assert.equal(copy.prepare('SELECT path FROM files').pluck().get(), 'src/a.ts');
    copy.close();
    assert.deepEqual(verifyBackup(result.path), { ok: true, schemaVersion: 2 });
  });

  it('keeps the newest N backups and touches no other file', () => {
    const db = t.open();
    const dir = join(t.dir(), 'codeidx-backups');
    const made = [0, 1, 2, 3].map((i) =>
      createBackup(db, { dbPath: dbPath(), keep: 2, now: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) }),
    );
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    assert.deepEqual(made[3]!.rotated, [made[1]!.path]);
    assert.deepEqual(
      listBackups(dir).map((b) => b.path),
      [made[3]!.path, made[2]!.path],
    );
    assert.ok(existsSync(join(dir, 'notes.txt')));
  });

  it('encrypts with AES-256-GCM, refuses a wrong key or a changed byte, and leaves no plaintext', () => {
    const db = t.open();
    new Repository(db).upsertFile(fileRecord('src/secret.ts', ['launchCodes']));
    const result = createBackup(db, { dbPath: dbPath(), key: KEY });
    assert.ok(result.encrypted && result.path.endsWith('.db.enc'));
    const bytes = readFileSync(result.path);
    assert.equal(bytes.subarray(0, 11).toString(), 'CODEIDX-ENC');
    assert.equal(bytes.includes(Buffer.from('launchCodes')), false, 'no plaintext inside');
    assert.deepEqual(
      readdirSync(join(t.dir(), 'codeidx-backups')),
      [result.path.split('/').pop()],
      'no temporary files left',
    );
    assert.equal(verifyBackup(result.path, { key: KEY }).schemaVersion, 2);
    assert.equal(
      code(() => verifyBackup(result.path)),
      'BACKUP_INVALID',
    );
    assert.equal(
      code(() => verifyBackup(result.path, { key: 'wrong' })),
      'BACKUP_INVALID',
    );
    bytes[bytes.length - 40] ^= 1;
    writeFileSync(result.path, bytes);
    assert.equal(
      code(() => verifyBackup(result.path, { key: KEY })),
      'BACKUP_INVALID',
    );
  });

  it('restores after verifying, keeping the replaced file; a bad backup changes nothing', () => {
    const db = t.open();
    const repo = new Repository(db);
    repo.upsertFile(fileRecord('src/a.ts'));
    const backup = createBackup(db, { dbPath: dbPath(), key: KEY });
    repo.upsertFile(fileRecord('src/b.ts'));
    db.close();
    const bogus = join(t.dir(), 'bogus.db');
    writeFileSync(bogus, 'not a database at all, just text'.repeat(10));
    const before = readFileSync(dbPath());
    assert.equal(
      code(() => restoreBackup({ dbPath: dbPath(), file: bogus })),
      'BACKUP_INVALID',
    );
    assert.equal(
      code(() => restoreBackup({ dbPath: dbPath(), file: backup.path, key: 'wrong' })),
      'BACKUP_INVALID',
    );
    assert.deepEqual(readFileSync(dbPath()), before, 'untouched by failed restores');
    const restored = restoreBackup({ dbPath: dbPath(), file: backup.path, key: KEY });
    assert.equal(restored.schemaVersion, 2);
    assert.match(restored.previous!, /test\.db\.replaced-/);
    const now = new Database(dbPath(), { readonly: true });
    assert.deepEqual(now.prepare('SELECT path FROM files').pluck().all(), ['src/a.ts']);
    now.close();
    const old = new Database(restored.previous!, { readonly: true });
    assert.equal(
      old.prepare('SELECT count(*) FROM files').pluck().get(),
      2,
      'the replaced database is kept whole',
    );
    old.close();
    assert.ok(!readdirSync(t.dir()).some((f) => f.includes('restoring')), 'no temporary file left');
  });

  it("refuses a backup that is not codeidx's", () => {
    const other = join(t.dir(), 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    assert.throws(() => verifyBackup(other), /not a codeidx database/);
  });

  it('moves a file and its companions aside without overwriting an earlier one', () => {
    const db = t.open();
    db.close();
    const path = dbPath();
    writeFileSync(`${path}-wal`, 'wal');
    const now = new Date(Date.UTC(2026, 10, 28));
    const first = moveAside(path, 'corrupt', now);
    assert.ok(existsSync(first) && existsSync(`${first}-wal`) && !existsSync(path));
    writeFileSync(path, 'again');
    const second = moveAside(path, 'corrupt', now);
    assert.equal(second, `${first}-2`);
    assert.equal(readFileSync(second, 'utf8'), 'again');
  });
});
