import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { walkFolder, walkPaths } from '../../src/indexer/walk.ts';

describe('indexer: walking a folder', () => {
  let root = '';
  let outside = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'codeidx-walk-'));
    outside = mkdtempSync(join(tmpdir(), 'codeidx-outside-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });
  const write = (rel: string, content: string | Buffer = 'export const x = 1;\n'): void => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  };
  const paths = (o: Parameters<typeof walkFolder>[1] = {}): string[] =>
    walkFolder(root, o)
      .files.map((f) => f.path)
      .sort();

  it('honours nested .gitignore files, negations and .git/info/exclude', () => {
    write('.gitignore', '*.gen.ts\nlogs/\n');
    write('a.ts');
    write('b.gen.ts');
    write('logs/c.ts');
    write('pkg/.gitignore', '!keep.gen.ts\nlocal.ts\n');
    write('pkg/keep.gen.ts');
    write('pkg/other.gen.ts');
    write('pkg/local.ts');
    write('local.ts'); // the nested rule applies below pkg/ only
    write('.git/info/exclude', 'secret.ts\n');
    write('secret.ts');
    assert.deepEqual(paths(), ['a.ts', 'local.ts', 'pkg/keep.gen.ts']);
  });

  it('skips the default folders and the user’s exclude globs, counting why', () => {
    write('src/a.py', 'x = 1\n');
    write('node_modules/lib/index.js');
    write('dist/out.js');
    write('src/__pycache__/a.py');
    write('target/debug/x.rs');
    write('docs/gen/api.ts');
    write('src/b.generated.ts');
    write('README.md', '# hi\n');
    const result = walkFolder(root, { exclude: ['docs/**', '*.generated.ts'] });
    assert.deepEqual(
      result.files.map((f) => f.path),
      ['src/a.py'],
    );
    assert.equal(result.files[0]!.language, 'python');
    assert.equal(result.skipped.unsupported, 1, 'README.md');
    assert.ok(result.skipped.ignored >= 6);
  });

  it('skips files over the size cap and, when asked, binary files', () => {
    write('big.ts', 'x'.repeat(2000));
    write('small.ts');
    write('blob.js', Buffer.from([0x63, 0x00, 0x01, 0x02]));
    const result = walkFolder(root, { maxFileBytes: 1000, detectBinary: true });
    assert.deepEqual(
      result.files.map((f) => f.path),
      ['small.ts'],
    );
    assert.equal(result.skipped['too-large'], 1);
    assert.equal(result.skipped.binary, 1);
  });

  it('never follows a symlink out of the folder, nor into a linked folder', () => {
    writeFileSync(join(outside, 'leak.ts'), 'export const secret = 1;\n');
    mkdirSync(join(outside, 'dir'));
    writeFileSync(join(outside, 'dir', 'deep.ts'), 'export const y = 1;\n');
    write('real.ts');
    symlinkSync(join(outside, 'leak.ts'), join(root, 'leak.ts'));
    symlinkSync(join(outside, 'dir'), join(root, 'linked'));
    symlinkSync(join(root, 'real.ts'), join(root, 'alias.ts'));
    symlinkSync(join(root, 'missing.ts'), join(root, 'dangling.ts'));
    const result = walkFolder(root);
    assert.deepEqual(result.files.map((f) => f.path).sort(), ['alias.ts', 'real.ts']);
    assert.equal(result.skipped.symlink, 2, 'leak.ts and dangling.ts');
    // walkPaths agrees, also for a path through the linked folder.
    const listed = walkPaths(root, [
      'real.ts',
      'alias.ts',
      'leak.ts',
      'dangling.ts',
      'linked/deep.ts',
    ]);
    assert.deepEqual(listed.files.map((f) => f.path).sort(), ['alias.ts', 'real.ts']);
    assert.deepEqual(listed.gone.sort(), ['dangling.ts', 'leak.ts', 'linked/deep.ts']);
    assert.equal(listed.skipped.symlink, 3);
  });

  it('returns forward-slash relative paths with size and mtime', () => {
    write('a/b/c.go', 'package c\n');
    const [file] = walkFolder(root).files;
    assert.equal(file!.path, 'a/b/c.go');
    assert.equal(file!.size, 10);
    assert.ok(file!.mtimeMs > 0);
  });
  it('walkPaths applies the same rules to changed paths only, and names what is gone', () => {
    write('.gitignore', '*.gen.ts\nlogs/\n');
    write('a.ts');
    write('b.gen.ts');
    write('logs/deep/c.ts');
    write('pkg/.gitignore', '!keep.gen.ts\nlocal.ts\n');
    write('pkg/keep.gen.ts');
    write('pkg/local.ts');
    write('node_modules/x/i.ts');
    write('notes.txt');
    write('big.ts', 'x'.repeat(2048));
    write('.git/info/exclude', 'secret.ts\n');
    write('secret.ts');
    write('untouched.ts'); // not listed: not looked at
    const r = walkPaths(
      root,
      [
        'a.ts',
        'b.gen.ts',
        'logs/deep/c.ts',
        'pkg/keep.gen.ts',
        'pkg/local.ts',
        'node_modules/x/i.ts',
        'notes.txt',
        'big.ts',
        'secret.ts',
        'removed.ts',
        'a.ts',
        '../escape.ts',
      ],
      { maxFileBytes: 1024 },
    );
    assert.deepEqual(r.files.map((f) => f.path).sort(), ['a.ts', 'pkg/keep.gen.ts']);
    assert.equal(r.files[0]!.language, 'typescript');
    assert.deepEqual(r.gone.sort(), [
      'b.gen.ts',
      'big.ts',
      'logs/deep/c.ts',
      'node_modules/x/i.ts',
      'notes.txt',
      'pkg/local.ts',
      'removed.ts',
      'secret.ts',
    ]);
    assert.deepEqual([r.skipped.ignored, r.skipped.unsupported, r.skipped['too-large']], [5, 1, 1]);
    assert.equal(r.needsWalk, false);
    assert.equal(walkPaths(root, ['pkg']).needsWalk, true, 'a folder: walk the whole folder');
  });
});
