import { createReadStream, existsSync } from 'node:fs';
import { CodeidxError } from '../../storage/errors.ts';
import { JSON_FLAG, parseCount, TARGET, TARGET_USAGE } from '../args.ts';
import type { Command } from '../command.ts';
import * as format from '../format.ts';
import { print } from '../io.ts';
import { serviceOptions, withService } from '../target.ts';

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
