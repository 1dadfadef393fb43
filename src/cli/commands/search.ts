import { JSON_FLAG, limitOption, TARGET, TARGET_USAGE } from '../args.ts';
import type { Command } from '../command.ts';
import * as format from '../format.ts';
import { print } from '../io.ts';
import { serviceOptions, withService } from '../target.ts';

export const search: Command = {
  name: 'search',
  summary: 'Full-text search over file names, paths, definitions, imports, docstrings and tags.',
  usage: `codeidx search TEXT ${TARGET_USAGE} [--limit N] [--json]`,
  options: {
    ...TARGET,
    ...limitOption('results (default 20)'),
    ...JSON_FLAG,
  },
  positionals: 1,
  async run(v, [text], io) {
    const limit = v.limit as number | undefined;
    return withService(serviceOptions(v, { readOnly: true }), io, (s) => {
      const results = s.search(text!, limit !== undefined ? { limit } : {});
      print(io, results, format.searchResults(results), v.json);
      return 0;
    });
  },
};
