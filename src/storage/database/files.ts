/**
 * File helpers shared by the database, backup and encryption code: what a file is (one header
 * probe), private files and folders (0600 / 0700 whatever the umask), durable writes (fsync of a
 * file and of a folder after a rename), temp-file names that carry their writer's pid, the
 * chunked pump, and the rule that keeps derived paths inside their folder (symlinks).
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { CodeidxError } from '../errors.ts';

/** The files SQLite may keep beside a database (kept in step with quarantine.ts). */
const COMPANIONS = ['-wal', '-shm', '-journal'] as const;
const SQLITE_HEADER = 'SQLite format 3\0';
/** The first bytes of an encrypted backup (format in crypto.ts). */
export const ENCRYPTION_MAGIC = 'CODEIDX-ENC';
const CHUNK_BYTES = 1 << 20;

/** Called after each chunk with the bytes done and the total. */
export type ByteProgress = (done: number, total: number) => void;

/** What a file is, from its first bytes: see `probeHeader`. */
export type FileKind = 'missing' | 'empty' | 'sqlite' | 'not-sqlite';

/**
 * Reads the first 20 bytes of `path` once and says what the file is: nothing, empty, an SQLite
 * database (and whether its header asks for WAL), an encrypted codeidx backup, or something else.
 * Nothing else is read, so a foreign or damaged file is recognised before any SQL runs on it.
 */
export function probeHeader(path: string): { kind: FileKind; encrypted: boolean; wal: boolean } {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { kind: 'missing', encrypted: false, wal: false };
    }
    throw err;
  }
  if (size === 0) return { kind: 'empty', encrypted: false, wal: false };
  const fd = openSync(path, 'r');
  const header = Buffer.alloc(20);
  let n: number;
  try {
    n = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  const encrypted =
    n >= ENCRYPTION_MAGIC.length &&
    header.toString('latin1', 0, ENCRYPTION_MAGIC.length) === ENCRYPTION_MAGIC;
  const sqlite = size >= 100 && header.toString('latin1', 0, 16) === SQLITE_HEADER;
  return {
    kind: sqlite ? 'sqlite' : 'not-sqlite',
    encrypted,
    // Bytes 18 and 19 are the write and read format versions; 2 means WAL.
    wal: sqlite && (header[18] === 2 || header[19] === 2),
  };
}

/** What is at `path`: nothing, an empty file, an SQLite database, or something else. */
export function probeFile(path: string): FileKind {
  return probeHeader(path).kind;
}

/** Creates a new file (failing if anything, a symlink included, is there) with mode 0600. */
export function createPrivateFile(path: string): number {
  const fd = openSync(path, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/** Creates the folder (and missing parents) with mode 0700 whatever the umask; leaves an existing one as it is. */
export function ensurePrivateDir(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    chmodSync(d, 0o700);
    if (d === first || dirname(d) === d) break;
  }
}

/** Copies `from` into a new private file `to` (which must not exist), chunk by chunk. */
export function copyPrivate(from: string, to: string, onProgress?: ByteProgress): void {
  const src = openSync(from, 'r');
  try {
    const dest = createPrivateFile(to);
    try {
      pumpFile(src, (chunk) => writeAll(dest, chunk), onProgress);
      fsyncSync(dest);
    } finally {
      closeSync(dest);
    }
  } finally {
    closeSync(src);
  }
}

/**
 * Reads the open file `src` from its current position to the end in 1 MiB chunks, handing each
 * chunk to `onChunk` (valid only during the call) and reporting bytes done of the file's size.
 */
export function pumpFile(
  src: number,
  onChunk: (chunk: Buffer) => void,
  onProgress?: ByteProgress,
): void {
  const total = fstatSync(src).size;
  const chunk = Buffer.alloc(CHUNK_BYTES);
  let done = 0;
  for (;;) {
    const n = readSync(src, chunk, 0, chunk.length, null);
    if (n === 0) break;
    onChunk(chunk.subarray(0, n));
    done += n;
    onProgress?.(done, total);
  }
}

/** Writes all of `data`, however many writes that takes. */
export function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

/** Flushes a file's bytes to the disk. */
export function syncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a rename durable; not every platform can open a folder, so failures are ignored. */
export function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}

/** Removes a file and its SQLite companions, ignoring what cannot be removed. */
export function removeQuietly(path: string): void {
  for (const suffix of ['', ...COMPANIONS]) {
    try {
      rmSync(path + suffix, { force: true });
    } catch {
      // a temp file that cannot be removed is not worth failing for
    }
  }
}

/**
 * `<dir>/<prefix><pid>-<random>.<tag>.tmp`. The pid lets the next run tell a file left by a
 * killed process (removed at once) from one a running process still writes (left alone).
 */
export function tempName(dir: string, prefix: string, tag: string): string {
  return join(dir, `${prefix}${process.pid}-${randomBytes(6).toString('hex')}.${tag}.tmp`);
}

/** The pid a `tempName` carries after `prefix`, if any. */
export function tempOwner(name: string, prefix: string): number | undefined {
  const m = /^(\d+)-/.exec(name.slice(prefix.length));
  return m ? Number(m[1]) : undefined;
}

/** Whether a process with this pid runs (on this machine); EPERM means it does, as someone else. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Where `path` really leads: symlinks resolved all the way, also for a path that does not exist
 * yet (its deepest existing folder is resolved) or that ends in a symlink to nothing.
 */
export function realPath(path: string, depth = 0): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
  }
  let link = false;
  try {
    link = lstatSync(abs).isSymbolicLink();
  } catch {
    // not there at all
  }
  if (depth > 40) {
    throw new CodeidxError('INVALID_ARGUMENT', `${abs} is a loop of symbolic links.`);
  }
  if (link) return realPath(resolve(dirname(abs), readlinkSync(abs)), depth + 1);
  const parent = dirname(abs);
  if (parent === abs) return abs;
  return join(realPath(parent, depth), basename(abs));
}

/** True when `path`, symlinks resolved, is `root` or lies inside it (symlinks resolved too). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(realPath(root), realPath(path));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The symlink rule: a path codeidx derives from a folder (the database in a workspace, its
 * `-wal`/`-shm`/`-journal`, the default backup folder) must, symlinks resolved, stay inside that
 * folder. Throws UNSAFE_PATH naming both, and changes nothing, when it leads outside.
 */
export function assertInside(root: string, path: string, what: string): void {
  if (isInside(root, path)) return;
  throw new CodeidxError(
    'UNSAFE_PATH',
    `${what} ${path} leads outside ${root} (to ${realPath(path)}) through a symbolic link; codeidx writes nothing there.`,
    {
      hint: `Remove the link, or name the place yourself: --db FILE (CLI) or codeidx.databasePath / codeidx.backup.directory (VS Code).`,
      details: { path, root, target: realPath(path) },
    },
  );
}

/**
 * The symlink rule for a database: with `root` (the workspace the path was derived from), the
 * file must lie inside it; in every case its companions must stay in its own folder.
 */
export function assertDatabasePathSafe(dbPath: string, root?: string): void {
  if (root !== undefined) {
    assertInside(root, dirname(dbPath), 'The database folder');
    assertInside(root, dbPath, 'The database');
  }
  const folder = dirname(resolve(dbPath));
  for (const suffix of COMPANIONS) {
    assertInside(folder, dbPath + suffix, 'The database companion');
  }
}

/**
 * For the kill tests only: when CODEIDX_TEST_PAUSE names this step, prints `paused <step>` on
 * stdout and blocks forever, so the test can kill the process at exactly this point.
 */
export function testPause(step: string): void {
  if (process.env.CODEIDX_TEST_PAUSE !== step) return;
  writeSync(1, `paused ${step}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
