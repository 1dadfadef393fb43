import type { Command } from './command.ts';

/** `codeidx --help`: every command of the table with its summary. */
export function helpText(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'codeidx: index a folder and search it; manage the codeidx database of a workspace',
    '(default: the current directory).',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `codeidx COMMAND --help` for a command's options.",
    'Exit codes: 0 success, 1 failure (health: not healthy; index: cancelled), 2 usage error.',
    'Environment: CODEIDX_BACKUP_KEY (backup passphrase), CODEIDX_LOG (error|warn|info|debug).',
    '',
  ].join('\n');
}

/** `codeidx COMMAND --help`: the summary, the usage and one line per option. */
export function commandHelp(command: Command): string {
  const rows = Object.entries(command.options).map(([name, o]) => [
    `${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`,
    `${o.help}${o.multiple ? ' (may be repeated)' : ''}`,
  ]);
  const width = Math.max(0, ...rows.map(([left]) => left!.length));
  return [
    command.summary,
    '',
    `Usage: ${command.usage}`,
    ...(rows.length
      ? ['', 'Options:', ...rows.map(([l, r]) => `  ${l!.padEnd(width)}  ${r}`)]
      : []),
    '',
  ].join('\n');
}
