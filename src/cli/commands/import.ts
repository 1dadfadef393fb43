import { createReadStream, existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { CodeidxError } from '../../storage/errors.ts';
import { JSON_FLAG, parseCount, TARGET, TARGET_USAGE } from '../args.ts';
import type { Command } from '../command.ts';
import * as format from '../format.ts';
import { print } from '../io.ts';
import { serviceOptions, withService } from '../target.ts';
import type { Connection } from '../../storage/database/connection.ts';

/**
 * SQLite's page cache of the import's connection, in KiB. The driver's default is 16 MiB; an
 * import writes each page once and reads little back, and 4 MiB kept `codeidx import -` under
 * 100 MB at the same speed (README, Performance).
 */
export const IMPORT_CACHE_KIB = 4000;

/** V8 versions known to have `--semi-space-growth-factor` and `--optimize-for-size` (Node 20 to 24 and the next). */
const SEMI_SPACE_FLAG_V8 = /^1[1-4]\./;

/**
 * Bounds what a long import keeps resident: a small page cache, a young generation that stays at
 * its initial size, and V8's heap sized for memory rather than speed. V8 otherwise doubles its
 * semi-spaces while batches survive scavenges (up to 64 MB each on Node 24), and lets promoted
 * garbage fill about 35 MB of old space before a full collection (the live heap is under 7 MB);
 * RSS keeps those pages. `--optimize-for-size` collects sooner (peak RSS 110-128 MB down to
 * 93-98 MB at 10,000 and 20,000 files, for about 3% more CPU; README, Performance). Only for this
 * command: the flags are process-wide and the indexer's parse threads want speed. V8 prints an
 * unknown flag's error on stdout (it would break --json), so the flags are set only on V8
 * versions known to have them.
 */
export function boundImportMemory(db: Connection, v8Version = process.versions.v8): boolean {
  db.pragma(`cache_size = -${IMPORT_CACHE_KIB}`);
  if (!SEMI_SPACE_FLAG_V8.test(v8Version)) return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--optimize-for-size');
  return true;
}

export const importCommand: Command = {
  name: 'import',
  summary: 'Load indexer records (JSON lines, one file a line) from FILE or - (stdin).',
  usage: `codeidx import FILE|- ${TARGET_USAGE} [--strict] [--batch-size N] [--json]`,
  options: {
    ...TARGET,
    strict: { type: 'boolean', help: 'refuse the whole import on the first bad line' },
    'batch-size': {
      type: 'string',
      arg: 'N',
      help: 'files per write transaction',
      parse: parseCount,
    },
    ...JSON_FLAG,
  },
  positionals: 1,
  async run(v, [file], io) {
    const batchSize = v['batch-size'] as number | undefined;
    if (file !== '-' && !existsSync(file!)) {
      throw new CodeidxError('INVALID_ARGUMENT', `No such file: ${file}.`, {
        hint: 'Give a JSON lines file, or - to read stdin.',
      });
    }
    const input = file === '-' ? process.stdin : createReadStream(file!);
    return withService(serviceOptions(v), io, async (s) => {
      boundImportMemory(s.connection);
      const report = await s.importRecords(input, {
        strict: v.strict === true,
        ...(batchSize ? { batchSize } : {}),
        onProgress: io.progress,
      });
      io.done();
      print(io, report, format.importReport(report), v.json);
      return report.errors.length ? 1 : 0;
    });
  },
};
