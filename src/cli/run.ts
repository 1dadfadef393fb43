import { CodeidxError, toCodeidxError } from '../storage/errors.ts';
import { printable } from '../storage/text.ts';
import { parseCommandArgs } from './args.ts';
import { EXIT, UsageError, type Io } from './command.ts';
import * as format from './format.ts';
import { commandHelp, helpText } from './help.ts';
import { processIo } from './io.ts';
import { COMMANDS, findCommand } from './table.ts';

/** Runs one CLI invocation and returns its exit code (0 success, 1 failure, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process[name ? 'stdout' : 'stderr'].write(helpText(COMMANDS));
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${format.version()}\n`);
    return EXIT.ok;
  }
  const command = findCommand(name);
  if (!command) {
    process.stderr.write(
      `codeidx: unknown command "${printable(name)}". Run \`codeidx --help\` for the list.\n`,
    );
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  let io: Io | undefined;
  try {
    const { values, positionals } = parseCommandArgs(command, rest);
    io = processIo(values.json === true);
    return await command.run(values, positionals, io);
  } catch (err) {
    io?.done();
    if (err instanceof UsageError) {
      process.stderr.write(`codeidx ${name}: ${printable(err.message)}\nUsage: ${command.usage}\n`);
      return EXIT.usage;
    }
    const error = err instanceof CodeidxError ? err : toCodeidxError(err);
    process.stderr.write(`codeidx ${name}: ${format.errorLine(error)}\n`);
    if (process.env.CODEIDX_LOG === 'debug' && error.stack)
      process.stderr.write(`${error.stack}\n`);
    return EXIT.failure;
  }
}
