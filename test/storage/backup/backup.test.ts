import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import {
  backupFolder,
  createBackup,
  lastBackup,
  listBackups,
  listReplaced,
  parseBackupName,
  restoreBackup,
  verifyBackup,
} from '../../../src/storage/backup/index.ts';
import { openConnection, type Connection } from '../../../src/storage/database/connection.ts';
import {
  ENCRYPTION_HEADER_BYTES,
  ENCRYPTION_TAG_BYTES,
  encryptFile,
  isEncryptedFile,
} from '../../../src/storage/backup/crypto.ts';
import { CodeidxError } from '../../../src/storage/errors.ts';
import { notesDatabase, notesIn, recorder } from '../../helpers.ts';
import { startChild } from '../../fixtures/child-process.ts';
import { fileRecord, tempDatabases } from '../../helpers.ts';
import { Repository } from '../../../src/storage/index/repository.ts';

const LOCK_HOLDER = fileURLToPath(new URL('../../fixtures/lock-holder.ts', import.meta.url));
const KEY = 'correct horse battery staple';
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

/** The error a call throws (failing the test when it does not throw a CodeidxError). */
/** The CodeidxError an async call rejects with. */
async function rejected(fn: () => Promise<unknown>): Promise<CodeidxError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof CodeidxError, `expected a CodeidxError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

function thrown(fn: () => unknown): CodeidxError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CodeidxError, `expected a CodeidxError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

/** Mounts a small tmpfs (needs root with CAP_SYS_ADMIN); undefined where that is not allowed. */
function mountTmpfs(options: string): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'codeidx-mnt-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], {
      stdio: 'ignore',
      timeout: 30_000,
    });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

function unmount(dir: string): void {
  execFileSync('umount', [dir], { stdio: 'ignore', timeout: 30_000 });
  rmSync(dir, { recursive: true, force: true });
}

describe('backups', () => {
  let dir = '';
  const open: Connection[] = [];
  const dbPath = (): string => join(dir, 'codeidx.db');
  const backups = (): string => join(dir, 'codeidx-backups');
  const track = (db: Connection): Connection => {
    open.push(db);
    return db;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'codeidx-'));
  });
  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('createBackup', () => {
    it('writes a verified copy named codeidx-<UTC ms>-v<version>.db, 0600 in a 0700 folder even with umask 0', () => {
      const db = track(notesDatabase(dbPath(), { version: 7, notes: ['a', 'b', 'c'] }));
      const old = process.umask(0);
      let result;
      try {
        result = createBackup(db, { dbPath: dbPath(), now: new Date(T0) });
      } finally {
        process.umask(old);
      }
      assert.equal(result.path, join(backups(), 'codeidx-2026-01-02T03-04-05-678Z-v7.db'));
      assert.ok(result.verified && !result.encrypted);
      assert.equal(result.bytes, statSync(result.path).size);
      assert.deepEqual(result.rotated, []);
      assert.equal(statSync(result.path).mode & 0o777, 0o600, 'the backup is private');
      assert.equal(statSync(backups()).mode & 0o777, 0o700, 'the folder is private');
      assert.deepEqual(notesIn(result.path), ['a', 'b', 'c'], 'the backup holds the rows');
      assert.deepEqual(verifyBackup(result.path), { ok: true, schemaVersion: 7 });
      assert.deepEqual(readdirSync(backups()), [basename(result.path)], 'no temp file is left');
    });

    it('snapshots only committed rows while another connection writes and a third reads', () => {
      const db = track(notesDatabase(dbPath(), { notes: ['committed'] }));
      const writer = track(openConnection(dbPath()));
      const reader = track(openConnection(dbPath(), { readonly: true }));
      writer.exec("BEGIN IMMEDIATE; INSERT INTO notes (body) VALUES ('uncommitted')");
      const rows = reader.prepare('SELECT body FROM notes').pluck().iterate();
      rows.next(); // a read transaction stays open while the backup runs
      const result = createBackup(db, { dbPath: dbPath() });
      rows.return?.();
      writer.exec('COMMIT');
      assert.deepEqual(notesIn(result.path), ['committed'], 'a consistent committed snapshot');
    });

    it('keeps the newest `keep` backups, plain and encrypted alike, and touches no other file', () => {
      const db = track(notesDatabase(dbPath()));
      mkdirSync(backups());
      const others = [
        'notes.txt',
        'codeidx-manual.db',
        'codeidx-2020-01-01T00-00-00-000Z-v1.db.bak',
      ];
      for (const name of others) writeFileSync(join(backups(), name), 'mine');
      const made = [0, 1, 2, 3].map((i) =>
        createBackup(db, {
          dbPath: dbPath(),
          keep: 2,
          now: new Date(T0 + i * 1000),
          ...(i === 2 ? { key: KEY } : {}),
        }),
      );
      assert.deepEqual(made[2]!.rotated, [made[0]!.path]);
      assert.deepEqual(made[3]!.rotated, [made[1]!.path]);
      assert.deepEqual(
        listBackups(backups()).map((b) => b.path),
        [made[3]!.path, made[2]!.path],
        'the two newest remain',
      );
      for (const name of others) assert.ok(existsSync(join(backups(), name)), `${name} is kept`);
    });

    it('never rotates away the backup it just wrote, even when the clock went back', () => {
      const db = track(notesDatabase(dbPath()));
      const newer = createBackup(db, { dbPath: dbPath(), keep: 1, now: new Date(T0 + 60_000) });
      const older = createBackup(db, { dbPath: dbPath(), keep: 1, now: new Date(T0) });
      assert.ok(existsSync(older.path), 'the new backup survives its own rotation');
      assert.deepEqual(older.rotated, [newer.path]);
    });

    it('gives two backups in the same millisecond distinct names in the order they were taken', () => {
      const db = track(notesDatabase(dbPath()));
      const first = createBackup(db, { dbPath: dbPath(), now: new Date(T0) });
      const second = createBackup(db, { dbPath: dbPath(), now: new Date(T0), key: KEY });
      assert.notEqual(first.path, second.path);
      assert.deepEqual(
        listBackups(backups()).map((b) => b.path),
        [second.path, first.path],
      );
    });

    it('writes exactly to `out`, refuses to overwrite a file, and rotates nothing', () => {
      const db = track(notesDatabase(dbPath()));
      for (let i = 0; i < 3; i++) createBackup(db, { dbPath: dbPath(), now: new Date(T0 + i) });
      const out = join(dir, 'elsewhere', 'copy.db');
      mkdirSync(join(dir, 'elsewhere'));
      const result = createBackup(db, { dbPath: dbPath(), out, keep: 1 });
      assert.equal(result.path, out);
      assert.deepEqual(result.rotated, []);
      assert.equal(listBackups(backups()).length, 3, 'the managed folder is left alone');
      const before = readFileSync(out);
      assert.equal(
        thrown(() => createBackup(db, { dbPath: dbPath(), out })).code,
        'INVALID_ARGUMENT',
      );
      assert.deepEqual(readFileSync(out), before, 'the existing file is untouched');
    });

    it('refuses an `out` in a missing folder, naming it, and creates no folder', () => {
      const db = track(notesDatabase(dbPath()));
      const out = join(dir, 'no', 'such', 'copy.db');
      const err = thrown(() => createBackup(db, { dbPath: dbPath(), out }));
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.match(err.message, /does not exist/);
      assert.ok(err.hint!.includes(join(dir, 'no', 'such')), err.hint);
      assert.ok(!existsSync(join(dir, 'no')), 'no folder was created');
    });

    it("refuses a source that is not codeidx's, bad options, and an open transaction", () => {
      const foreign = track(openConnection(join(dir, 'other.db')));
      foreign.exec('CREATE TABLE t (x)');
      assert.equal(
        thrown(() => createBackup(foreign, { dbPath: join(dir, 'other.db') })).code,
        'FOREIGN_DATABASE',
      );
      const db = track(notesDatabase(dbPath()));
      assert.equal(
        thrown(() => createBackup(db, { dbPath: dbPath(), keep: 0 })).code,
        'INVALID_ARGUMENT',
      );
      assert.equal(
        thrown(() => createBackup(db, { dbPath: dbPath(), key: '' })).code,
        'INVALID_ARGUMENT',
      );
      db.exec('BEGIN');
      assert.equal(thrown(() => createBackup(db, { dbPath: dbPath() })).code, 'INVALID_ARGUMENT');
      db.exec('ROLLBACK');
      assert.ok(!existsSync(backups()) || readdirSync(backups()).length === 0, 'nothing written');
    });

    it('reports a full disk as DISK_FULL, leaves no file behind and does not change the database', function () {
      const mount = mountTmpfs('size=64k');
      if (!mount) this.skip(); // needs root and mount rights
      try {
        const db = track(notesDatabase(dbPath(), { notes: [] }));
        const insert = db.prepare('INSERT INTO notes (body) VALUES (?)');
        for (let i = 0; i < 200; i++) insert.run('x'.repeat(2000));
        const before = notesIn(dbPath()).length;
        const err = thrown(() => createBackup(db, { dbPath: dbPath(), dir: mount }));
        assert.equal(err.code, 'DISK_FULL');
        assert.match(err.hint!, /Nothing was changed/);
        assert.deepEqual(readdirSync(mount), [], 'no partial backup or temp file is left');
        assert.equal(notesIn(dbPath()).length, before);
      } finally {
        unmount(mount);
      }
    });

    it('reports a folder it cannot write as READONLY with a hint naming the folder', function () {
      let target: string;
      let cleanup: () => void;
      const mount = mountTmpfs('ro,size=64k');
      if (mount) {
        target = mount;
        cleanup = () => unmount(mount);
      } else if (process.getuid?.() !== 0) {
        target = join(dir, 'locked');
        mkdirSync(target, { mode: 0o500 });
        chmodSync(target, 0o500);
        cleanup = () => chmodSync(target, 0o700);
      } else {
        this.skip(); // root without mount rights can write anywhere
      }
      try {
        const db = track(notesDatabase(dbPath()));
        const err = thrown(() => createBackup(db, { dbPath: dbPath(), dir: target }));
        assert.equal(err.code, 'READONLY');
        assert.ok(err.hint!.includes(target), err.hint);
        assert.deepEqual(readdirSync(target), []);
      } finally {
        cleanup();
      }
    });

    it('removes temp files a killed backup or restore left over an hour ago, and only those', async () => {
      const db = track(notesDatabase(dbPath()));
      mkdirSync(backups());
      const stale = join(backups(), '.codeidx-backup-1-aaaa.snapshot.tmp');
      const fresh = join(backups(), `.codeidx-backup-${process.pid}-bbbb.snapshot.tmp`);
      const staleRestore = join(dir, '.codeidx.db.restore-cccc.tmp');
      const notOurs = join(backups(), '.other.tmp');
      const hoursAgo = new Date(Date.now() - 2 * 3_600_000);
      for (const f of [stale, fresh, staleRestore, notOurs]) {
        writeFileSync(f, 'leftover');
        utimesSync(f, hoursAgo, hoursAgo);
      }
      utimesSync(fresh, new Date(), new Date());
      const { path } = createBackup(db, { dbPath: dbPath() });
      assert.ok(!existsSync(stale), 'an old temp of ours is removed');
      assert.ok(existsSync(fresh), 'a recent one may belong to a backup in progress');
      assert.ok(existsSync(notOurs), 'other files are left alone');
      db.close();
      await restoreBackup({ dbPath: dbPath(), file: path });
      assert.ok(!existsSync(staleRestore), 'an old restore temp is removed');
    });

    it('logs the backup and reports progress that adds up to 100', () => {
      const db = track(notesDatabase(dbPath()));
      const logger = recorder();
      const increments: number[] = [];
      createBackup(db, {
        dbPath: dbPath(),
        key: KEY,
        logger,
        onProgress: (e) => increments.push(e.increment ?? 0),
      });
      assert.equal(
        increments.reduce((a, b) => a + b, 0),
        100,
      );
      assert.ok(logger.lines.some((l) => l.startsWith('info Backup written')));
    });
  });

  describe('encryption', () => {
    it('writes the CODEIDX-ENC header, no plaintext, and nothing else in the folder', () => {
      const db = track(notesDatabase(dbPath(), { notes: ['launchCodes-0451'] }));
      const result = createBackup(db, { dbPath: dbPath(), key: KEY, now: new Date(T0) });
      assert.ok(result.encrypted && result.verified);
      assert.equal(basename(result.path), 'codeidx-2026-01-02T03-04-05-678Z-v2.db.enc');
      assert.equal(statSync(result.path).mode & 0o777, 0o600);
      const bytes = readFileSync(result.path);
      assert.equal(bytes.subarray(0, 11).toString('latin1'), 'CODEIDX-ENC');
      assert.deepEqual(
        [...bytes.subarray(11, 15)],
        [1, 15, 8, 1],
        'format 1, scrypt 2^15, r 8, p 1',
      );
      assert.ok(!bytes.includes(Buffer.from('launchCodes')), 'the rows are not readable');
      assert.ok(!bytes.includes(Buffer.from('SQLite format 3')), 'not even the SQLite header');
      const plainSize = createBackup(db, { dbPath: dbPath(), out: join(dir, 'plain.db') }).bytes;
      assert.equal(bytes.length, ENCRYPTION_HEADER_BYTES + plainSize + ENCRYPTION_TAG_BYTES);
      assert.deepEqual(readdirSync(backups()), [basename(result.path)], 'no plaintext temp left');
      assert.deepEqual(verifyBackup(result.path, { key: KEY }), { ok: true, schemaVersion: 2 });
    });

    it('uses a fresh salt and IV for every file', () => {
      const db = track(notesDatabase(dbPath()));
      const a = readFileSync(createBackup(db, { dbPath: dbPath(), key: KEY }).path);
      const b = readFileSync(createBackup(db, { dbPath: dbPath(), key: KEY }).path);
      assert.notDeepEqual(a.subarray(15, 31), b.subarray(15, 31), 'salt');
      assert.notDeepEqual(a.subarray(31, 43), b.subarray(31, 43), 'iv');
    });

    it('refuses a wrong key, naming CODEIDX_BACKUP_KEY, and a missing key', () => {
      const db = track(notesDatabase(dbPath()));
      const { path } = createBackup(db, { dbPath: dbPath(), key: KEY });
      const wrong = thrown(() => verifyBackup(path, { key: 'Tr0ub4dor&3' }));
      assert.equal(wrong.code, 'BACKUP_INVALID');
      assert.match(
        wrong.hint!,
        /CODEIDX_BACKUP_KEY .*does not match the one the backup was made with/,
      );
      const none = thrown(() => verifyBackup(path));
      assert.equal(none.code, 'BACKUP_INVALID');
      assert.match(none.hint!, /set CODEIDX_BACKUP_KEY/i);
      assert.equal(none.fix?.command, 'codeidx.setBackupKey', 'the button that sets it');
    });

    it('accepts the same passphrase in another Unicode normal form', () => {
      const db = track(notesDatabase(dbPath()));
      const { path } = createBackup(db, { dbPath: dbPath(), key: 'caf\u00e9' });
      assert.equal(verifyBackup(path, { key: 'cafe\u0301' }).schemaVersion, 2);
    });

    it('refuses a file with any byte changed: header, body or tag; and a file cut short', () => {
      const db = track(notesDatabase(dbPath()));
      const { path } = createBackup(db, { dbPath: dbPath(), key: KEY });
      const original = readFileSync(path);
      const positions = {
        version: 11,
        salt: 20,
        iv: 35,
        keyCheck: 50,
        body: ENCRYPTION_HEADER_BYTES + 100,
        tag: original.length - 3,
      };
      for (const [what, at] of Object.entries(positions)) {
        const bytes = Buffer.from(original);
        bytes[at]! ^= 0x01;
        writeFileSync(path, bytes);
        assert.equal(thrown(() => verifyBackup(path, { key: KEY })).code, 'BACKUP_INVALID', what);
      }
      writeFileSync(path, original.subarray(0, original.length - 1000));
      assert.equal(thrown(() => verifyBackup(path, { key: KEY })).code, 'BACKUP_INVALID', 'cut');
      writeFileSync(path, original.subarray(0, 40));
      assert.equal(thrown(() => verifyBackup(path, { key: KEY })).code, 'BACKUP_INVALID', 'stub');
    });

    it('refuses a header that asks for more key-derivation memory than it allows, from the header', () => {
      const db = track(notesDatabase(dbPath()));
      const { path } = createBackup(db, { dbPath: dbPath(), key: KEY });
      const bytes = readFileSync(path);
      bytes[12] = 20; // N = 2^20
      bytes[13] = 16; // r = 16: 2 GiB of scrypt memory
      writeFileSync(path, bytes);
      const err = thrown(() => verifyBackup(path, { key: KEY }));
      assert.equal(err.code, 'BACKUP_INVALID');
      // Refused from the header, before deriving a key (the message says which check refused).
      assert.match(err.message, /asks for too much memory to derive its key/);
    });

    it('recognises an encrypted file by its content, not its name', () => {
      const db = track(notesDatabase(dbPath()));
      const { path } = createBackup(db, { dbPath: dbPath(), key: KEY });
      const renamed = join(dir, 'backup.db');
      copyFileSync(path, renamed);
      assert.ok(isEncryptedFile(renamed));
      assert.equal(verifyBackup(renamed, { key: KEY }).schemaVersion, 2);
    });
  });

  describe('verifyBackup', () => {
    it('refuses a file that is not SQLite, a foreign database and a missing file', () => {
      const text = join(dir, 'text.db');
      writeFileSync(text, 'not a database at all, just text '.repeat(10));
      assert.equal(thrown(() => verifyBackup(text)).code, 'BACKUP_INVALID');
      const other = join(dir, 'other.db');
      const db = new Database(other);
      db.exec('CREATE TABLE t (x)');
      db.close();
      const foreign = thrown(() => verifyBackup(other));
      assert.equal(foreign.code, 'BACKUP_INVALID');
      assert.match(foreign.message, /not a codeidx database/);
      assert.equal(thrown(() => verifyBackup(join(dir, 'missing.db'))).code, 'BACKUP_INVALID');
    });

    it('refuses a backup with a damaged page', () => {
      const db = track(notesDatabase(dbPath(), { notes: [] }));
      const insert = db.prepare('INSERT INTO notes (body) VALUES (?)');
      for (let i = 0; i < 300; i++) insert.run(`note ${i} `.repeat(20));
      const { path } = createBackup(db, { dbPath: dbPath() });
      const bytes = readFileSync(path);
      const pageSize = bytes.readUInt16BE(16);
      bytes.fill(0x55, pageSize * 3 + 8, pageSize * 3 + 200); // inside a b-tree page
      writeFileSync(path, bytes);
      assert.equal(thrown(() => verifyBackup(path)).code, 'BACKUP_INVALID');
    });

    it('changes nothing: the bytes stay the same and a WAL-mode copy gets no -wal/-shm beside it', () => {
      const db = track(notesDatabase(dbPath(), { notes: ['x'] }));
      db.pragma('wal_checkpoint(TRUNCATE)');
      const raw = join(dir, 'raw', 'copy.db');
      mkdirSync(join(dir, 'raw'));
      copyFileSync(dbPath(), raw); // a raw copy of a WAL database, as a user might make
      const before = readFileSync(raw);
      assert.equal(verifyBackup(raw).schemaVersion, 2);
      assert.deepEqual(readFileSync(raw), before);
      assert.deepEqual(readdirSync(join(dir, 'raw')), ['copy.db']);
    });
  });

  describe('listBackups and lastBackup', () => {
    it('list only backups by name pattern, newest first, with version, encryption and size', () => {
      mkdirSync(backups());
      const names = [
        'codeidx-2026-01-01T00-00-00-000Z-v1.db',
        'codeidx-2026-03-01T00-00-00-000Z-v2.db.enc',
        'codeidx-2026-02-01T00-00-00-000Z-v2.db',
        'codeidx-2026-02-01T00-00-00-000Z-v2.db-wal',
        'codeidx-latest.db',
        '.codeidx-backup-1-abc.snapshot.tmp',
      ];
      for (const n of names) writeFileSync(join(backups(), n), 'x'.repeat(n.length));
      const list = listBackups(backups());
      assert.deepEqual(
        list.map((b) => [basename(b.path), b.at, b.version, b.encrypted, b.bytes]),
        [
          [names[1], '2026-03-01T00:00:00.000Z', 2, true, names[1]!.length],
          [names[2], '2026-02-01T00:00:00.000Z', 2, false, names[2]!.length],
          [names[0], '2026-01-01T00:00:00.000Z', 1, false, names[0]!.length],
        ],
      );
      const last = lastBackup(dbPath(), undefined, new Date(Date.UTC(2026, 2, 1, 6)));
      assert.deepEqual(last, { path: list[0]!.path, at: list[0]!.at, ageHours: 6 });
    });

    it('find nothing in a missing folder', () => {
      assert.deepEqual(listBackups(join(dir, 'nowhere')), []);
      assert.equal(lastBackup(dbPath()), undefined);
    });

    it('parse exactly the names createBackup writes', () => {
      assert.deepEqual(parseBackupName('codeidx-2026-01-02T03-04-05-678Z-v12.db.enc'), {
        at: new Date(T0),
        version: 12,
        encrypted: true,
      });
      for (const bad of [
        'codeidx-2026-01-02T03-04-05Z-v1.db',
        'codeidx-2026-13-45T99-04-05-678Z-v1.db',
        'x-codeidx-2026-01-02T03-04-05-678Z-v1.db',
      ]) {
        assert.equal(parseBackupName(bad), undefined, bad);
      }
    });
  });

  describe('restoreBackup', () => {
    it('swaps in the verified backup and keeps the replaced database together with its -wal', async () => {
      const db = track(notesDatabase(dbPath(), { notes: ['a'] }));
      const backup = createBackup(db, { dbPath: dbPath(), key: KEY });
      db.pragma('wal_autocheckpoint = 0');
      db.exec("INSERT INTO notes (body) VALUES ('b')");
      // The state a crash leaves: the newest row lives only in the -wal file.
      const live = join(dir, 'live');
      mkdirSync(live);
      const target = join(live, 'codeidx.db');
      copyFileSync(dbPath(), target);
      copyFileSync(`${dbPath()}-wal`, `${target}-wal`);
      const result = await restoreBackup({
        dbPath: target,
        file: backup.path,
        key: KEY,
        now: new Date(T0),
      });
      assert.equal(result.restoredFrom, backup.path);
      assert.equal(result.schemaVersion, 2);
      assert.equal(result.previous, `${target}.replaced-2026-01-02T03-04-05-678Z`);
      assert.deepEqual(notesIn(target), ['a'], 'the database is the backup');
      assert.equal(statSync(target).mode & 0o777, 0o600);
      assert.ok(!existsSync(`${target}-wal`), 'no old -wal is left to replay into the new file');
      assert.ok(existsSync(`${result.previous}-wal`), 'the -wal moved with its file');
      assert.deepEqual(
        readdirSync(live).sort(),
        [
          'codeidx.db',
          `codeidx.db.replaced-2026-01-02T03-04-05-678Z`,
          // -shm: the index of that -wal, made by the connection that held the write lock.
          `codeidx.db.replaced-2026-01-02T03-04-05-678Z-shm`,
          `codeidx.db.replaced-2026-01-02T03-04-05-678Z-wal`,
        ],
        'no temp file is left',
      );
      assert.deepEqual(notesIn(result.previous), ['a', 'b'], 'the replaced database is whole');
    });

    it('leaves the database and its companions byte for byte as they were when the backup is bad', async () => {
      const db = track(notesDatabase(dbPath(), { notes: ['a'] }));
      const good = createBackup(db, { dbPath: dbPath(), key: KEY });
      const foreignPath = join(dir, 'foreign.db');
      const foreign = new Database(foreignPath);
      foreign.exec('CREATE TABLE t (x)');
      foreign.close();
      const text = join(dir, 'text.db');
      writeFileSync(text, 'just text '.repeat(50));
      const tampered = join(dir, 'tampered.db.enc');
      const bytes = readFileSync(good.path);
      bytes[ENCRYPTION_HEADER_BYTES + 10]! ^= 1;
      writeFileSync(tampered, bytes);
      db.close();
      writeFileSync(`${dbPath()}-wal`, 'pretend wal');
      const snapshot = (): Record<string, Buffer> =>
        Object.fromEntries(
          readdirSync(dir)
            .filter((f) => f.startsWith('codeidx.db'))
            .map((f) => [f, readFileSync(join(dir, f))]),
        );
      const before = snapshot();
      const cases: [string, () => Promise<unknown>][] = [
        ['text', () => restoreBackup({ dbPath: dbPath(), file: text })],
        ['foreign', () => restoreBackup({ dbPath: dbPath(), file: foreignPath })],
        ['wrong key', () => restoreBackup({ dbPath: dbPath(), file: good.path, key: 'nope' })],
        ['no key', () => restoreBackup({ dbPath: dbPath(), file: good.path })],
        ['tampered', () => restoreBackup({ dbPath: dbPath(), file: tampered, key: KEY })],
        ['missing', () => restoreBackup({ dbPath: dbPath(), file: join(dir, 'missing.db') })],
      ];
      for (const [what, run] of cases) {
        assert.equal((await rejected(run)).code, 'BACKUP_INVALID', what);
        assert.deepEqual(snapshot(), before, `${what}: untouched`);
      }
      assert.equal(
        (await rejected(() => restoreBackup({ dbPath: dbPath(), file: dbPath() }))).code,
        'INVALID_ARGUMENT',
      );
      assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')), 'no temp file is left');
    });

    it('restores a plain backup where no database exists yet', async () => {
      const db = track(notesDatabase(dbPath(), { notes: ['only'] }));
      const { path } = createBackup(db, { dbPath: dbPath() });
      const fresh = join(dir, 'new-place', 'codeidx.db');
      const result = await restoreBackup({ dbPath: fresh, file: path });
      assert.equal(result.previous, undefined);
      assert.deepEqual(notesIn(fresh), ['only']);
      assert.deepEqual(readdirSync(join(dir, 'new-place')), ['codeidx.db']);
    });

    it('keeps as many replaced databases as backups (keep), removing the oldest with their companions', async () => {
      const db = track(notesDatabase(dbPath()));
      const { path } = createBackup(db, { dbPath: dbPath() });
      db.close();
      const logger = recorder();
      const all: string[] = [];
      for (let i = 0; i < 4; i++) {
        writeFileSync(`${dbPath()}-wal`, '');
        all.push(
          (
            await restoreBackup({
              dbPath: dbPath(),
              file: path,
              keep: 2,
              logger,
              now: new Date(T0 + i),
            })
          ).previous!,
        );
      }
      assert.deepEqual(listReplaced(dbPath()), [all[3], all[2]], 'the newest two, newest first');
      for (const old of all.slice(0, 2)) {
        assert.ok(!existsSync(old) && !existsSync(`${old}-wal`), `${old} and its -wal are gone`);
      }
      assert.ok(existsSync(`${all[3]}-wal`));
      assert.ok(logger.lines.some((l) => l.startsWith('info Removed 1 database(s) replaced')));
    });

    it('never overwrites an earlier replaced file', async () => {
      const db = track(notesDatabase(dbPath()));
      const { path } = createBackup(db, { dbPath: dbPath() });
      db.close();
      const now = new Date(T0);
      const first = (await restoreBackup({ dbPath: dbPath(), file: path, now })).previous!;
      const second = (await restoreBackup({ dbPath: dbPath(), file: path, now })).previous!;
      assert.equal(second, `${first}-2`);
      assert.ok(existsSync(first) && existsSync(second));
    });
  });

  describe('backupFolder and keys', () => {
    // Ensure one rule places backups for the core, the CLI and the extension.
    it('puts backups in codeidx-backups beside the database unless a folder is chosen', () => {
      assert.equal(backupFolder(dbPath()), backups());
      assert.equal(backupFolder(dbPath(), join(dir, 'chosen')), join(dir, 'chosen'));
    });

    // Ensure every encrypting path refuses an empty key alike, with the fix that sets one.
    it('refuses an empty key for a backup and for encryption, naming the fix', () => {
      const db = track(notesDatabase(dbPath(), { version: 1 }));
      for (const attempt of [
        () => createBackup(db, { dbPath: dbPath(), key: '' }),
        () => encryptFile(dbPath(), 0, ''),
      ]) {
        assert.throws(attempt, (err: unknown) => {
          assert.ok(err instanceof CodeidxError);
          assert.equal(err.code, 'INVALID_ARGUMENT');
          assert.match(err.message, /needs a non-empty key/);
          assert.equal(err.fix?.command, 'codeidx.setBackupKey');
          return true;
        });
      }
      assert.ok(!existsSync(backups()), 'nothing was written');
    });
  });
});

describe('restore and other writers', () => {
  const t = tempDatabases();
  const paths = (db: Connection): string[] =>
    db.prepare('SELECT path FROM files ORDER BY path').pluck().all() as string[];
  const pathsIn = (file: string): string[] => {
    const db = openConnection(file, { create: false });
    try {
      return paths(db);
    } finally {
      db.close();
    }
  };

  // Ensure restore takes the write lock like every writer: started while another process
  // writes, it waits (busy timeout, then backoff) for that writer and then succeeds, and the
  // other writer's commit lands in the database it was writing (kept as the replaced one).
  it('waits while another process holds the write lock, then swaps', async () => {
    const db = t.open();
    const dbPath = join(t.dir(), 'test.db');
    new Repository(db).upsertFile(fileRecord('src/saved.ts'));
    const backup = createBackup(db, { dbPath, dir: join(t.dir(), 'backups') });
    db.close();
    const release = join(t.dir(), 'release');
    const holder = startChild(LOCK_HOLDER, [dbPath, '60000', release]);
    try {
      await holder.waitFor((out) => out.includes('locked'), 'it held the lock');
      // The holder lets go only once the restore has said it waits: no timing is assumed.
      const logger = recorder();
      const warn = logger.warn.bind(logger);
      let waited = false;
      logger.warn = (message, fields) => {
        warn(message, fields);
        if (message.startsWith('Waiting for the write lock') && !waited) {
          waited = true;
          writeFileSync(release, '');
        }
      };
      const result = await restoreBackup({
        dbPath,
        file: backup.path,
        busyTimeoutMs: 50,
        logger,
        lock: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 1000 },
      });
      assert.ok(waited, 'the restore waited for the write lock instead of swapping under it');
      assert.equal((await holder.exited).code, 0);
      assert.deepEqual(pathsIn(dbPath), ['src/saved.ts'], 'the restored database is the backup');
      assert.deepEqual(
        pathsIn(result.previous!),
        ['held/by-holder.ts', 'src/saved.ts'],
        "the other writer's commit is in the replaced database, not lost",
      );
    } finally {
      await holder.kill();
    }
  });

  // Ensure a restore that never gets the lock changes nothing and says why.
  it('gives up with BUSY and leaves the database as it was when the lock is never released', async () => {
    const db = t.open();
    const dbPath = join(t.dir(), 'test.db');
    const backup = createBackup(db, { dbPath, dir: join(t.dir(), 'backups') });
    db.close();
    const holder = startChild(LOCK_HOLDER, [dbPath, '60000']);
    try {
      await holder.waitFor((out) => out.includes('locked'), 'it held the lock');
      const err = await rejected(() =>
        restoreBackup({
          dbPath,
          file: backup.path,
          busyTimeoutMs: 20,
          lock: { initialDelayMs: 1, maxDelayMs: 5, maxAttempts: 3 },
        }),
      );
      assert.equal(err.code, 'BUSY');
      assert.match(err.message, /the current database was not changed/);
      assert.deepEqual(listReplaced(dbPath), []);
      assert.deepEqual(
        readdirSync(t.dir()).filter((n) => n.startsWith('.')),
        [],
        'no temp or intent file is left',
      );
    } finally {
      await holder.kill();
    }
  });

  // Ensure what the README says of a connection that outlives a restore: it keeps the replaced
  // file, its writes land there, and its close does not touch the restored database's -wal.
  it('a connection held across a restore writes to the replaced file and leaves the new one alone', async () => {
    const db = t.open();
    const dbPath = join(t.dir(), 'test.db');
    const backup = createBackup(db, { dbPath, dir: join(t.dir(), 'backups') });
    const result = await restoreBackup({ dbPath, file: backup.path });
    const restored = openConnection(dbPath, { create: false });
    try {
      restored.pragma('wal_autocheckpoint = 0');
      new Repository(restored).upsertFile(fileRecord('src/new.ts')); // only in the new -wal
      new Repository(db).upsertFile(fileRecord('src/old.ts'));
      db.close();
      assert.ok(existsSync(`${dbPath}-wal`), "the old connection's close left the new -wal alone");
      assert.deepEqual(paths(restored), ['src/new.ts']);
    } finally {
      restored.close();
    }
    assert.deepEqual(pathsIn(dbPath), ['src/new.ts']);
    assert.deepEqual(pathsIn(result.previous!), ['src/old.ts']);
  });
});
