import { JSON_FLAG, parseVersion, TARGET, TARGET_USAGE, YES_FLAG } from '../args.ts';
import { UsageError, type Command } from '../command.ts';
import { confirmPlan } from '../confirm.ts';
import * as format from '../format.ts';
import { print } from '../io.ts';
import { planOf, serviceOptions, withService } from '../target.ts';

export const rollback: Command = {
  name: 'rollback',
  summary: 'Roll the schema back to version N after a verified backup.',
  usage: `codeidx rollback --to N ${TARGET_USAGE} [--yes] [--json]`,
  options: {
    to: {
      type: 'string',
      arg: 'N',
      help: 'the version to end at (0 removes everything)',
      parse: parseVersion,
    },
    ...TARGET,
    ...YES_FLAG,
    ...JSON_FLAG,
  },
  async run(v, _p, io) {
    const to = v.to as number | undefined;
    if (to === undefined)
      throw new UsageError('rollback needs --to N (the version to end at; 0 removes everything).');
    return withService(serviceOptions(v, { migrate: false }), io, async (s) => {
      const plan = planOf(s, to);
      if (plan.direction !== 'down') {
        io.out(`Nothing to roll back: the database is at version ${plan.fromVersion}.\n`);
        return 0;
      }
      if (!(await confirmPlan(s, plan, v.yes))) {
        io.err('codeidx: rollback cancelled; nothing was changed.\n');
        return 1;
      }
      const result = await s.rollback({ to, onProgress: io.progress });
      io.done();
      print(io, result, format.runResult(result) + format.status(s.path, s.status()), v.json);
      return 0;
    });
  },
};
