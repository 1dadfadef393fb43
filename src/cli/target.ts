import { toCodeidxError } from '../storage/errors.ts';
import type { TargetPlan } from '../storage/policy.ts';
import { DatabaseService, type ServiceOptions } from '../storage/service.ts';
import { UsageError, type Io, type Values } from './command.ts';
import { stderrLogger } from './logger.ts';

/** The service options of a command: its database (`--workspace`/`--db`), logger and backup key. */
export function serviceOptions(
  values: Values,
  extra: Partial<ServiceOptions> = {},
): ServiceOptions {
  if (values.workspace !== undefined && values.db !== undefined) {
    throw new UsageError('Give --workspace or --db, not both.');
  }
  const key = process.env.CODEIDX_BACKUP_KEY;
  return {
    workspace: values.workspace as string | undefined,
    dbPath: values.db as string | undefined,
    logger: stderrLogger(process.env.CODEIDX_LOG),
    ...(key ? { backupKey: key } : {}),
    ...extra,
  };
}

/** Opens the database, says what the open did (a file moved aside), runs `fn`, and closes it. */
export async function withService<T>(
  options: ServiceOptions,
  io: Io,
  fn: (s: DatabaseService) => T | Promise<T>,
): Promise<T> {
  const service = await DatabaseService.open(options);
  try {
    if (service.notice) io.err(`codeidx: ${service.notice.message}\n`);
    return await fn(service);
  } finally {
    service.close();
  }
}

/** The core's plan for a target version; a version that does not exist is a usage error. */
export function planOf(s: DatabaseService, to: number | undefined): TargetPlan {
  try {
    return s.planTarget(to);
  } catch (err) {
    const error = toCodeidxError(err);
    if (error.code === 'INVALID_ARGUMENT') throw new UsageError(error.userMessage);
    throw error;
  }
}
