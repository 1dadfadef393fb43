/**
 * What the status item shows for a folder: the state a health check maps to, and the item's
 * text, colour, command and tooltip for a state. No `vscode` here: statusItem.ts renders it.
 */
import type { CodeidxError } from '../../storage/errors.ts';
import type { DatabaseInfo } from '../../storage/worker/protocol.ts';
import type { HealthReport } from '../../storage/types.ts';
import { tooltipParts, type TooltipPart } from './reports.ts';

/** What the status item shows for a folder. */
export type StateKind = 'starting' | 'working' | 'healthy' | 'degraded' | 'broken' | 'restricted';

export interface FolderState {
  kind: StateKind;
  /** One line: what is happening or what is wrong. */
  message: string;
  report?: HealthReport;
  info?: DatabaseInfo;
  error?: CodeidxError;
}

/**
 * A folder's state after a health check. A failure shown earlier (`failure`) holds the state at
 * "broken" until an action succeeds; otherwise the report's status decides, and the message is
 * the failing checks' messages (or the schema version when all pass).
 */
export function stateFromHealth(
  report: HealthReport,
  info: DatabaseInfo,
  failure: CodeidxError | undefined,
): FolderState {
  if (failure) return { kind: 'broken', message: failure.message, report, info, error: failure };
  const failing = report.checks.filter((c) => c.status !== 'healthy');
  return {
    kind:
      report.status === 'healthy'
        ? 'healthy'
        : report.status === 'degraded'
          ? 'degraded'
          : 'broken',
    message:
      failing.map((c) => c.message).join(' ') || `Schema version ${info.schemaVersion} (latest).`,
    report,
    info,
  };
}

/** What the status item shows right now (the extension's API returns it to tests). */
export interface StatusSnapshot {
  visible: boolean;
  kind: StateKind | 'none';
  folder?: string;
  text: string;
  tooltip: string;
  background?: string;
  command?: string;
}

export const HIDDEN: StatusSnapshot = { visible: false, kind: 'none', text: '', tooltip: '' };

/** The look of each state: codicon, word, and the theme colour of the item's background. */
export const LOOK: Record<StateKind, { icon: string; label: string; background?: string }> = {
  starting: { icon: '$(sync~spin)', label: 'opening' },
  working: { icon: '$(sync~spin)', label: 'working' },
  healthy: { icon: '$(database)', label: 'healthy' },
  degraded: {
    icon: '$(warning)',
    label: 'degraded',
    background: 'statusBarItem.warningBackground',
  },
  broken: { icon: '$(error)', label: 'broken', background: 'statusBarItem.errorBackground' },
  restricted: { icon: '$(shield)', label: 'restricted' },
};

/** The item in an untrusted workspace (its tooltip is Markdown; a click manages trust). */
export function restrictedView(): { snapshot: Omit<StatusSnapshot, 'tooltip'>; tooltip: string } {
  return {
    snapshot: {
      visible: true,
      kind: 'restricted',
      text: `${LOOK.restricted.icon} CodeIdx: restricted`,
      command: 'workbench.trust.manage',
    },
    tooltip:
      '**CodeIdx: restricted mode**\n\nThis workspace is not trusted, so CodeIdx opens no database in it. ' +
      'Trust the workspace to let CodeIdx open and migrate `.vscode/codeidx.db`.\n\nClick to manage workspace trust.',
  };
}

/**
 * The item for one folder's state: the folder's name only in a multi-root workspace, the
 * state's word unless healthy, and a click that runs Check Health.
 */
export function folderView(
  name: string,
  folderUri: string,
  state: FolderState,
  multiRoot: boolean,
  indexing?: { text: string; running: boolean },
): { snapshot: Omit<StatusSnapshot, 'tooltip'>; tooltip: TooltipPart[] } {
  const look = LOOK[state.kind];
  const where = multiRoot ? ` ${name}` : '';
  const detail = state.kind === 'healthy' ? undefined : state.message;
  // Background indexing shows on a healthy item only: a problem with the database comes first.
  const shown = state.kind === 'healthy' ? indexing : undefined;
  const label = shown?.text ?? (state.kind === 'healthy' ? undefined : look.label);
  const icon = shown?.running ? '$(sync~spin)' : look.icon;
  return {
    snapshot: {
      visible: true,
      kind: state.kind,
      folder: folderUri,
      text: `${icon} CodeIdx${where}${label ? `: ${label}` : ''}`,
      background: look.background,
      command: 'codeidx.checkHealth',
    },
    tooltip: tooltipParts(name, look.label, state.info, state.report, detail),
  };
}

/** The screen reader's label: the text without its codicons. */
export function accessibleLabel(text: string): string {
  return text.replace(/\$\([^)]*\)\s*/g, '');
}
