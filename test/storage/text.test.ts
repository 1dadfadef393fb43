import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openConnection } from '../../src/storage/database/connection.ts';
import { formatBytes, formatCount, printable, printableLines } from '../../src/storage/text.ts';
import { fileRecord } from '../helpers.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const CLEAR = '\u001b[2J';
const TITLE = '\u001b]0;pwned\u0007'; // OSC: sets the terminal's window title, ends with BEL
const BEL = '\u0007';
/** Any raw control character a terminal would act on (C0 but LF, DEL, C1). */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/; // eslint-disable-line no-control-regex

describe('data never drives the terminal', () => {
  // Ensure every control character comes out as a readable escape and nothing else changes.
  it('printable escapes C0, DEL, C1 and bidi controls readably and keeps other text', () => {
    assert.equal(printable(`a${CLEAR}b`), 'a\\x1b[2Jb');
    assert.equal(printable(TITLE), '\\x1b]0;pwned\\x07');
    assert.equal(
      printable('cr\r lf\n tab\t del\u007f csi\u009b'),
      'cr\\x0d lf\\x0a tab\\x09 del\\x7f csi\\x9b',
    );
    assert.equal(printable('evil\u202eexe.ts'), 'evil\\u202eexe.ts');
    assert.equal(printable('héllo 日本 🙂 \\x1b'), 'héllo 日本 🙂 \\x1b');
    assert.equal(printableLines(`one\t${BEL}\ntwo`), 'one\t\\x07\ntwo');
  });

  describe('the CLI', () => {
    let root = '';
    let ws = '';
    const cli = (args: string[], input = ''): { code: number | null; out: string; err: string } => {
      const r = spawnSync(process.execPath, [MAIN, ...args], {
        input,
        encoding: 'utf8',
        env: { ...process.env, CODEIDX_BACKUP_KEY: '' },
        timeout: 60_000,
      });
      if (r.error) throw r.error;
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const assertSafe = (text: string): void =>
      assert.doesNotMatch(text, RAW_CONTROL, `raw control character in ${JSON.stringify(text)}`);

    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'codeidx-text-'));
      // The workspace's own name holds an OSC title string: every report prints the path.
      ws = join(root, `ws${TITLE}`);
      mkdirSync(ws);
      assert.equal(cli(['migrate', '-w', ws]).code, 0);
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    // Ensure search results, health, status and backup names are escaped; --json stays exact.
    it('escapes paths and names in search, status, health and backup output; --json is exact', () => {
      const path = `src/${CLEAR}x${BEL}.ts`; // written by another tool: import refuses it
      const name = `parse${TITLE}Http`;
      const db = openConnection(join(ws, '.vscode', 'codeidx.db'));
      const id = db
        .prepare(
          `INSERT INTO files (path, filename, extension, size, last_modified, hash, language, indexed_at)
           VALUES (?, 'x.ts', '.ts', 1, 0, ?, 'typescript', 0)`,
        )
        .run(path, 'a'.repeat(64)).lastInsertRowid;
      db.prepare(
        `INSERT INTO definitions (file_id, name, type, line, "column", exported) VALUES (?, ?, 'function', 1, 0, 1)`,
      ).run(id, name);
      db.close();

      const search = cli(['search', 'parse', '-w', ws]);
      assert.equal(search.code, 0, search.err);
      assertSafe(search.out);
      assert.ok(search.out.includes('src/\\x1b[2Jx\\x07.ts'), search.out);
      assert.ok(search.out.includes('\\x1b]0;pwned\\x07'), search.out);
      const json = JSON.parse(cli(['search', 'parse', '-w', ws, '--json']).out) as {
        path: string;
      }[];
      assert.equal(json[0]!.path, path, '--json keeps the exact text');

      const backupPath = join(root, `b${CLEAR}.db`);
      for (const [args, shown] of [
        [['status'], 'ws\\x1b]0;pwned\\x07'],
        [['health'], 'ws\\x1b]0;pwned\\x07'],
        [['backup', '--out', backupPath], 'b\\x1b[2J.db'],
      ] as const) {
        const r = cli([...args, '-w', ws]);
        assert.equal(r.code, 0, r.err);
        assertSafe(r.out + r.err);
        assert.ok(r.out.includes(shown), `${args[0]}: ${r.out}`);
      }
    });

    // Ensure import errors quote bad input escaped, in the report and in the one-line failure.
    it('escapes import errors and failure messages', () => {
      const lines = [
        JSON.stringify(fileRecord('src/ok.ts')),
        `${CLEAR}not json${BEL}`,
        JSON.stringify(fileRecord(`src/${TITLE}.ts`)),
      ].join('\n');
      const r = cli(['import', '-', '-w', ws], lines);
      assert.equal(r.code, 1);
      assertSafe(r.out + r.err);
      assert.match(r.out, /line 3: path "src\/\\x1b\]0;pwned\\x07\.ts" must not contain control/);
      const missing = cli(['import', join(root, `no${CLEAR}.jsonl`), '-w', ws]);
      assert.equal(missing.code, 1);
      assertSafe(missing.err);
      assert.match(missing.err, /No such file: .*no\\x1b\[2J\.jsonl/);
      const report = JSON.parse(cli(['import', '-', '-w', ws, '--json'], lines).out) as {
        errors: { line: number; message: string }[];
      };
      assert.ok(report.errors[0]!.message.includes(CLEAR), '--json keeps the exact text');
    });
  });
});

describe('sizes', () => {
  // Ensure the CLI and the extension print sizes in the same binary units.
  it('formatBytes prints bytes, KiB and MiB', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(5 * 1024 * 1024), '5.0 MiB');
  });

  it('formatCount groups thousands as en-US does', () => {
    for (const n of [0, 7, 999, 1000, 12_345, 100_000, 1_234_567, -4321, 2 ** 40]) {
      assert.equal(formatCount(n), n.toLocaleString('en-US'), String(n));
    }
  });
});
