import * as vscode from 'vscode';
import type { DatabaseInfo } from '../storage/worker/protocol.ts';
import type { HealthReport, MigrationStatus } from '../storage/types.ts';
import { formatBytes } from '../storage/text.ts';

export { formatBytes };

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

const cell = (s: unknown): string => String(s ?? '').replace(/\|/g, '\\|');
const ms = (n: number): string => `${Math.round(n)} ms`;

export function migrationStatusMarkdown(folder: string, path: string, s: MigrationStatus): string {
  const lines = [
    `# CodeIdx migration status: ${folder}`,
    '',
    `- Database: \`${path}\``,
    `- Current version: **${s.currentVersion}**`,
    `- Latest version: **${s.latestVersion}**`,
    '',
    '## Applied',
    '',
  ];
  if (s.applied.length) {
    lines.push('| Version | Name | Applied at | Duration | Checksum |', '|---|---|---|---|---|');
    for (const m of s.applied)
      lines.push(
        `| ${m.version} | ${cell(m.name)} | ${m.appliedAt} | ${ms(m.executionMs)} | \`${m.checksum}\` |`,
      );
  } else lines.push('None.');
  lines.push('', '## Pending', '');
  if (s.pending.length) {
    lines.push('| Version | Name | Description | Checksum |', '|---|---|---|---|');
    for (const m of s.pending)
      lines.push(`| ${m.version} | ${cell(m.name)} | ${cell(m.description)} | \`${m.checksum}\` |`);
  } else lines.push('None: the database is up to date.');
  lines.push('', '## Problems', '');
  if (s.problems.length)
    for (const p of s.problems)
      lines.push(
        `- **${p.kind}**${p.version ? ` (version ${p.version})` : ''}: ${p.message} ${p.hint}`,
      );
  else lines.push('None.');
  return lines.join('\n') + '\n';
}

const ICON: Record<string, string> = { healthy: '✅', degraded: '⚠️', unhealthy: '❌' };

export function healthMarkdown(folder: string, r: HealthReport): string {
  const lines = [
    `# CodeIdx health: ${folder} is ${r.status}`,
    '',
    `- Database: \`${r.path}\``,
    `- Schema version: ${r.schemaVersion} of ${r.latestVersion}`,
    `- Size: ${formatBytes(r.sizeBytes)}`,
    `- Last backup: ${r.lastBackup ? `${r.lastBackup.at} (\`${r.lastBackup.path}\`)` : 'none'}`,
    `- Checked at: ${r.checkedAt}`,
    '',
    '| | Check | Result | Fix |',
    '|---|---|---|---|',
  ];
  for (const c of r.checks)
    lines.push(
      `| ${ICON[c.status] ?? ''} | ${c.name} | ${cell(c.message)} | ${c.fix ? `${cell(c.fix.title)}: \`${cell(c.fix.cli)}\`` : ''} |`,
    );
  return lines.join('\n') + '\n';
}

/** The status item's tooltip: version, size, last backup, failing checks. */
export function tooltipMarkdown(
  folder: string,
  heading: string,
  info: DatabaseInfo | undefined,
  report: HealthReport | undefined,
  detail: string | undefined,
): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**CodeIdx: ${folder}**: ${heading}\n\n`);
  if (detail) md.appendText(`${detail}\n\n`);
  if (info) {
    md.appendMarkdown(`- Schema version: ${info.schemaVersion} of ${info.latestVersion}\n`);
    md.appendMarkdown(`- Size: ${formatBytes(info.sizeBytes)}\n`);
    md.appendMarkdown(
      `- Last backup: ${info.lastBackup ? `${info.lastBackup.at} (${info.lastBackup.ageHours.toFixed(1)} h ago)` : 'none'}\n`,
    );
  }
  const failing = report?.checks.filter((c) => c.status !== 'healthy') ?? [];
  if (failing.length) {
    md.appendMarkdown('\nFailing checks:\n');
    for (const c of failing) md.appendMarkdown(`- ${ICON[c.status]} ${c.name}: ${c.message}\n`);
  }
  md.appendMarkdown('\nClick for the health report.');
  return md;
}
