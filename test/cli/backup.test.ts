import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { cliWorkspace, json, record } from './helpers.ts';

describe('codeidx backup and restore', function () {
  const { cli } = cliWorkspace();

  it('backs up, refuses --encrypt without a key, and restores an encrypted backup', () => {
    cli(['migrate']);
    cli(['import', '-'], { input: record('src/a.ts') });
    const noKey = cli(['backup', '--encrypt']);
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /CODEIDX_BACKUP_KEY/);
    const env = { CODEIDX_BACKUP_KEY: 'correct horse battery staple' };
    const b = json<{ path: string; encrypted: boolean; verified: boolean }>(
      cli(['backup', '--encrypt', '--json'], { env }),
    );
    assert.ok(b.encrypted && b.verified);
    assert.equal(statSync(b.path).mode & 0o777, 0o600);
    cli(['import', '-'], { input: record('src/b.ts') });
    const wrong = cli(['restore', b.path, '--yes'], { env: { CODEIDX_BACKUP_KEY: 'wrong' } });
    assert.equal(wrong.code, 1);
    const r = cli(['restore', b.path, '--yes'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /The replaced database was kept at /);
    const paths = json<{ path: string }[]>(cli(['search', 'parseHttpRequest', '--json']));
    assert.deepEqual(
      paths.map((p) => p.path),
      ['src/a.ts'],
      'the restored database has what the backup had',
    );
  });
});
