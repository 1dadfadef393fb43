import type * as vscode from 'vscode';
import type { Logger } from '../storage/log.ts';

/** The core's Logger over a LogOutputChannel, so the user picks the level in the Output view. */
export function channelLogger(channel: vscode.LogOutputChannel): Logger {
  const line = (message: string, fields?: Record<string, unknown>): string =>
    fields && Object.keys(fields).length ? `${message} ${JSON.stringify(fields)}` : message;
  return {
    trace: (m, f) => channel.trace(line(m, f)),
    debug: (m, f) => channel.debug(line(m, f)),
    info: (m, f) => channel.info(line(m, f)),
    warn: (m, f) => channel.warn(line(m, f)),
    error: (m, f) => channel.error(line(m, f)),
  };
}
