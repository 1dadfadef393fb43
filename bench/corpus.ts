// The real-code corpus of the indexer benchmark: pinned npm packages that ship their sources,
// unpacked with `npm pack` (the only network access: the npm registry) into a temp folder.
// Run alone: `node bench/corpus.ts [DIR] [--quick] [--copies N]` prints the folder it built.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What each package brings (after the default ignores, which drop their `dist/` and `build/`):
 * react-native: JavaScript, TypeScript, C/C++ headers and sources (ReactCommon), Java, Ruby,
 * Python scripts; rxjs: TypeScript sources; classic-level: C++ (LevelDB, Snappy) and C headers;
 * node-gyp: Python (gyp) and JavaScript; @temporalio/core-bridge: the Rust sources of Temporal's
 * SDK core (and a few Go files; only `.rs` and `.go` are unpacked: the tarball also holds 140 MB of
 * prebuilt binaries); @wordpress/block-library: the PHP of WordPress's dynamic blocks (only
 * `.php`). No npm package found ships a sizeable Go code base.
 */
export const CORPUS_PACKAGES: readonly string[] = [
  'react-native@0.88.1',
  'rxjs@7.8.2',
  'classic-level@3.0.0',
  'node-gyp@13.1.0',
  '@temporalio/core-bridge@1.24.0',
  '@wordpress/block-library@11.1.0',
];

/** Packages unpacked only in part: the file patterns taken from their tarball. */
const ONLY: Readonly<Record<string, readonly string[]>> = {
  '@temporalio/core-bridge': ['*.rs', '*.go'],
  '@wordpress/block-library': ['*.php'],
};
/** `--quick` (CI): the two smaller packages, still several languages (Python, C++, JavaScript). */
export const QUICK_PACKAGES: readonly string[] = ['classic-level@3.0.0', 'node-gyp@13.1.0'];

/** The npm cache folder for the tarballs, so a second build does not download again. */
const TARBALLS = join(tmpdir(), 'codeidx-corpus-tarballs');

/**
 * Unpacks `packages` into `dir/<name>/` (one folder per package) and returns `dir`. Tarballs are
 * kept in a temp cache between runs; the unpacked tree is rebuilt every time.
 */
export function buildCorpus(
  packages: readonly string[] = CORPUS_PACKAGES,
  dir: string = mkdtempSync(join(tmpdir(), 'codeidx-corpus-')),
): string {
  mkdirSync(TARBALLS, { recursive: true });
  for (const spec of packages) {
    const file = `${spec.replace(/^@/, '').replace('/', '-').replace('@', '-')}.tgz`;
    const tarball = join(TARBALLS, file);
    if (!existsSync(tarball)) {
      execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', TARBALLS], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
    const name = spec.slice(0, spec.lastIndexOf('@'));
    const target = join(dir, name.replace('/', '+'));
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    const only = ONLY[name];
    execFileSync('tar', [
      'xzf',
      tarball,
      '-C',
      target,
      '--strip-components=1',
      ...(only ? ['--wildcards', ...only] : []),
    ]);
  }
  return dir;
}

/**
 * Copies the corpus `copies` times into `dir/copy-<n>/` (to reach 10,000 or 20,000 files with
 * real code) and returns `dir`.
 */
export function replicateCorpus(source: string, copies: number, dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (let n = 0; n < copies; n++) {
    const target = join(dir, `copy-${n}`);
    if (!existsSync(target)) cpSync(source, target, { recursive: true });
  }
  return dir;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const dir = args.find((a) => !a.startsWith('--'));
  if (dir) mkdirSync(dir, { recursive: true });
  const built = buildCorpus(quick ? QUICK_PACKAGES : CORPUS_PACKAGES, dir);
  console.log(built, readdirSync(built).join(' '));
}
