import { JSON_FLAG, TARGET, TARGET_USAGE } from '../args.ts';
import type { Command } from '../command.ts';
import * as format from '../format.ts';
import { print } from '../io.ts';
import { serviceOptions, withService } from '../target.ts';

export const maintenance: Command = {
  name: 'maintenance',
  summary:
    'Optimize the full-text index, refresh query statistics, checkpoint the WAL, and VACUUM with --vacuum.',
  usage: `codeidx maintenance ${TARGET_USAGE} [--vacuum] [--json]`,
  options: {
    ...TARGET,
    vacuum: { type: 'boolean', help: 'also VACUUM the file (rewrites it; takes longer)' },
    ...JSON_FLAG,
  },
  async run(v, _p, io) {
    return withService(serviceOptions(v), io, async (s) => {
      const before = s.info().sizeBytes;
      const result = await s.maintenance({ vacuum: v.vacuum === true });
      const after = s.info().sizeBytes;
      print(
        io,
        { ...result, bytesBefore: before, bytesAfter: after },
        `Maintenance done in ${format.ms(result.ms)}: ${before} → ${after} bytes${result.vacuumed ? ' (vacuumed)' : ''}.\n`,
        v.json,
      );
      return 0;
    });
  },
};
