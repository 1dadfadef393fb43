import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openConnection } from '../../../src/storage/database/connection.ts';
import { CodeidxError } from '../../../src/storage/errors.ts';
import {
  fileStamp,
  moveAside,
  moveDatabaseFiles,
} from '../../../src/storage/database/quarantine.ts';

const NOW = new Date(Date.UTC(2026, 10, 28, 6, 30, 0, 123));
const STAMP = '2026-11-28T06-30-00-123Z';

describe('moving a database aside', () => {
  let dir = '';
  const path = (): string => join(dir, 'codeidx.db');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'codeidx-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves the file and its -wal, -shm and -journal to <path>.<reason>-<time>, bytes unchanged', () => {
    const contents = { '': 'main', '-wal': 'wal', '-shm': 'shm', '-journal': 'journal' };
    for (const [suffix, text] of Object.entries(contents)) writeFileSync(path() + suffix, text);
    const moved = moveAside(path(), 'corrupt', NOW);
    assert.equal(moved, `${path()}.corrupt-${STAMP}`);
    for (const [suffix, text] of Object.entries(contents)) {
      assert.equal(
        readFileSync(moved + suffix, 'utf8'),
        text,
        `${suffix || 'main'} kept as it was`,
      );
      assert.ok(!existsSync(path() + suffix), `${suffix || 'main'} no longer at the old path`);
    }
  });

  it('moves only the companions that exist', () => {
    writeFileSync(path(), 'main');
    writeFileSync(`${path()}-wal`, 'wal');
    const moved = moveAside(path(), 'foreign', NOW);
    assert.deepEqual(readdirSync(dir).sort(), [
      `codeidx.db.foreign-${STAMP}`,
      `codeidx.db.foreign-${STAMP}-wal`,
    ]);
    assert.equal(readFileSync(`${moved}-wal`, 'utf8'), 'wal');
  });

  it('never overwrites: a taken name, even one taken only by a companion, gets -2, -3', () => {
    writeFileSync(path(), 'first');
    const first = moveAside(path(), 'drift', NOW);
    writeFileSync(path(), 'second');
    const second = moveAside(path(), 'drift', NOW);
    assert.equal(second, `${first}-2`);
    writeFileSync(`${first}-3-wal`, 'someone else');
    writeFileSync(path(), 'third');
    const third = moveAside(path(), 'drift', NOW);
    assert.equal(third, `${first}-4`, 'a target whose -wal name is taken is skipped');
    assert.deepEqual(
      [first, second, third].map((p) => readFileSync(p, 'utf8')),
      ['first', 'second', 'third'],
    );
    assert.equal(readFileSync(`${first}-3-wal`, 'utf8'), 'someone else');
  });

  it('takes the -wal along: the kept file has every committed row and the new database starts empty', () => {
    const live = openConnection(join(dir, 'live.db'));
    live.pragma('wal_autocheckpoint = 0');
    live.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('old')");
    // What a crash leaves behind: the rows live only in the -wal file.
    copyFileSync(join(dir, 'live.db'), path());
    copyFileSync(join(dir, 'live.db-wal'), `${path()}-wal`);
    live.close();
    const moved = moveAside(path(), 'repair', NOW);
    const fresh = openConnection(path());
    const tables = fresh
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
      .pluck()
      .all();
    fresh.close();
    assert.deepEqual(tables, [], 'the new file starts empty');
    const kept = new Database(moved, { readonly: true });
    assert.deepEqual(
      kept.prepare('SELECT body FROM notes').pluck().all(),
      ['old'],
      'the old file is whole',
    );
    kept.close();
  });

  it('undoes the moves already made when one fails, and says why', () => {
    // A name of 215 bytes: `<name>.corrupt-<stamp>` (249) and its `-wal` (253) fit the usual
    // 255-byte limit, its `-journal` (257) does not, so the third rename fails.
    const long = join(dir, 'x'.repeat(212) + '.db');
    writeFileSync(long, 'main');
    writeFileSync(`${long}-wal`, 'wal');
    writeFileSync(`${long}-journal`, 'journal');
    const err = (() => {
      try {
        moveAside(long, 'corrupt', NOW);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof CodeidxError, 'a CodeidxError');
    assert.match(err.message, /-journal/, 'names the file that did not move');
    assert.equal(readFileSync(long, 'utf8'), 'main', 'the main file was put back');
    assert.equal(readFileSync(`${long}-wal`, 'utf8'), 'wal', 'the -wal was put back');
    assert.equal(readFileSync(`${long}-journal`, 'utf8'), 'journal');
    assert.equal(readdirSync(dir).filter((f) => f.includes('.corrupt-')).length, 0);
  });

  it('refuses a label that is not a plain word', () => {
    writeFileSync(path(), 'main');
    assert.throws(
      () => moveDatabaseFiles(path(), '../../elsewhere', NOW),
      (e: CodeidxError) => e.code === 'INVALID_ARGUMENT',
    );
    assert.equal(readFileSync(path(), 'utf8'), 'main');
  });

  it('stamps UTC time to the millisecond, safe in a file name, sorting as time does', () => {
    assert.equal(fileStamp(NOW), STAMP);
    const later = fileStamp(new Date(NOW.getTime() + 1));
    assert.ok(later > STAMP);
    assert.doesNotMatch(STAMP, /[:./\\ ]/);
  });
});
