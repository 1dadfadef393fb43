import { printable, printableLines } from '../storage/text.ts';
import type { Io } from './command.ts';

/** Prints the result: JSON keeps the exact text; human output never lets data drive the terminal. */
export function print(io: Io, json: unknown, human: string, asJson: unknown): void {
  io.out(asJson === true ? `${JSON.stringify(json, null, 2)}\n` : printableLines(human));
}

/** The process's streams. A terminal shows progress on one rewritten stderr line; a pipe or --json gets none. */
export function processIo(json: boolean): Io {
  // isTTY is undefined, not false, on a pipe (the types say boolean): Boolean() makes it one.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion
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
