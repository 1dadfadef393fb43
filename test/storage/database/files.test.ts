import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackup, listBackups } from '../../../src/storage/backup/index.ts';
import { isInside, probeHeader, realPath } from '../../../src/storage/database/files.ts';
import { DatabaseService } from '../../../src/storage/service.ts';
import { rejectsWith } from '../../helpers.ts';

describe('files: the symlink rule', () => {
  let root = '';
  let ws = '';
  let outside = '';
  const services: DatabaseService[] = [];
  const open = async (o: Parameters<typeof DatabaseService.open>[0]): Promise<DatabaseService> => {
    const s = await DatabaseService.open(o);
    services.push(s);
    return s;
  };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'codeidx-links-'));
    ws = join(root, 'ws');
    outside = join(root, 'outside');
    mkdirSync(ws);
    mkdirSync(outside);
  });
  afterEach(() => {
    for (const s of services.splice(0)) s.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a .vscode folder that leads outside the workspace, and writes nothing there', async () => {
    symlinkSync(outside, join(ws, '.vscode'));
    const err = await rejectsWith(open({ workspace: ws }), 'UNSAFE_PATH');
    assert.ok(err.message.includes(outside), err.message);
    assert.ok(err.hint?.includes('--db'), err.hint);
    assert.deepEqual(readdirSync(outside), []);
  });

  it('applies the rule to a dbPath inside the workspace (as the extension passes it), not to one outside', async () => {
    symlinkSync(outside, join(ws, '.vscode'));
    const inside = join(ws, '.vscode', 'codeidx.db');
    await rejectsWith(open({ workspace: ws, dbPath: inside }), 'UNSAFE_PATH');
    assert.deepEqual(readdirSync(outside), []);
    await open({ workspace: ws, dbPath: join(outside, 'chosen.db') });
    assert.ok(existsSync(join(outside, 'chosen.db')));
  });

  it('refuses a codeidx.db, or a -wal, that is a symlink leading outside (even to nothing)', async () => {
    mkdirSync(join(ws, '.vscode'));
    symlinkSync(join(outside, 'stolen.db'), join(ws, '.vscode', 'codeidx.db'));
    await rejectsWith(open({ workspace: ws }), 'UNSAFE_PATH');
    rmSync(join(ws, '.vscode', 'codeidx.db'));
    symlinkSync(join(outside, 'stolen-wal'), join(ws, '.vscode', 'codeidx.db-wal'));
    await rejectsWith(open({ workspace: ws }), 'UNSAFE_PATH');
    assert.deepEqual(readdirSync(outside), []);
    assert.ok(!existsSync(join(ws, '.vscode', 'codeidx.db')), 'no database was created');
  });

  it('refuses a default backup folder that leads outside, and leaves that place empty', async () => {
    const s = await open({ workspace: ws });
    symlinkSync(outside, join(ws, '.vscode', 'codeidx-backups'));
    await rejectsWith(s.backup(), 'UNSAFE_PATH');
    assert.deepEqual(readdirSync(outside), []);
  });

  it('follows links the user named: --db through a link, a chosen backup folder, a linked workspace', async () => {
    symlinkSync(outside, join(root, 'link'));
    const s = await open({ dbPath: join(root, 'link', 'mine.db'), backupDir: join(root, 'link') });
    const backup = await s.backup();
    assert.ok(existsSync(join(outside, 'mine.db')));
    assert.equal(listBackups(outside).length, 1, backup.path);
    symlinkSync(ws, join(root, 'ws-link'));
    await open({ workspace: join(root, 'ws-link') });
    assert.ok(existsSync(join(ws, '.vscode', 'codeidx.db')));
  });

  it('createBackup checks only the default folder: an explicit dir may be a link', async () => {
    const s = await open({ workspace: ws });
    symlinkSync(outside, join(root, 'chosen'));
    createBackup(s.connection, { dbPath: s.path, dir: join(root, 'chosen') });
    assert.equal(listBackups(outside).length, 1);
  });

  it('realPath resolves links to nothing and missing tails; isInside compares resolved paths', () => {
    symlinkSync(join(outside, 'nothing', 'x'), join(ws, 'dangling'));
    assert.equal(realPath(join(ws, 'dangling')), join(realPath(outside), 'nothing', 'x'));
    assert.equal(realPath(join(ws, 'a', 'b')), join(realPath(ws), 'a', 'b'));
    assert.ok(isInside(ws, join(ws, 'a', 'b')));
    assert.ok(!isInside(ws, join(ws, 'dangling')));
    assert.ok(!isInside(ws, join(ws, '..', 'outside')));
  });

  it('probeHeader tells missing, empty, SQLite (and WAL) and encrypted files apart', async () => {
    const s = await open({ workspace: ws });
    assert.deepEqual(probeHeader(join(ws, 'none')), {
      kind: 'missing',
      encrypted: false,
      wal: false,
    });
    assert.deepEqual(probeHeader(s.path), { kind: 'sqlite', encrypted: false, wal: true });
  });
});
