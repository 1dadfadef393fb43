import { JSON_FLAG, TARGET, TARGET_USAGE } from '../args.ts';
import type { Command } from '../command.ts';
import * as format from '../format.ts';
import { print } from '../io.ts';
import { serviceOptions, withService } from '../target.ts';

export const backup: Command = {
  name: 'backup',
  summary: 'Write a verified backup (encrypted with CODEIDX_BACKUP_KEY when --encrypt is given).',
  usage: `codeidx backup ${TARGET_USAGE} [--out FILE] [--encrypt] [--json]`,
  options: {
    ...TARGET,
    out: {
      type: 'string',
      short: 'o',
      arg: 'FILE',
      help: 'where to write it (default: <db folder>/codeidx-backups/)',
    },
    encrypt: { type: 'boolean', help: 'encrypt with AES-256-GCM and CODEIDX_BACKUP_KEY' },
    ...JSON_FLAG,
  },
  async run(v, _p, io) {
    return withService(serviceOptions(v, { readOnly: true }), io, async (s) => {
      const result = await s.backup({
        out: v.out as string | undefined,
        encrypt: v.encrypt === true,
        onProgress: io.progress,
      });
      io.done();
      print(io, result, format.backup(result), v.json);
      return 0;
    });
  },
};
