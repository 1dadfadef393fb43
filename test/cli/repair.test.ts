import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cliWorkspace, json } from './helpers.ts';

describe('codeidx repair', function () {
  const { ws, dbFile, cli } = cliWorkspace();

  it('refuses a changed checksum with the fix, and repair --accept-checksums accepts it', () => {
    cli(['migrate']);
    const db = new Database(dbFile());
    db.prepare("UPDATE schema_migrations SET checksum = 'sha256:0000' WHERE version = 2").run();
    db.close();
    const r = cli(['migrate']);
    assert.equal(r.code, 1, 'a run is refused while an applied migration changed');
    assert.equal(cli(['status', '--json']).code, 0);
    const status = json<{ problems: { kind: string }[] }>(cli(['status', '--json']));
    assert.equal(status.problems[0]!.kind, 'checksum-mismatch');
    const rb = cli(['rollback', '--to', '1', '--yes']);
    assert.equal(rb.code, 1);
    assert.match(
      rb.stderr,
      /002_add_fts_index changed after it was applied: recorded sha256:0000.*codeidx repair --accept-checksums/,
    );
    const fixed = cli(['repair', '--accept-checksums', '--yes']);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /Accepted the current checksums of migration\(s\) 2/);
    assert.equal(cli(['health']).code, 0);
  });

  it('refuses a corrupt file on every command but repair, which moves it aside and says where it went', () => {
    const file = dbFile();
    cli(['migrate']);
    writeFileSync(file, Buffer.alloc(8192, 7));
    const health = cli(['health', '--json']);
    assert.equal(health.code, 1);
    assert.equal(json<{ status: string }>(health).status, 'unhealthy');
    for (const args of [['migrate'], ['search', 'x'], ['rebuild-fts'], ['maintenance']]) {
      const refused = cli(args);
      assert.equal(refused.code, 1, args[0]);
      assert.match(refused.stderr, /not an SQLite database.*left as it is.*Fix: `codeidx repair`/);
    }
    assert.deepEqual(
      readdirSync(join(ws(), '.vscode')).filter((f) => f.startsWith('codeidx.db.')),
      [],
      'nothing was moved',
    );
    const r = cli(['repair', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /damaged; it was moved to .*codeidx\.db\.corrupt-/);
    assert.doesNotMatch(r.stdout, /will be rebuilt/);
    const kept = readdirSync(join(ws(), '.vscode')).filter(
      (f) => f.startsWith('codeidx.db.corrupt-') && !/-(wal|shm)$/.test(f),
    );
    assert.equal(kept.length, 1);
    assert.equal(
      statSync(join(ws(), '.vscode', kept[0]!)).size,
      8192,
      'the old file is kept as it was',
    );
  });
});
