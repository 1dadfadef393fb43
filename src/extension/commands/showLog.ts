import type { CommandHandler } from './shared.ts';

/** CodeIdx: Show Log — reveals the log channel without taking the focus. */
export const showLog: CommandHandler = (host) => host.showLog();
