import { JSON_FLAG, parseVersion, TARGET, TARGET_USAGE, YES_FLAG } from '../args.ts';
import type { Command } from '../command.ts';
import { confirmPlan } from '../confirm.ts';
import * as format from '../format.ts';
import { print } from '../io.ts';
import { planOf, serviceOptions, withService } from '../target.ts';

export const migrate: Command = {
  name: 'migrate',
  summary:
    'Apply pending migrations, or move to --to N (below the current version it asks, as rollback does).',
  usage: `codeidx migrate ${TARGET_USAGE} [--to N] [--dry-run] [--yes] [--json]`,
  options: {
    ...TARGET,
    to: { type: 'string', arg: 'N', help: 'the version to end at', parse: parseVersion },
    'dry-run': { type: 'boolean', help: 'print the plan and its SQL; change nothing' },
    ...YES_FLAG,
    ...JSON_FLAG,
  },
  async run(v, _p, io) {
    const to = v.to as number | undefined;
    return withService(serviceOptions(v, { migrate: false }), io, async (s) => {
      const plan = planOf(s, to);
      const dryRun = v['dry-run'] === true;
      if (plan.confirm && !dryRun && !(await confirmPlan(s, plan, v.yes))) {
        io.err('codeidx: migrate cancelled; nothing was changed.\n');
        return 1;
      }
      const result = await s.migrateTo({ to, dryRun, confirmed: true, onProgress: io.progress });
      io.done();
      const status = s.status();
      print(
        io,
        { ...result, status },
        format.runResult(result) + format.status(s.path, status),
        v.json,
      );
      return 0;
    });
  },
};
