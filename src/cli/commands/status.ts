import { JSON_FLAG, TARGET, TARGET_USAGE } from '../args.ts';
import type { Command } from '../command.ts';
import * as format from '../format.ts';
import { print } from '../io.ts';
import { serviceOptions, withService } from '../target.ts';

export const status: Command = {
  name: 'status',
  summary:
    'Show the current and latest schema version, applied and pending migrations, and problems.',
  usage: `codeidx status ${TARGET_USAGE} [--json]`,
  options: { ...TARGET, ...JSON_FLAG },
  async run(v, _p, io) {
    return withService(serviceOptions(v, { readOnly: true }), io, (s) => {
      const result = s.status();
      print(io, { path: s.path, ...result }, format.status(s.path, result), v.json);
      return 0;
    });
  },
};
