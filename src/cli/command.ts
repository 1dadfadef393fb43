// The shape every CLI command has. One table of these (commands/index.ts) drives parsing,
// `--help`, per-command help and the README test.

/** One option: what util.parseArgs needs, the help line, and how to check its value. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The option may be given more than once; its value is then an array. */
  multiple?: boolean;
  /** The value's name in help, e.g. `N`, `DIR`. */
  arg?: string;
  help: string;
  /** Turns the text into the value the command reads; throws UsageError on a bad one. */
  parse?: (text: string, flag: string) => unknown;
}

/** Parsed option values by name (after each option's `parse`). */
export type Values = Record<string, unknown>;

/** Where a command writes; progress only reaches a terminal. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  progress: (event: { message: string; done?: number; total?: number }) => void;
  done: () => void;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** How many positional arguments the command takes (exactly; default 0). */
  positionals?: number;
  run(values: Values, positionals: string[], io: Io): Promise<number>;
}

/** A wrong option, value or argument: exit 2 with the command's usage. */
export class UsageError extends Error {}

/** The CLI's exit codes. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
