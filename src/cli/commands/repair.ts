import { DatabaseService, resolveDatabasePath } from '../../storage/service.ts';
import { JSON_FLAG, TARGET, TARGET_USAGE, YES_FLAG } from '../args.ts';
import type { Command } from '../command.ts';
import { confirm } from '../confirm.ts';
import { print } from '../io.ts';
import { serviceOptions } from '../target.ts';

export const repair: Command = {
  name: 'repair',
  summary:
    'Move a damaged or drifted database aside and create a new one, or accept changed checksums.',
  usage: `codeidx repair ${TARGET_USAGE} [--accept-checksums] [--yes] [--json]`,
  options: {
    ...TARGET,
    'accept-checksums': {
      type: 'boolean',
      help: 'record the current checksums of applied migrations whose files changed on purpose',
    },
    ...YES_FLAG,
    ...JSON_FLAG,
  },
  async run(v, _p, io) {
    const path = resolveDatabasePath(serviceOptions(v));
    const accept = v['accept-checksums'] === true;
    const question = accept
      ? `Record the current checksums of changed migrations in ${path}?`
      : `Move ${path} aside (it is kept) and create a new database if it is damaged?`;
    if (!(await confirm(question, v.yes))) {
      io.err('codeidx: repair cancelled; nothing was changed.\n');
      return 1;
    }
    const result = await DatabaseService.repairFile(serviceOptions(v), { acceptChecksums: accept });
    print(io, result, `${result.message}\n`, v.json);
    return 0;
  },
};
