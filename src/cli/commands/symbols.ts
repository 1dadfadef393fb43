import { JSON_FLAG, limitOption, TARGET, TARGET_USAGE } from '../args.ts';
import type { Command } from '../command.ts';
import * as format from '../format.ts';
import { print } from '../io.ts';
import { serviceOptions, withService } from '../target.ts';

export const symbols: Command = {
  name: 'symbols',
  summary: 'Definitions whose name matches TEXT, best first, as path:line:column kind name.',
  usage: `codeidx symbols TEXT ${TARGET_USAGE} [--limit N] [--json]`,
  options: {
    ...TARGET,
    ...limitOption('definitions (default 50)'),
    ...JSON_FLAG,
  },
  positionals: 1,
  async run(v, [text], io) {
    const limit = v.limit as number | undefined;
    // Read-only, like search: no database is created, migrated or changed.
    return withService(serviceOptions(v, { readOnly: true }), io, (s) => {
      const matches = s.searchSymbols(text!, limit !== undefined ? { limit } : {});
      print(io, matches, format.symbolMatches(matches), v.json);
      return 0;
    });
  },
};
