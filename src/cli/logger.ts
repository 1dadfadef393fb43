import type { Logger } from '../storage/log.ts';
import { printable } from '../storage/text.ts';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

/**
 * A logger that writes `level message {fields}` lines to stderr from `level` up. Off by default:
 * the CLI already prints the one line a failure needs; CODEIDX_LOG=info shows what happens.
 */
export function stderrLogger(level: string | undefined): Logger {
  const min = LEVELS.indexOf((level ?? '') as (typeof LEVELS)[number]);
  const write =
    (name: (typeof LEVELS)[number]) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (min < 0 || LEVELS.indexOf(name) < min) return;
      const extra = fields && Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
      process.stderr.write(`[${name}] ${printable(`${message}${extra}`)}\n`);
    };
  return {
    trace: write('trace'),
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}
