import type { FileRow } from '../storage/types.ts';
import type { WalkedFile } from './walk.ts';

export type StoredFile = Pick<FileRow, 'path' | 'size' | 'lastModified' | 'hash'>;

export interface IndexPlan {
  /** New files, and files whose size or mtime changed (`knownHash` set: the worker re-hashes
   * them and skips the parse when the content is the same). */
  toParse: (WalkedFile & { knownHash?: string })[];
  /** Same size and mtime as stored: not read at all. */
  unchanged: number;
  /** Stored paths that are no longer indexable files of the folder. */
  toDelete: string[];
}

/**
 * Compares the walk with what the database holds. A rename is a delete of the old path plus an
 * add of the new one; the add re-parses the file (parsing is cheap next to bookkeeping that
 * would match contents by hash).
 */
export function planIndex(
  walked: readonly WalkedFile[],
  stored: readonly StoredFile[],
  o: { full?: boolean } = {},
): IndexPlan {
  const byPath = new Map(stored.map((s) => [s.path, s]));
  const toParse: IndexPlan['toParse'] = [];
  let unchanged = 0;
  for (const file of walked) {
    const old = byPath.get(file.path);
    byPath.delete(file.path);
    if (!old) {
      toParse.push(file);
    } else if (!o.full && old.size === file.size && old.lastModified === Math.trunc(file.mtimeMs)) {
      unchanged++;
    } else {
      // --full re-parses everything: the stored hash is not offered, so nothing is skipped.
      toParse.push(o.full ? file : { ...file, knownHash: old.hash });
    }
  }
  return { toParse, unchanged, toDelete: [...byPath.keys()] };
}
