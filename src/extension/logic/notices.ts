/**
 * What a notification says and which buttons it offers, for a failure and for a health check.
 * No `vscode` here: notify.ts and commands/checkHealth.ts show them and run the chosen button.
 */
import type { CodeidxError } from '../../storage/errors.ts';
import type { HealthReport } from '../../storage/types.ts';

/** A button: its title and the command it runs, with the command's arguments. */
export interface NoticeAction {
  title: string;
  command: string;
  args: unknown[];
}

export interface Notice {
  severity: 'information' | 'warning' | 'error';
  text: string;
  actions: NoticeAction[];
}

/**
 * A failure as one notification: the one-line reason and the buttons that do the likely fix,
 * the core's structured fix first. `folder` is passed to the commands that work on a folder;
 * `open` says whether the database is open (a restore needs it).
 */
export function failureNotice(
  name: string,
  error: Pick<CodeidxError, 'code' | 'message' | 'hint' | 'fix'>,
  folder: unknown,
  open: boolean,
): Notice {
  const text = `CodeIdx (${name}): ${error.message}${error.hint ? ` ${error.hint}` : ''}`;
  const showLog: NoticeAction = { title: 'Show Log', command: 'codeidx.showLog', args: [] };
  if (error.code === 'DATABASE_NEWER') {
    const extension = {
      title: 'Show Extension',
      command: 'workbench.extensions.search',
      args: ['@installed codeidx'],
    };
    return { severity: 'warning', text, actions: [extension, showLog] };
  }
  if (error.code === 'NATIVE_MODULE') return { severity: 'error', text, actions: [showLog] };
  if (error.code === 'CANCELLED') return { severity: 'information', text, actions: [] };
  const on = [{ folder }];
  const actions: NoticeAction[] = [showLog];
  if (open) actions.push({ title: 'Restore Backup', command: 'codeidx.restore', args: on });
  actions.push({ title: 'Open Health Report', command: 'codeidx.checkHealth', args: on });
  const fix = error.fix;
  if (!fix?.command) return { severity: 'error', text, actions };
  // A fix that is one of the usual buttons (Show Log) moves first instead of showing twice.
  const others = actions.filter((a) => a.command !== fix.command);
  const args = fix.command === showLog.command ? showLog.args : on;
  return {
    severity: 'error',
    text,
    actions: [{ title: fix.title, command: fix.command, args }, ...others],
  };
}

/**
 * The notification after Check Health: all passed, or the failing checks' messages with one
 * button per distinct fix that has a VS Code command (an error when unhealthy, else a warning).
 */
export function healthNotice(name: string, report: HealthReport, folder: unknown): Notice {
  const summary = `CodeIdx (${name}): ${report.status}.`;
  const fixes = report.checks.filter((c) => c.status !== 'healthy' && c.fix?.command);
  if (fixes.length === 0) {
    return {
      severity: 'information',
      text: `${summary} ${report.checks.length} checks passed.`,
      actions: [],
    };
  }
  const actions: NoticeAction[] = [];
  for (const { fix } of fixes) {
    if (!fix?.command || actions.some((a) => a.title === fix.title)) continue;
    actions.push({ title: fix.title, command: fix.command, args: [{ folder }] });
  }
  return {
    severity: report.status === 'unhealthy' ? 'error' : 'warning',
    text: `${summary} ${fixes.map((c) => c.message).join(' ')}`,
    actions,
  };
}
