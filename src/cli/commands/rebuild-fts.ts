import { JSON_FLAG, TARGET, TARGET_USAGE } from '../args.ts';
import type { Command } from '../command.ts';
import * as format from '../format.ts';
import { print } from '../io.ts';
import { serviceOptions, withService } from '../target.ts';

export const rebuildFts: Command = {
  name: 'rebuild-fts',
  summary: 'Rebuild the full-text index from the tables.',
  usage: `codeidx rebuild-fts ${TARGET_USAGE} [--json]`,
  options: { ...TARGET, ...JSON_FLAG },
  async run(v, _p, io) {
    return withService(serviceOptions(v), io, async (s) => {
      const result = await s.rebuildFts({ onProgress: io.progress });
      io.done();
      const human = `Rebuilt the full-text index: ${result.rows} files in ${format.ms(result.ms)}.\n`;
      print(io, result, human, v.json);
      return 0;
    });
  },
};
