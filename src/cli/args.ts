import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, type Command, type OptionSpec, type Values } from './command.ts';

/** A version number (`--to`): 0 or more. */
export function parseVersion(text: string, flag: string): number {
  if (!/^\d+$/.test(text))
    throw new UsageError(`${flag} takes a version number, e.g. ${flag} 1 (got "${text}").`);
  return Number(text);
}

/** A count (`--limit`, `--batch-size`, `--max-file-kib`): a whole number of at least 1. */
export function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text)))
    throw new UsageError(
      `${flag} takes a whole number of at least 1, e.g. ${flag} 20 (got "${text}").`,
    );
  return Number(text);
}

/** `--workspace DIR | --db FILE`: which database a command works on. */
export const TARGET = {
  workspace: {
    type: 'string',
    short: 'w',
    arg: 'DIR',
    help: 'the folder; its database is DIR/.vscode/codeidx.db (default: the current directory)',
  },
  db: { type: 'string', arg: 'FILE', help: 'a database file, named directly' },
} as const satisfies Record<string, OptionSpec>;
export const TARGET_USAGE = '[--workspace DIR | --db FILE]';

export const JSON_FLAG = {
  json: { type: 'boolean', help: 'print the result as JSON on stdout' },
} as const satisfies Record<string, OptionSpec>;

/** `--limit N` / `-n N` of the read commands; `what` names the results ("results (default 20)"). */
export function limitOption(what: string) {
  return {
    limit: { type: 'string', short: 'n', arg: 'N', help: `at most N ${what}`, parse: parseCount },
  } as const satisfies Record<string, OptionSpec>;
}

export const YES_FLAG = {
  yes: { type: 'boolean', short: 'y', help: 'confirm without asking (needed without a terminal)' },
} as const satisfies Record<string, OptionSpec>;

/**
 * Parses a command's arguments strictly (unknown options, a missing value, the wrong number of
 * arguments are usage errors) and checks each option's value with its `parse`.
 */
export function parseCommandArgs(
  command: Command,
  args: string[],
): { values: Values; positionals: string[] } {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, o] of Object.entries(command.options)) {
    options[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const expected = command.positionals ?? 0;
  if (parsed.positionals.length !== expected) {
    throw new UsageError(
      expected
        ? `${command.name} takes ${expected} argument(s).`
        : `${command.name} takes no arguments (got "${parsed.positionals[0]}").`,
    );
  }
  const values: Values = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    const parse = command.options[name]?.parse;
    const flag = `--${name}`;
    values[name] = !parse
      ? value
      : Array.isArray(value)
        ? value.map((v) => parse(String(v), flag))
        : parse(String(value), flag);
  }
  return { values, positionals: parsed.positionals };
}
