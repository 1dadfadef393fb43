import * as vscode from 'vscode';
import type { TooltipPart } from './logic/reports.ts';

export const REPORT_SCHEME = 'codeidx-report';

/** Read-only Markdown documents for the reports (a virtual document cannot be edited). */
export class ReportProvider implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  /** Shows `markdown` as the read-only document `name`; returns the document. */
  async show(name: string, markdown: string): Promise<vscode.TextDocument> {
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${name}.md` });
    this.contents.set(uri.toString(), markdown);
    this.emitter.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/** The status item's tooltip as a MarkdownString (theme icons on; plain-text parts escaped). */
export function tooltipMarkdown(parts: TooltipPart[]): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  for (const part of parts) {
    if ('text' in part) md.appendText(part.text);
    else md.appendMarkdown(part.markdown);
  }
  return md;
}
