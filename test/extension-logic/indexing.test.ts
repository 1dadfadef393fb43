import assert from 'node:assert/strict';
import {
  answersFor,
  count,
  indexStatusText,
  indexTooltipLines,
  languagesLeftToServers,
  type IndexSnapshot,
} from '../../src/extension/logic/indexing.ts';

const idle: IndexSnapshot = {
  enabled: true,
  paused: false,
  running: false,
  pending: false,
  done: 0,
  total: 0,
  runs: 1,
  reasons: ['open'],
};

describe('indexing policy (the extension, without the editor)', () => {
  // Ensure `auto` leaves exactly the languages with an installed language server to it, so Ctrl+T
  // never lists the same symbol twice; `always` and `off` ignore what is installed.
  it('leaves a language to its installed language server in auto mode only', () => {
    const installed = (id: string): boolean =>
      id === 'vscode.typescript-language-features' || id === 'golang.go';
    const auto = languagesLeftToServers('auto', installed);
    assert.deepEqual([...auto].sort(), ['go', 'javascript', 'tsx', 'typescript']);
    assert.equal(answersFor('pkg/shapes.py', auto), true, 'no Python server: CodeIdx answers');
    assert.equal(answersFor('src/main.ts', auto), false, 'tsserver answers TypeScript');
    assert.equal(answersFor('cmd/main.go', auto), false);
    assert.equal(answersFor('notes.txt', auto), true, 'unknown languages are never left out');
    assert.equal(languagesLeftToServers('always', installed).size, 0);
    const off = languagesLeftToServers('off', () => false);
    assert.equal(answersFor('pkg/shapes.py', off), false);
  });

  // Ensure the status text is what the README documents, with grouped counts.
  it('says "indexing 1,234/10,000" while running, "indexing paused" when paused, nothing when idle', () => {
    assert.equal(count(1234), '1,234');
    assert.equal(count(999), '999');
    assert.equal(count(1_000_000), '1,000,000');
    assert.equal(
      indexStatusText({ ...idle, running: true, done: 1234, total: 10_000 }),
      'indexing 1,234/10,000',
    );
    assert.equal(indexStatusText({ ...idle, running: true }), 'indexing…');
    assert.equal(indexStatusText({ ...idle, paused: true, running: true }), 'indexing paused');
    assert.equal(indexStatusText(idle), undefined);
    assert.equal(indexStatusText({ ...idle, enabled: false, running: true }), undefined);
  });

  // Ensure the tooltip names each skip reason with why (and the size cap in force).
  it('explains in the tooltip what was skipped and why', () => {
    const lines = indexTooltipLines(
      {
        ...idle,
        last: {
          files: 10,
          parsed: 3,
          unchanged: 7,
          removed: 1,
          skipped: {
            ignored: 5,
            unsupported: 0,
            'too-large': 2,
            symlink: 0,
            binary: 1,
            unreadable: 0,
            'parse-error': 0,
          },
          definitions: 40,
          imports: 12,
          errors: [],
          ms: 120,
        },
      },
      512,
    ).join('\n');
    assert.match(lines, /Index: up to date/);
    assert.match(lines, /10 files, 40 definitions, 12 imports/);
    assert.match(lines, /5 ignored \(\.gitignore/);
    assert.match(lines, /2 larger than 512 KiB \(codeidx\.index\.maxFileSizeKiB\)/);
    assert.match(lines, /1 binary/);
    assert.doesNotMatch(lines, /unreadable|symbolic/, 'reasons with no files are left out');
    assert.match(indexTooltipLines({ ...idle, enabled: false }, 1024).join(''), /off/);
    assert.match(
      indexTooltipLines({ ...idle, problem: 'disk full' }, 1024).join('\n'),
      /Index problem: disk full/,
    );
  });
});
