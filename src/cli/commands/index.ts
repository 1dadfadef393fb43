import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { indexFolder } from '../../indexer/index.ts';
import { CodeidxError, toCodeidxError } from '../../storage/errors.ts';
import { JSON_FLAG, parseCount, TARGET } from '../args.ts';
import type { Command, Io } from '../command.ts';
import * as format from '../format.ts';
import { print } from '../io.ts';
import { serviceOptions, withService } from '../target.ts';
import { formatCount } from '../../storage/text.ts';

export const index: Command = {
  name: 'index',
  summary:
    "Index the folder's source files (tree-sitter): parse what changed, remove what is gone.",
  usage: 'codeidx index [--workspace DIR] [--full] [--exclude GLOB]... [--max-file-kib N] [--json]',
  options: {
    workspace: TARGET.workspace,
    full: {
      type: 'boolean',
      help: 're-read every file, not only those whose size or mtime changed',
    },
    exclude: {
      type: 'string',
      multiple: true,
      arg: 'GLOB',
      help: 'skip files matching this gitignore-style pattern, relative to the folder',
    },
    'max-file-kib': {
      type: 'string',
      arg: 'N',
      help: 'skip files larger than N KiB (default 1024)',
      parse: parseCount,
    },
    ...JSON_FLAG,
  },
  async run(v, _p, io) {
    const folder = resolve((v.workspace as string | undefined) ?? process.cwd());
    if (!isFolder(folder)) {
      throw new CodeidxError('INVALID_ARGUMENT', `No such folder: ${folder}.`, {
        hint: 'Give the folder to index with --workspace DIR, or run codeidx index inside it.',
      });
    }
    const kib = v['max-file-kib'] as number | undefined;
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    // The first Ctrl+C stops at the next file and keeps what was committed; a second one, with
    // the default handler back in place, ends the process at once.
    const onSigint = (): void => {
      Atomics.store(cancel, 0, 1);
      io.done();
      io.err('codeidx: cancelling after the current batch (Ctrl+C again to stop at once)…\n');
    };
    process.once('SIGINT', onSigint);
    try {
      // index writes: like migrate, it creates the database when missing and migrates it.
      return await withService(serviceOptions(v, { onProgress: io.progress }), io, async (s) => {
        if (s.migrationError) throw s.migrationError;
        const summary = await indexFolder(s, folder, {
          full: v.full === true,
          exclude: (v.exclude as string[] | undefined) ?? [],
          ...(kib !== undefined ? { maxFileBytes: kib * 1024 } : {}),
          // The CLI is the only work on the machine the user is waiting for: every core parses.
          workers: availableParallelism(),
          cancel,
          onProgress: io.progress,
        });
        io.done();
        print(io, summary, format.indexSummary(folder, summary), v.json);
        return 0;
      });
    } catch (err) {
      const error = toCodeidxError(err);
      if (error.code !== 'CANCELLED') throw error;
      io.done();
      cancelled(io, error);
      return 1;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  },
};

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** What a cancel left: the batches already committed stay, and the next run continues from them. */
function cancelled(io: Io, error: CodeidxError): void {
  const committed = error.details.committedFiles;
  const kept =
    typeof committed === 'number'
      ? `${formatCount(committed)} file(s) written before the cancel stay in the index`
      : 'Files written before the cancel stay in the index';
  io.err(
    `codeidx index: cancelled. ${kept}; run codeidx index again to finish (unchanged files are not parsed again).\n`,
  );
}
