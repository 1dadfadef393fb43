import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBackup,
  listReplaced,
  recoverDatabaseFiles,
} from '../../../src/storage/backup/index.ts';
import { removeLeftoverVerifyDirs } from '../../../src/storage/backup/leftovers.ts';
import { notesDatabase, notesIn, recorder } from '../../helpers.ts';

const CHILD = join(import.meta.dirname, '..', '..', 'fixtures', 'backup-child.ts');
const KEY = 'correct horse battery staple';
const SECRET = 'launchCodes-0451';

/**
 * Runs the child until it prints `paused <step>`, then kills it with SIGKILL. The `exit` listener
 * is attached in the same tick as the spawn, so an early exit is never missed; no timer is used.
 * Returns whether it paused there (false: it exited first) and its pid.
 */
async function killAt(step: string, args: string[]): Promise<{ paused: boolean; pid: number }> {
  const child = spawn(process.execPath, [CHILD, ...args], {
    env: { ...process.env, CODEIDX_TEST_PAUSE: step },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const paused = await new Promise<boolean>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`paused ${step}\n`)) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  if (paused) child.kill('SIGKILL');
  await exited;
  assert.ok(paused, `the child did not pause at ${step}: ${out}${err}`);
  return { paused, pid: child.pid! };
}

/** Every file under `dir` (relative names), folders walked. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

describe('kill -9 at every step', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'codeidx-kill-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('restore', () => {
    const steps = [
      'restore:prepared',
      'restore:intent',
      'restore:linked',
      'restore:moved-wal',
      'restore:moved-shm',
      'restore:swapped',
    ];
    for (const step of steps) {
      it(`leaves the old or the restored database, and the next open finishes it (${step})`, async () => {
        // The backup holds "new"; the live database "old", whose last row is only in its -wal.
        const source = notesDatabase(join(dir, 'source.db'), { notes: ['new'] });
        const backup = createBackup(source, { dbPath: join(dir, 'source.db'), key: KEY });
        source.close();
        const live = notesDatabase(join(dir, 'live.db'), { notes: ['old'] });
        live.pragma('wal_autocheckpoint = 0');
        live.exec("INSERT INTO notes (body) VALUES ('old-in-wal')");
        const target = join(dir, 'ws', 'codeidx.db');
        mkdirSync(join(dir, 'ws'));
        for (const s of ['', '-wal', '-shm']) copyFileSync(join(dir, `live.db${s}`), target + s);
        live.close();

        await killAt(step, ['restore', target, backup.path, KEY]);
        assert.ok(existsSync(target), 'the database path never holds nothing');
        const logger = recorder();
        const result = recoverDatabaseFiles(target, { dbPath: target, logger });
        const finished = step !== 'restore:prepared';
        assert.equal(result.finishedRestore !== undefined, finished);
        assert.equal(
          logger.lines.some((l) => /^warn An interrupted restore .* was finished/.test(l)),
          finished,
          logger.lines.join('\n'),
        );
        // Exactly one of the two whole databases; the restored one never meets the old -wal.
        assert.deepEqual(notesIn(target), finished ? ['new'] : ['old', 'old-in-wal']);
        const replaced = listReplaced(target);
        if (finished) {
          assert.equal(replaced.length, 1);
          assert.deepEqual(notesIn(replaced[0]!), ['old', 'old-in-wal'], 'the old one is whole');
        } else {
          assert.deepEqual(replaced, []);
        }
        const left = readdirSync(join(dir, 'ws')).filter((n) => n.startsWith('.'));
        assert.deepEqual(left, [], 'no temp or intent file is left');
      });
    }
  });

  describe('backup --encrypt', () => {
    for (const step of ['backup:snapshot', 'backup:sealed', 'backup:opened']) {
      it(`leaves no plaintext copy after the next open (${step})`, async () => {
        const ws = join(dir, 'ws');
        mkdirSync(ws);
        const dbPath = join(ws, 'codeidx.db');
        notesDatabase(dbPath, { notes: [SECRET] }).close();
        const { pid } = await killAt(step, ['backup', dbPath, KEY]);
        const isCopy = (name: string): boolean => !/^codeidx\.db(-wal|-shm)?$/.test(name);
        const plaintext = (): string[] =>
          filesUnder(ws)
            .filter(isCopy)
            .filter((n) => readFileSync(join(ws, n)).includes(SECRET));
        assert.notDeepEqual(plaintext(), [], 'the kill left a plaintext copy (the test bites)');
        // A journal VACUUM INTO may leave beside its target is removed too.
        const journal = join(ws, `.codeidx-backup-${pid}-abcdefabcdef.snapshot.tmp-journal`);
        writeFileSync(journal, SECRET);
        const logger = recorder();
        recoverDatabaseFiles(dbPath, { dbPath, logger });
        assert.deepEqual(plaintext(), []);
        assert.deepEqual(
          filesUnder(ws).filter((n) => n.includes('.tmp')),
          [],
          'no temp file of any kind is left',
        );
        assert.ok(logger.lines.some((l) => l.startsWith('info Removed a temp file')));
      });
    }

    it('leaves the temp files of a backup that still runs', () => {
      const ws = join(dir, 'ws');
      mkdirSync(ws);
      const dbPath = join(ws, 'codeidx.db');
      const mine = join(ws, `.codeidx-backup-${process.pid}-abcdefabcdef.snapshot.tmp`);
      writeFileSync(mine, 'in progress');
      recoverDatabaseFiles(dbPath, { dbPath });
      assert.ok(existsSync(mine));
    });

    it('removes the decrypted copies a killed verify left in the temp folder', async () => {
      const { pid } = await killAt('backup:snapshot', ['backup', makePlain(dir), KEY]);
      const dead = join(dir, `codeidx-verify-${pid}-AbC123`);
      const running = join(dir, `codeidx-verify-${process.pid}-XyZ789`);
      for (const d of [dead, running]) {
        mkdirSync(d);
        writeFileSync(join(d, 'copy.db'), SECRET);
      }
      assert.deepEqual(removeLeftoverVerifyDirs(recorder(), dir), [dead]);
      assert.ok(!existsSync(dead) && statSync(running).isDirectory());
    });
  });
});

function makePlain(dir: string): string {
  const path = join(dir, 'plain.db');
  notesDatabase(path, { notes: ['x'] }).close();
  return path;
}
