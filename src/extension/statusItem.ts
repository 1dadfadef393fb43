import * as vscode from 'vscode';
import type { FolderDatabase, StateKind } from './folder.ts';
import { indexStatusText, indexTooltipLines, type IndexSnapshot } from './indexPolicy.ts';
import { tooltipMarkdown } from './reports.ts';

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

const LOOK: Record<StateKind, { icon: string; label: string; background?: string }> = {
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

/** One status item for the folder of the active editor (or the only folder). */
export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private last: StatusSnapshot = { visible: false, kind: 'none', text: '', tooltip: '' };

  constructor() {
    this.item = vscode.window.createStatusBarItem(
      'codeidx.status',
      vscode.StatusBarAlignment.Left,
      10,
    );
    this.item.name = 'CodeIdx';
  }

  get snapshot(): StatusSnapshot {
    return this.last;
  }

  hide(): void {
    this.item.hide();
    this.last = { visible: false, kind: 'none', text: '', tooltip: '' };
  }

  restricted(): void {
    const look = LOOK.restricted;
    const tooltip = new vscode.MarkdownString(
      '**CodeIdx: restricted mode**\n\nThis workspace is not trusted, so CodeIdx opens no database in it. ' +
        'Trust the workspace to let CodeIdx open and migrate `.vscode/codeidx.db`.\n\nClick to manage workspace trust.',
    );
    this.show(
      {
        visible: true,
        kind: 'restricted',
        text: `${look.icon} CodeIdx: restricted`,
        tooltip: tooltip.value,
        command: 'workbench.trust.manage',
      },
      tooltip,
    );
  }

  showFolder(
    db: FolderDatabase,
    multiRoot: boolean,
    index?: { snapshot: IndexSnapshot; maxFileSizeKiB: number },
  ): void {
    const state = db.state;
    const look = LOOK[state.kind];
    const where = multiRoot ? ` ${db.name}` : '';
    const detail = state.kind === 'healthy' ? undefined : state.message;
    const tooltip = tooltipMarkdown(db.name, look.label, state.info, state.report, detail);
    if (index) {
      tooltip.appendMarkdown(
        `\n\n${indexTooltipLines(index.snapshot, index.maxFileSizeKiB).join('\n')}\n`,
      );
    }
    // Background indexing shows on a healthy item only: a problem with the database comes first.
    const indexing =
      state.kind === 'healthy' && index ? indexStatusText(index.snapshot) : undefined;
    const label = indexing ?? (state.kind === 'healthy' ? undefined : look.label);
    const icon = indexing && index?.snapshot.running ? '$(sync~spin)' : look.icon;
    this.show(
      {
        visible: true,
        kind: state.kind,
        folder: db.folder.uri.toString(),
        text: `${icon} CodeIdx${where}${label ? `: ${label}` : ''}`,
        tooltip: tooltip.value,
        background: look.background,
        command: 'codeidx.checkHealth',
      },
      tooltip,
      [{ folder: db.folder.uri }],
    );
  }

  private show(s: StatusSnapshot, tooltip: vscode.MarkdownString, args: unknown[] = []): void {
    this.last = s;
    this.item.text = s.text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = s.background ? new vscode.ThemeColor(s.background) : undefined;
    this.item.command = s.command
      ? { command: s.command, title: 'CodeIdx', arguments: args }
      : undefined;
    this.item.accessibilityInformation = { label: s.text.replace(/\$\([^)]*\)\s*/g, '') };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
