import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  appendEntries,
  gitignoreEntries,
  missingEntries,
} from '../../src/extension/logic/gitignore.ts';

const ROOT = join('/', 'work', 'app');

describe('extension logic: gitignore entries', () => {
  // Ensure the database, its -wal/-shm files and the backup folder are listed, rooted at the folder.
  it('lists the database, its side files and the backups inside the folder', () => {
    assert.deepEqual(
      gitignoreEntries(
        ROOT,
        join(ROOT, '.vscode', 'codeidx.db'),
        join(ROOT, '.vscode', 'codeidx-backups'),
      ),
      ['/.vscode/codeidx.db', '/.vscode/codeidx.db-*', '/.vscode/codeidx-backups/'],
    );
  });

  // Ensure paths outside the folder (absolute settings) are not written into its .gitignore.
  it('leaves out paths outside the folder', () => {
    assert.deepEqual(gitignoreEntries(ROOT, join('/', 'tmp', 'x.db'), join(ROOT, 'backups')), [
      '/backups/',
    ]);
    assert.deepEqual(gitignoreEntries(ROOT, join(ROOT, '..', 'other', 'x.db'), '/elsewhere'), []);
    assert.deepEqual(gitignoreEntries(ROOT, ROOT, ROOT), []);
  });

  // Ensure only the lines not yet present are added, whatever the file's line endings.
  it('missingEntries skips lines already present, CRLF included', () => {
    const entries = ['/a.db', '/a.db-*', '/b/'];
    assert.deepEqual(missingEntries('node_modules/\r\n/a.db\r\n', entries), ['/a.db-*', '/b/']);
    assert.deepEqual(missingEntries('', entries), entries);
    assert.deepEqual(missingEntries('/a.db\n/a.db-*\n/b/\n', entries), []);
  });

  // Ensure the block starts on its own line and the file ends with a newline.
  it('appendEntries adds a commented block on a new line', () => {
    assert.equal(
      appendEntries('dist', ['/a.db']),
      'dist\n# CodeIdx database (a cache of the source tree)\n/a.db\n',
    );
    assert.equal(
      appendEntries('', ['/a.db', '/b/']),
      '# CodeIdx database (a cache of the source tree)\n/a.db\n/b/\n',
    );
    assert.equal(appendEntries('x\n', ['/a.db']).startsWith('x\n# CodeIdx'), true);
  });
});
