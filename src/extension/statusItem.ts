import * as vscode from 'vscode';
import type { FolderDatabase } from './folder.ts';
import {
  HIDDEN,
  accessibleLabel,
  folderView,
  restrictedView,
  type StatusSnapshot,
} from './logic/status.ts';
import { indexStatusText, indexTooltipLines, type IndexSnapshot } from './logic/indexing.ts';
import { tooltipMarkdown } from './reports.ts';

/** One status item for the folder of the active editor (or the only folder). */
export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private last: StatusSnapshot = { ...HIDDEN };

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
    this.last = { ...HIDDEN };
  }

  restricted(): void {
    const view = restrictedView();
    const tooltip = new vscode.MarkdownString(view.tooltip);
    this.show({ ...view.snapshot, tooltip: tooltip.value }, tooltip);
  }

  showFolder(
    db: FolderDatabase,
    multiRoot: boolean,
    index?: { snapshot: IndexSnapshot; maxFileSizeKiB: number },
  ): void {
    const text = index && indexStatusText(index.snapshot);
    const indexing = text ? { text, running: index.snapshot.running } : undefined;
    const view = folderView(db.name, db.folder.uri.toString(), db.state, multiRoot, indexing);
    const tooltip = tooltipMarkdown(view.tooltip);
    if (index) {
      tooltip.appendMarkdown(
        `\n\n${indexTooltipLines(index.snapshot, index.maxFileSizeKiB).join('\n')}\n`,
      );
    }
    this.show({ ...view.snapshot, tooltip: tooltip.value }, tooltip, [{ folder: db.folder.uri }]);
  }

  private show(s: StatusSnapshot, tooltip: vscode.MarkdownString, args: unknown[] = []): void {
    this.last = s;
    this.item.text = s.text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = s.background ? new vscode.ThemeColor(s.background) : undefined;
    this.item.command = s.command
      ? { command: s.command, title: 'CodeIdx', arguments: args }
      : undefined;
    this.item.accessibilityInformation = { label: accessibleLabel(s.text) };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
