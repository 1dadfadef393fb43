import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CodeidxError, toCodeidxError } from '../storage/errors.ts';
import type { TargetPlan } from '../storage/policy.ts';
import { DatabaseService, resolveDatabasePath, type ServiceOptions } from '../storage/service.ts';
import { printable, printableLines } from '../storage/text.ts';
import type { ProgressEvent } from '../storage/types.ts';
import * as format from './format.ts';
import { stderrLogger } from './logger.ts';

type Values = Record<string, string | boolean | undefined>;

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** How many positional arguments the command takes (exactly). */
  positionals?: number;
  run(values: Values, positionals: string[], io: Io): Promise<number>;
}

/** Where a command writes; tests and the progress display rely on these being the process's streams. */
interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  progress: (event: ProgressEvent) => void;
  done: () => void;
}

class UsageError extends Error {}

const TARGET = {
  workspace: { type: 'string', short: 'w' },
  db: { type: 'string' },
} as const;
const JSON_FLAG = { json: { type: 'boolean' } } as const;
const TARGET_USAGE = '[--workspace DIR | --db FILE]';

function serviceOptions(values: Values, extra: Partial<ServiceOptions> = {}): ServiceOptions {
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

async function withService<T>(
  options: ServiceOptions,
  io: Io,
  fn: (s: DatabaseService) => Promise<T>,
): Promise<T> {
  const service = await DatabaseService.open(options);
  try {
    if (service.notice) io.err(`codeidx: ${service.notice.message}\n`);
    return await fn(service);
  } finally {
    service.close();
  }
}

function parseVersion(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw new UsageError(`${flag} takes a version number, e.g. ${flag} 1 (got "${text}").`);
  return Number(text);
}

/** A count option (`--limit`, `--batch-size`): a whole number of at least 1. */
function parseCount(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text)))
    throw new UsageError(
      `${flag} takes a whole number of at least 1, e.g. ${flag} 20 (got "${text}").`,
    );
  return Number(text);
}

/** The core's plan for a target version; a version that does not exist is a usage error. */
function planOf(s: DatabaseService, to: number | undefined): TargetPlan {
  try {
    return s.planTarget(to);
  } catch (err) {
    const error = toCodeidxError(err);
    if (error.code === 'INVALID_ARGUMENT') throw new UsageError(error.userMessage);
    throw error;
  }
}

function print(io: Io, json: unknown, human: string, asJson: boolean | undefined): void {
  // JSON keeps the exact text; human output never lets data drive the terminal.
  io.out(asJson ? `${JSON.stringify(json, null, 2)}\n` : printableLines(human));
}

/** Asks the core's question for going down a version (with what it removes and the backup). */
function confirmPlan(
  s: DatabaseService,
  plan: TargetPlan,
  yes: boolean | undefined,
): Promise<boolean> {
  return confirm(
    `${plan.confirm!.question} ${plan.confirm!.detail} Database: ${s.path}. A backup is taken first.`,
    yes,
  );
}

/** Asks on the terminal; without one, the caller must pass --yes. */
async function confirm(
  question: string,
  yes: boolean | undefined,
  flag = '--yes',
): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError(`This changes the database; run it again with ${flag} to confirm.`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${printable(question)} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

const commands: Record<string, Command> = {
  migrate: {
    summary:
      'Apply pending migrations, or move to --to N (below the current version it asks, as rollback does).',
    usage: `codeidx migrate ${TARGET_USAGE} [--to N] [--dry-run] [--yes] [--json]`,
    options: {
      ...TARGET,
      ...JSON_FLAG,
      to: { type: 'string' },
      'dry-run': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
    },
    async run(v, _p, io) {
      const to = parseVersion(v.to as string | undefined, '--to');
      return withService(serviceOptions(v, { migrate: false }), io, async (s) => {
        const plan = planOf(s, to);
        const dryRun = Boolean(v['dry-run']);
        if (plan.confirm && !dryRun && !(await confirmPlan(s, plan, v.yes as boolean))) {
          io.err('codeidx: migrate cancelled; nothing was changed.\n');
          return 1;
        }
        const result = await s.migrateTo({
          to,
          dryRun,
          confirmed: true,
          onProgress: io.progress,
        });
        io.done();
        const status = s.status();
        print(
          io,
          { ...result, status },
          format.runResult(result) + format.status(s.path, status),
          v.json as boolean,
        );
        return 0;
      });
    },
  },
  status: {
    summary:
      'Show the current and latest schema version, applied and pending migrations, and problems.',
    usage: `codeidx status ${TARGET_USAGE} [--json]`,
    options: { ...TARGET, ...JSON_FLAG },
    async run(v, _p, io) {
      return withService(serviceOptions(v, { readOnly: true }), io, async (s) => {
        const status = s.status();
        print(io, { path: s.path, ...status }, format.status(s.path, status), v.json as boolean);
        return 0;
      });
    },
  },
  rollback: {
    summary: 'Roll the schema back to version N after a verified backup.',
    usage: `codeidx rollback --to N ${TARGET_USAGE} [--yes] [--json]`,
    options: {
      ...TARGET,
      ...JSON_FLAG,
      to: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
    },
    async run(v, _p, io) {
      const to = parseVersion(v.to as string | undefined, '--to');
      if (to === undefined)
        throw new UsageError(
          'rollback needs --to N (the version to end at; 0 removes everything).',
        );
      return withService(serviceOptions(v, { migrate: false }), io, async (s) => {
        const plan = planOf(s, to);
        if (plan.direction !== 'down') {
          io.out(`Nothing to roll back: the database is at version ${plan.fromVersion}.\n`);
          return 0;
        }
        if (!(await confirmPlan(s, plan, v.yes as boolean))) {
          io.err('codeidx: rollback cancelled; nothing was changed.\n');
          return 1;
        }
        const result = await s.rollback({ to, onProgress: io.progress });
        io.done();
        print(
          io,
          result,
          format.runResult(result) + format.status(s.path, s.status()),
          v.json as boolean,
        );
        return 0;
      });
    },
  },
  backup: {
    summary: 'Write a verified backup (encrypted with CODEIDX_BACKUP_KEY when --encrypt is given).',
    usage: `codeidx backup ${TARGET_USAGE} [--out FILE] [--encrypt] [--json]`,
    options: {
      ...TARGET,
      ...JSON_FLAG,
      out: { type: 'string', short: 'o' },
      encrypt: { type: 'boolean' },
    },
    async run(v, _p, io) {
      return withService(serviceOptions(v, { readOnly: true }), io, async (s) => {
        const result = await s.backup({
          out: v.out as string | undefined,
          encrypt: Boolean(v.encrypt),
          onProgress: io.progress,
        });
        io.done();
        print(io, result, format.backup(result), v.json as boolean);
        return 0;
      });
    },
  },
  restore: {
    summary: 'Replace the database with a verified backup; the replaced file is kept beside it.',
    usage: `codeidx restore FILE ${TARGET_USAGE} [--yes]`,
    options: { ...TARGET, ...JSON_FLAG, yes: { type: 'boolean', short: 'y' } },
    positionals: 1,
    async run(v, [file], io) {
      const path = resolveDatabasePath(serviceOptions(v));
      if (
        !(await confirm(
          `Replace ${path} with ${file}? The current file is kept beside it.`,
          v.yes as boolean,
        ))
      ) {
        io.err('codeidx: restore cancelled; nothing was changed.\n');
        return 1;
      }
      // The user asked to replace the file: a damaged one is moved aside (kept) first, and said so.
      return withService(serviceOptions(v, { migrate: false, recover: true }), io, async (s) => {
        const result = await s.restore(file!, { onProgress: io.progress });
        io.done();
        print(io, result, format.restore(result), v.json as boolean);
        return 0;
      });
    },
  },
  health: {
    summary:
      'Check integrity, foreign keys, the FTS index, schema version, checksums and schema objects. Exit 0 only when healthy.',
    usage: `codeidx health ${TARGET_USAGE} [--full] [--json]`,
    options: { ...TARGET, ...JSON_FLAG, full: { type: 'boolean' } },
    async run(v, _p, io) {
      const report = await DatabaseService.healthOf(serviceOptions(v), { full: Boolean(v.full) });
      print(io, report, format.health(report), v.json as boolean);
      return report.status === 'healthy' ? 0 : 1;
    },
  },
  'rebuild-fts': {
    summary: 'Rebuild the full-text index from the tables.',
    usage: `codeidx rebuild-fts ${TARGET_USAGE} [--json]`,
    options: { ...TARGET, ...JSON_FLAG },
    async run(v, _p, io) {
      return withService(serviceOptions(v), io, async (s) => {
        const result = await s.rebuildFts({ onProgress: io.progress });
        io.done();
        print(
          io,
          result,
          `Rebuilt the full-text index: ${result.rows} files in ${format.ms(result.ms)}.\n`,
          v.json as boolean,
        );
        return 0;
      });
    },
  },
  repair: {
    summary:
      'Move a damaged or drifted database aside and create a new one, or accept changed checksums.',
    usage: `codeidx repair ${TARGET_USAGE} [--accept-checksums] [--yes] [--json]`,
    options: {
      ...TARGET,
      ...JSON_FLAG,
      'accept-checksums': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
    },
    async run(v, _p, io) {
      const path = resolveDatabasePath(serviceOptions(v));
      const what = v['accept-checksums']
        ? `Record the current checksums of changed migrations in ${path}?`
        : `Move ${path} aside (it is kept) and create a new database if it is damaged?`;
      if (!(await confirm(what, v.yes as boolean))) {
        io.err('codeidx: repair cancelled; nothing was changed.\n');
        return 1;
      }
      const result = await DatabaseService.repairFile(serviceOptions(v), {
        acceptChecksums: Boolean(v['accept-checksums']),
      });
      print(io, result, `${result.message}\n`, v.json as boolean);
      return 0;
    },
  },
  maintenance: {
    summary:
      'Optimize the full-text index, refresh query statistics, checkpoint the WAL, and VACUUM with --vacuum.',
    usage: `codeidx maintenance ${TARGET_USAGE} [--vacuum] [--json]`,
    options: { ...TARGET, ...JSON_FLAG, vacuum: { type: 'boolean' } },
    async run(v, _p, io) {
      return withService(serviceOptions(v), io, async (s) => {
        const before = s.info().sizeBytes;
        const result = await s.maintenance({ vacuum: Boolean(v.vacuum) });
        const after = s.info().sizeBytes;
        print(
          io,
          { ...result, bytesBefore: before, bytesAfter: after },
          `Maintenance done in ${format.ms(result.ms)}: ${before} → ${after} bytes${result.vacuumed ? ' (vacuumed)' : ''}.\n`,
          v.json as boolean,
        );
        return 0;
      });
    },
  },
  import: {
    summary: 'Load indexer records (JSON lines, one file a line) from FILE or - (stdin).',
    usage: `codeidx import FILE|- ${TARGET_USAGE} [--strict] [--batch-size N] [--json]`,
    options: {
      ...TARGET,
      ...JSON_FLAG,
      strict: { type: 'boolean' },
      'batch-size': { type: 'string' },
    },
    positionals: 1,
    async run(v, [file], io) {
      const batchSize = parseCount(v['batch-size'] as string | undefined, '--batch-size');
      if (file !== '-' && !existsSync(file!)) {
        throw new CodeidxError('INVALID_ARGUMENT', `No such file: ${file}.`, {
          hint: 'Give a JSON lines file, or - to read stdin.',
        });
      }
      const input = file === '-' ? process.stdin : createReadStream(file!);
      return withService(serviceOptions(v), io, async (s) => {
        const report = await s.importRecords(input, {
          strict: Boolean(v.strict),
          ...(batchSize ? { batchSize } : {}),
          onProgress: io.progress,
        });
        io.done();
        print(io, report, format.importReport(report), v.json as boolean);
        return report.errors.length ? 1 : 0;
      });
    },
  },
  search: {
    summary: 'Full-text search over file names, paths, definitions, imports, docstrings and tags.',
    usage: `codeidx search TEXT ${TARGET_USAGE} [--limit N] [--json]`,
    options: { ...TARGET, ...JSON_FLAG, limit: { type: 'string', short: 'n' } },
    positionals: 1,
    async run(v, [text], io) {
      const limit = parseCount(v.limit as string | undefined, '--limit');
      return withService(serviceOptions(v, { readOnly: true }), io, async (s) => {
        const results = s.search(text!, limit !== undefined ? { limit } : {});
        print(io, results, format.searchResults(results), v.json as boolean);
        return 0;
      });
    },
  },
};

function helpText(): string {
  const names = Object.keys(commands);
  const width = Math.max(...names.map((n) => n.length));
  return [
    'codeidx: the codeidx database of a workspace (default: the current directory).',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${commands[n]!.summary}`),
    '',
    "Run `codeidx COMMAND --help` for a command's options.",
    'Exit codes: 0 success, 1 failure (health: not healthy), 2 usage error.',
    'Environment: CODEIDX_BACKUP_KEY (backup passphrase), CODEIDX_LOG (error|warn|info|debug).',
    '',
  ].join('\n');
}

/** A terminal shows progress on one rewritten stderr line; a pipe gets none. */
function makeIo(json: boolean): Io {
  const tty = Boolean(process.stderr.isTTY) && !json;
  let shown = false;
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(printableLines(t)),
    progress: (e) => {
      if (!tty) return;
      const pct = e.total ? ` ${Math.floor(((e.done ?? 0) / e.total) * 100)}%` : '';
      process.stderr.write(`\r\x1b[2K${printable(e.message)}${pct}`);
      shown = true;
    },
    done: () => {
      if (shown) process.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}

/** Runs one CLI invocation and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process[name ? 'stdout' : 'stderr'].write(helpText());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${format.version()}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(
      `codeidx: unknown command "${printable(name)}". Run \`codeidx --help\` for the list.\n`,
    );
    return 2;
  }
  let io: Io | undefined;
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n`);
      return 0;
    }
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: command.options,
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const expected = command.positionals ?? 0;
    if (parsed.positionals.length !== expected) {
      throw new UsageError(
        expected
          ? `${name} takes ${expected} argument(s).`
          : `${name} takes no arguments (got "${parsed.positionals[0]}").`,
      );
    }
    io = makeIo(Boolean(parsed.values.json));
    return await command.run(parsed.values as Values, parsed.positionals, io);
  } catch (err) {
    io?.done();
    if (err instanceof UsageError) {
      process.stderr.write(`codeidx ${name}: ${printable(err.message)}\nUsage: ${command.usage}\n`);
      return 2;
    }
    const error = err instanceof CodeidxError ? err : toCodeidxError(err);
    process.stderr.write(`codeidx ${name}: ${format.errorLine(error)}\n`);
    if (process.env.CODEIDX_LOG === 'debug' && error.stack)
      process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
