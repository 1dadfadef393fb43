/**
 * Encrypted backup files: AES-256-GCM over the whole database, streamed in chunks so memory
 * does not grow with the file, with a key derived from a passphrase by scrypt.
 *
 * File format, version 1 (all integers unsigned bytes):
 *
 * | offset | bytes | field                                                           |
 * |-------:|------:|-----------------------------------------------------------------|
 * |      0 |    11 | magic, ASCII `CODEIDX-ENC`                                      |
 * |     11 |     1 | format version, 1                                               |
 * |     12 |     1 | scrypt cost as log2(N) (15)                                     |
 * |     13 |     1 | scrypt block size r (8)                                         |
 * |     14 |     1 | scrypt parallelism p (1)                                        |
 * |     15 |    16 | salt, random per file                                           |
 * |     31 |    12 | IV, random per file                                             |
 * |     43 |    16 | key check: HMAC-SHA256(check key, "codeidx-backup-key-check")   |
 * |     59 |     n | ciphertext of the SQLite file                                   |
 * |   59+n |    16 | GCM authentication tag                                          |
 *
 * scrypt(NFC-normalised passphrase, salt, N, r, p) gives 64 bytes: the first 32 are the AES key,
 * the last 32 the check key. The whole 59-byte header is the GCM additional authenticated data,
 * so no header byte can change without the tag failing. The key check (truncated to 16 bytes)
 * tells a wrong passphrase apart from a changed file before any plaintext is written; it gives
 * an attacker nothing the known first bytes of an SQLite file would not.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  scryptSync,
  timingSafeEqual,
} from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CodeidxError } from '../errors.ts';
import { SET_BACKUP_KEY } from '../fixes.ts';
import {
  ENCRYPTION_MAGIC,
  probeHeader,
  pumpFile,
  writeAll,
  type ByteProgress,
} from '../database/files.ts';

export { ENCRYPTION_MAGIC, type ByteProgress };
export const ENCRYPTION_FORMAT_VERSION = 1;
export const ENCRYPTION_HEADER_BYTES = 59;
export const ENCRYPTION_TAG_BYTES = 16;

/** Whether `key` can encrypt or decrypt a backup: a non-empty string. The one empty-key check. */
export function isUsableKey(key: unknown): key is string {
  return typeof key === 'string' && key !== '';
}

/** The key to encrypt a backup with, or INVALID_ARGUMENT saying how to set one. */
export function requireEncryptionKey(key: unknown): string {
  if (isUsableKey(key)) return key;
  throw new CodeidxError('INVALID_ARGUMENT', 'An encrypted backup needs a non-empty key.', {
    hint: 'Set CODEIDX_BACKUP_KEY (CLI) or the backup key in VS Code.',
    fix: SET_BACKUP_KEY,
  });
}

const SCRYPT = { log2N: 15, r: 8, p: 1 };
/** Bounds for the scrypt parameters read from a file, so a hostile header cannot ask for gigabytes. */
const SCRYPT_LIMITS = { log2N: [10, 20], r: [1, 16], p: [1, 4] } as const;
/** scrypt needs about 128 * N * r bytes; a header asking for more than this is refused. */
const SCRYPT_MAX_MEMORY = 256 * 1024 * 1024;
const CHUNK_BYTES = 1 << 20;
const KEY_CHECK_LABEL = 'codeidx-backup-key-check';

const WRONG_KEY_HINT =
  'The key in CODEIDX_BACKUP_KEY (or the one stored in VS Code) does not match the one the backup was made with: set the key it was made with.';
const TAMPERED_HINT =
  'The file was changed or damaged after it was written (or cut short while copying); use another backup.';

interface Header {
  bytes: Buffer;
  log2N: number;
  r: number;
  p: number;
  salt: Buffer;
  iv: Buffer;
  keyCheck: Buffer;
}

/** True when the file starts with the encrypted-backup magic (whatever its name). */
export function isEncryptedFile(path: string): boolean {
  return probeHeader(path).encrypted;
}

function deriveKeys(
  passphrase: string,
  salt: Buffer,
  params: { log2N: number; r: number; p: number },
): { aes: Buffer; check: Buffer } {
  const N = 2 ** params.log2N;
  const bytes = scryptSync(passphrase.normalize('NFC'), salt, 64, {
    N,
    r: params.r,
    p: params.p,
    maxmem: 2 * 128 * N * params.r * params.p + (1 << 20),
  });
  return { aes: bytes.subarray(0, 32), check: bytes.subarray(32) };
}

function keyCheck(checkKey: Buffer): Buffer {
  return createHmac('sha256', checkKey).update(KEY_CHECK_LABEL).digest().subarray(0, 16);
}

/**
 * Encrypts the file at `sourcePath` into `destFd` (an open, empty file the caller created with
 * the mode it wants), chunk by chunk. The caller closes `destFd`.
 */
export function encryptFile(
  sourcePath: string,
  destFd: number,
  passphrase: string,
  onProgress?: ByteProgress,
): void {
  requireEncryptionKey(passphrase);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const keys = deriveKeys(passphrase, salt, SCRYPT);
  const header = Buffer.concat([
    Buffer.from(ENCRYPTION_MAGIC, 'latin1'),
    Buffer.from([ENCRYPTION_FORMAT_VERSION, SCRYPT.log2N, SCRYPT.r, SCRYPT.p]),
    salt,
    iv,
    keyCheck(keys.check),
  ]);
  const cipher = createCipheriv('aes-256-gcm', keys.aes, iv);
  cipher.setAAD(header);
  writeAll(destFd, header);
  const src = openSync(sourcePath, 'r');
  try {
    pumpFile(src, (chunk) => writeAll(destFd, cipher.update(chunk)), onProgress);
    writeAll(destFd, cipher.final());
    writeAll(destFd, cipher.getAuthTag());
  } finally {
    closeSync(src);
  }
}

function readHeader(fd: number, size: number, path: string): Header {
  const bytes = Buffer.alloc(ENCRYPTION_HEADER_BYTES);
  const n = readSync(fd, bytes, 0, bytes.length, 0);
  if (n < ENCRYPTION_MAGIC.length + 1 || bytes.toString('latin1', 0, 11) !== ENCRYPTION_MAGIC) {
    throw new CodeidxError('BACKUP_INVALID', `${path} is not an encrypted codeidx backup.`, {
      hint: 'Choose a file that `codeidx backup --encrypt` wrote.',
    });
  }
  const version = bytes[11]!;
  if (version !== ENCRYPTION_FORMAT_VERSION) {
    throw new CodeidxError(
      'BACKUP_INVALID',
      `${path} uses encryption format ${version}; this build reads format ${ENCRYPTION_FORMAT_VERSION}.`,
      { hint: 'Restore it with a newer codeidx.', details: { formatVersion: version } },
    );
  }
  if (n < ENCRYPTION_HEADER_BYTES || size < ENCRYPTION_HEADER_BYTES + ENCRYPTION_TAG_BYTES) {
    throw new CodeidxError('BACKUP_INVALID', `${path} is cut short (${size} bytes).`, {
      hint: TAMPERED_HINT,
    });
  }
  const header: Header = {
    bytes,
    log2N: bytes[12]!,
    r: bytes[13]!,
    p: bytes[14]!,
    salt: bytes.subarray(15, 31),
    iv: bytes.subarray(31, 43),
    keyCheck: bytes.subarray(43, 59),
  };
  for (const name of ['log2N', 'r', 'p'] as const) {
    const [min, max] = SCRYPT_LIMITS[name];
    if (header[name] < min || header[name] > max) {
      throw new CodeidxError(
        'BACKUP_INVALID',
        `${path} has an unusable key-derivation setting (${name} = ${header[name]}).`,
        { hint: TAMPERED_HINT },
      );
    }
  }
  if (128 * 2 ** header.log2N * header.r > SCRYPT_MAX_MEMORY) {
    throw new CodeidxError(
      'BACKUP_INVALID',
      `${path} asks for too much memory to derive its key.`,
      {
        hint: TAMPERED_HINT,
      },
    );
  }
  return header;
}

/**
 * Decrypts the file at `sourcePath` into `destFd` (an open, empty file the caller created),
 * chunk by chunk. Throws BACKUP_INVALID for a file that is not an encrypted backup, a wrong key
 * (found before anything is written) or a file changed after it was written (found at the end,
 * by the GCM tag: the caller must then discard what was written to `destFd`).
 */
export function decryptFile(
  sourcePath: string,
  destFd: number,
  passphrase: string,
  onProgress?: ByteProgress,
): void {
  const src = openSync(sourcePath, 'r');
  try {
    const size = fstatSync(src).size;
    const header = readHeader(src, size, sourcePath);
    const keys = deriveKeys(passphrase, header.salt, header);
    const expected = keyCheck(keys.check);
    if (!timingSafeEqual(expected, header.keyCheck)) {
      throw new CodeidxError(
        'BACKUP_INVALID',
        `Cannot decrypt ${sourcePath}: the key does not match.`,
        { hint: WRONG_KEY_HINT, details: { reason: 'wrong-key' } },
      );
    }
    const tag = Buffer.alloc(ENCRYPTION_TAG_BYTES);
    readSync(src, tag, 0, tag.length, size - ENCRYPTION_TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', keys.aes, header.iv);
    decipher.setAAD(header.bytes);
    decipher.setAuthTag(tag);
    const end = size - ENCRYPTION_TAG_BYTES;
    const total = end - ENCRYPTION_HEADER_BYTES;
    const chunk = Buffer.alloc(CHUNK_BYTES);
    let position = ENCRYPTION_HEADER_BYTES;
    while (position < end) {
      const n = readSync(src, chunk, 0, Math.min(chunk.length, end - position), position);
      if (n === 0) break;
      position += n;
      writeAll(destFd, decipher.update(chunk.subarray(0, n)));
      onProgress?.(position - ENCRYPTION_HEADER_BYTES, total);
    }
    try {
      writeAll(destFd, decipher.final());
    } catch (err) {
      throw new CodeidxError(
        'BACKUP_INVALID',
        `${sourcePath} does not authenticate: it was changed after it was written.`,
        { hint: TAMPERED_HINT, cause: err, details: { reason: 'tampered' } },
      );
    }
  } finally {
    closeSync(src);
  }
}
