import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { cliWorkspace, json, LATEST } from './helpers.ts';

describe('codeidx migrate', function () {
  const { ws, dbFile, cli } = cliWorkspace();

  it('migrate creates .vscode/codeidx.db (0600) in the current folder and shows the status', () => {
    const r = cli(['migrate']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Applied ${LATEST} migration\\(s\\) \\(0 → ${LATEST}\\)`));
    assert.match(r.stdout, new RegExp(`Version {3}${LATEST} of ${LATEST} \\(up to date\\)`));
    assert.equal(statSync(dbFile()).mode & 0o777, 0o600);
    const again = cli(['migrate', '--workspace', ws()]);
    assert.match(again.stdout, /Nothing to do/);
  });

  it('migrate --dry-run prints the SQL and changes nothing', () => {
    const r = cli(['migrate', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Dry run: would run ${LATEST} step\\(s\\)`));
    assert.match(r.stdout, /CREATE TABLE/);
    assert.equal(json<{ currentVersion: number }>(cli(['status', '--json'])).currentVersion, 0);
  });
});
