import { JSON_FLAG, TARGET, TARGET_USAGE, YES_FLAG } from '../args.ts';
import type { Command } from '../command.ts';
import { confirm } from '../confirm.ts';
import * as format from '../format.ts';
import { print } from '../io.ts';
import { resolveDatabasePath } from '../../storage/service.ts';
import { serviceOptions, withService } from '../target.ts';

export const restore: Command = {
  name: 'restore',
  summary: 'Replace the database with a verified backup; the replaced file is kept beside it.',
  usage: `codeidx restore FILE ${TARGET_USAGE} [--yes] [--json]`,
  options: { ...TARGET, ...YES_FLAG, ...JSON_FLAG },
  positionals: 1,
  async run(v, [file], io) {
    const path = resolveDatabasePath(serviceOptions(v));
    const question = `Replace ${path} with ${file}? The current file is kept beside it.`;
    if (!(await confirm(question, v.yes))) {
      io.err('codeidx: restore cancelled; nothing was changed.\n');
      return 1;
    }
    // The user asked to replace the file: a damaged one is moved aside (kept) first, and said so.
    return withService(serviceOptions(v, { migrate: false, recover: true }), io, async (s) => {
      const result = await s.restore(file!, { onProgress: io.progress });
      io.done();
      print(io, result, format.restore(result), v.json);
      return 0;
    });
  },
};
