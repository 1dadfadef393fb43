import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { cliWorkspace, json, record } from './helpers.ts';

describe('codeidx health', function () {
  const { dbFile, cli } = cliWorkspace();

  it('health exits 0 when healthy and 1 with the named object when a trigger was planted', () => {
    cli(['migrate']);
    const ok = cli(['health', '--json']);
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal(json<{ status: string }>(ok).status, 'healthy');
    const db = new Database(dbFile());
    db.exec('CREATE TRIGGER planted AFTER INSERT ON files BEGIN SELECT 1; END');
    db.close();
    const bad = cli(['health']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /UNHEALTHY/);
    assert.match(bad.stdout, /trigger "planted"/);
    assert.match(bad.stdout, /fix: codeidx repair/);
    const blocked = cli(['import', '-'], { input: record('src/a.ts') });
    assert.equal(blocked.code, 1);
    assert.match(blocked.stderr, /Writes are blocked.*codeidx repair/);
    const repaired = cli(['repair', '--yes']);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stdout, /Moved the old database to .*codeidx\.db\.repair-/);
    assert.equal(cli(['health']).code, 0);
  });
});
