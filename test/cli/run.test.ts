import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { COMMANDS } from '../../src/cli/table.ts';
import { CLI, cliWorkspace } from './helpers.ts';

describe('codeidx (dispatch, help, exit codes)', function () {
  const { ws, cli } = cliWorkspace();

  it('exits 2 with the usage on a usage error', () => {
    for (const args of [
      ['frobnicate'],
      ['migrate', '--to', 'two'],
      ['status', '--db', 'a', '--workspace', 'b'],
      ['search'],
      ['rollback'],
      [],
    ]) {
      const r = cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.trim().length > 0);
    }
    assert.equal(cli(['--help']).code, 0);
    assert.match(cli(['import', '--help']).stdout, /Usage: codeidx import FILE\|-/);
  });

  it('prints one line naming the Node it needs on a Node without Node-API 10', function () {
    const old = ['/usr/bin/node', '/usr/local/bin/node'].find(
      (p) =>
        existsSync(p) &&
        Number(
          execFileSync(p, ['-p', 'process.versions.napi'], { encoding: 'utf8', timeout: 30_000 }),
        ) < 10,
    );
    if (!old) this.skip();
    const r = spawnSync(old, [CLI, 'status'], { cwd: ws(), encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /^codeidx: needs Node\.js 22\.14 or newer \(Node-API 10\); found Node v\d+/,
    );
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  // Ensure help comes from the one table: every command listed, every option explained.
  it('--help lists every command and COMMAND --help every option, both from the command table', () => {
    const help = cli(['--help']);
    assert.equal(help.code, 0);
    for (const c of COMMANDS) {
      assert.ok(help.stdout.includes(`  ${c.name} `), `${c.name} in --help`);
      const own = cli([c.name, '--help']);
      assert.equal(own.code, 0, c.name);
      assert.ok(own.stdout.includes(`Usage: ${c.usage}\n`), c.name);
      for (const option of Object.keys(c.options))
        assert.match(own.stdout, new RegExp(`--${option}\\b.* \\w`), `${c.name} --${option}`);
    }
    assert.equal(cli([]).code, 2, 'no command is a usage error');
  });
});
