import { DatabaseService } from '../../storage/service.ts';
import { JSON_FLAG, TARGET, TARGET_USAGE } from '../args.ts';
import type { Command } from '../command.ts';
import * as format from '../format.ts';
import { print } from '../io.ts';
import { serviceOptions } from '../target.ts';

export const health: Command = {
  name: 'health',
  summary:
    'Check integrity, foreign keys, the FTS index, schema version, checksums and schema objects. Exit 0 only when healthy.',
  usage: `codeidx health ${TARGET_USAGE} [--full] [--json]`,
  options: {
    ...TARGET,
    full: { type: 'boolean', help: 'run integrity_check instead of quick_check' },
    ...JSON_FLAG,
  },
  async run(v, _p, io) {
    const report = await DatabaseService.healthOf(serviceOptions(v), { full: v.full === true });
    print(io, report, format.health(report), v.json);
    return report.status === 'healthy' ? 0 : 1;
  },
};
