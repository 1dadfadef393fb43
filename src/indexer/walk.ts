import {
  closeSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  statSync,
  type Dirent,
} from 'node:fs';
import { join, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { languageOf } from './languages.ts';

/**
 * Folders skipped everywhere, whatever `.gitignore` says: dependencies, VCS data, build output
 * and caches. `vendor` is here too: Go and PHP keep third-party code there.
 */
export const DEFAULT_IGNORES: readonly string[] = [
  '.git/',
  '.hg/',
  '.svn/',
  'node_modules/',
  'bower_components/',
  'vendor/',
  'dist/',
  'build/',
  'out/',
  'target/',
  '.venv/',
  'venv/',
  '__pycache__/',
  '.tox/',
  '.mypy_cache/',
  '.pytest_cache/',
  '.next/',
  '.nuxt/',
  '.cache/',
  '.gradle/',
  'coverage/',
  '.vscode-test/',
  '*.min.js',
];

/** One MiB: larger files are nearly always generated or data. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

export type SkipReason =
  'ignored' | 'unsupported' | 'too-large' | 'symlink' | 'binary' | 'unreadable';

export interface WalkOptions {
  /** gitignore-style patterns relative to the folder, e.g. `docs/**` or `*.generated.ts`. */
  exclude?: readonly string[];
  /** Files larger than this are skipped (default 1 MiB). */
  maxFileBytes?: number;
  /** Read the first 8 KiB of every file to skip binaries (default false: the parser checks). */
  detectBinary?: boolean;
}

export interface WalkedFile {
  /** Relative to the folder, with forward slashes. */
  path: string;
  size: number;
  /** Milliseconds since the epoch. */
  mtimeMs: number;
  language: string;
}

export interface WalkResult {
  files: WalkedFile[];
  /** Files (not folders) skipped, by reason; an ignored folder counts once under `ignored`. */
  skipped: Record<SkipReason, number>;
}

/** True when the buffer holds a NUL byte in its first 8 KiB: git's own test for binary files. */
export function isBinary(head: Uint8Array): boolean {
  return head.subarray(0, 8192).includes(0);
}

/** Zero counts for every skip reason. */
function noSkips(): Record<SkipReason, number> {
  return { ignored: 0, unsupported: 0, 'too-large': 0, symlink: 0, binary: 0, unreadable: 0 };
}

/** The rules above every .gitignore: the defaults, the user's excludes, .git/info/exclude. */
function baseRules(root: string, options: WalkOptions): Ignore {
  const base = ignore()
    .add(DEFAULT_IGNORES)
    .add(options.exclude ?? []);
  const info = readText(join(root, '.git', 'info', 'exclude'));
  if (info) base.add(info);
  return base;
}

/**
 * Lists the folder's indexable files: a known language, not ignored by the `.gitignore` files
 * (nested ones apply below their folder, negations included), `.git/info/exclude`, the default
 * ignores or `exclude`, not over the size cap. Symlinks are never followed out of the folder;
 * symlinked folders are not entered at all (no loops, no duplicates).
 */
export function walkFolder(root: string, options: WalkOptions = {}): WalkResult {
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const skipped = noSkips();
  const files: WalkedFile[] = [];
  const realRoot = realpathSync(root);
  const base = baseRules(root, options);
  /** Rules of each folder that has a .gitignore, with the folder's relative path ('' = root). */
  const visit = (dir: string, rel: string, rules: { at: string; ig: Ignore }[]): void => {
    const gitignore = readText(join(dir, '.gitignore'));
    const scoped = gitignore ? [...rules, { at: rel, ig: ignore().add(gitignore) }] : rules;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      skipped.unreadable++;
      return;
    }
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      const full = join(dir, entry.name);
      const isDir = entry.isDirectory();
      if (isIgnored(base, scoped, isDir ? `${path}/` : path)) {
        skipped.ignored++;
        continue;
      }
      if (isDir) {
        visit(full, path, scoped);
        continue;
      }
      const language = languageOf(path);
      if (!language) {
        skipped.unsupported++;
        continue;
      }
      if (entry.isSymbolicLink() && !insideRoot(full, realRoot)) {
        skipped.symlink++;
        continue;
      }
      if (!entry.isFile() && !entry.isSymbolicLink()) continue; // sockets, fifos, devices
      let stat;
      try {
        stat = statSync(full);
      } catch {
        skipped.unreadable++;
        continue;
      }
      if (!stat.isFile()) {
        skipped.symlink++; // a symlink to a folder inside the root: not entered
        continue;
      }
      if (stat.size > maxBytes) {
        skipped['too-large']++;
        continue;
      }
      if (options.detectBinary && isBinary(readHead(full))) {
        skipped.binary++;
        continue;
      }
      files.push({ path, size: stat.size, mtimeMs: stat.mtimeMs, language: language.id });
    }
  };
  visit(root, '', []);
  return { files, skipped };
}

/** What `walkPaths` found for a list of changed paths. */
export interface PathsResult extends WalkResult {
  /**
   * Requested paths that are not indexable files now (gone, ignored, too large, not a known
   * language): a stored file at such a path, or under it when it was a folder, leaves the index.
   */
  gone: string[];
  /** A requested path is a folder now (created, or renamed into place): walk the whole folder. */
  needsWalk: boolean;
}

/**
 * The `walkFolder` rules applied to a few changed paths only (relative, forward slashes), for
 * file-watcher events: each path's ancestors' `.gitignore` files are read, not the whole tree.
 */
export function walkPaths(
  root: string,
  paths: readonly string[],
  options: WalkOptions = {},
): PathsResult {
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const skipped = noSkips();
  const files: WalkedFile[] = [];
  const gone: string[] = [];
  let needsWalk = false;
  const realRoot = realpathSync(root);
  const base = baseRules(root, options);
  /** Rules per folder; null for a folder that is ignored itself. */
  const rulesOf = new Map<string, { at: string; ig: Ignore }[] | null>();
  /** The rules that apply inside folder `rel`, or undefined when the folder itself is ignored. */
  const rulesFor = (rel: string): { at: string; ig: Ignore }[] | undefined => {
    const known = rulesOf.get(rel);
    if (known !== undefined) return known ?? undefined;
    let rules: { at: string; ig: Ignore }[] | undefined = [];
    if (rel) {
      const cut = rel.lastIndexOf('/');
      const parent = rulesFor(cut < 0 ? '' : rel.slice(0, cut));
      rules = parent && !isIgnored(base, parent, `${rel}/`) ? parent : undefined;
    }
    if (rules) {
      const gitignore = readText(join(root, rel, '.gitignore'));
      if (gitignore) rules = [...rules, { at: rel, ig: ignore().add(gitignore) }];
    }
    rulesOf.set(rel, rules ?? null);
    return rules;
  };
  for (const path of new Set(paths)) {
    if (!path || path.startsWith('/') || path.split('/').includes('..')) continue;
    const full = join(root, path);
    let link;
    try {
      link = lstatSync(full);
    } catch {
      gone.push(path); // deleted: the file, or every stored file under the folder
      continue;
    }
    if (link.isDirectory()) {
      needsWalk = true;
      continue;
    }
    const cut = path.lastIndexOf('/');
    const rules = rulesFor(cut < 0 ? '' : path.slice(0, cut));
    const language = languageOf(path);
    let reason: SkipReason | undefined;
    let size = 0;
    let mtimeMs = 0;
    if (!rules || isIgnored(base, rules, path)) reason = 'ignored';
    else if (cut >= 0 && !realFolder(root, realRoot, path.slice(0, cut))) reason = 'symlink';
    else if (!language) reason = 'unsupported';
    else if (link.isSymbolicLink() && !insideRoot(full, realRoot)) reason = 'symlink';
    else {
      try {
        const stat = statSync(full);
        if (!stat.isFile()) reason = 'symlink';
        else if (stat.size > maxBytes) reason = 'too-large';
        else if (options.detectBinary && isBinary(readHead(full))) reason = 'binary';
        size = stat.size;
        mtimeMs = stat.mtimeMs;
      } catch {
        reason = 'unreadable';
      }
    }
    if (reason || !language) {
      skipped[reason ?? 'unsupported']++;
      gone.push(path);
    } else {
      files.push({ path, size, mtimeMs, language: language.id });
    }
  }
  return { files, skipped, gone, needsWalk };
}

/** True when `rel` is a folder the walk enters: no linked folder on the way from the root. */
function realFolder(root: string, realRoot: string, rel: string): boolean {
  try {
    return realpathSync(join(root, rel)) === join(realRoot, rel);
  } catch {
    return false;
  }
}

/** git semantics: later (deeper) rules win, so a nested `!pattern` re-includes a file. */
function isIgnored(base: Ignore, rules: { at: string; ig: Ignore }[], path: string): boolean {
  let ignored = base.ignores(path);
  for (const { at, ig } of rules) {
    const rel = at ? path.slice(at.length + 1) : path;
    const r = ig.test(rel);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

function insideRoot(full: string, realRoot: string): boolean {
  try {
    const real = realpathSync(full);
    return real === realRoot || real.startsWith(realRoot + sep);
  } catch {
    return false; // a dangling link
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readHead(path: string): Uint8Array {
  const head = new Uint8Array(8192);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } catch {
    return new Uint8Array();
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
