/**
 * The Markdown of the reports and the status item's tooltip, built from the core's results.
 * No `vscode` here: reports.ts shows the documents, statusItem.ts renders the tooltip.
 */
import type { DatabaseInfo } from '../../storage/worker/protocol.ts';
import type { HealthReport, MigrationStatus } from '../../storage/types.ts';
import { formatBytes } from '../../storage/text.ts';

export { formatBytes };

/** A table cell: a `|` in data would end the cell. */
const cell = (s: string): string => s.replace(/\|/g, '\\|');
const ms = (n: number): string => `${Math.round(n)} ms`;

/** The "Show Migration Status" document: applied, pending and the problems the core found. */
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

export const ICON: Record<string, string> = { healthy: '✅', degraded: '⚠️', unhealthy: '❌' };

/** The "Check Health" document: one table row per check, with the CLI form of its fix. */
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

/**
 * A piece of the tooltip: Markdown as written, or plain text that the renderer escapes
 * (messages can hold paths and names, which are data, not Markdown).
 */
export type TooltipPart = { markdown: string } | { text: string };

/** The status item's tooltip, in order: heading, detail, version, size, last backup, failing checks. */
export function tooltipParts(
  folder: string,
  heading: string,
  info: DatabaseInfo | undefined,
  report: HealthReport | undefined,
  detail: string | undefined,
): TooltipPart[] {
  const parts: TooltipPart[] = [{ markdown: `**CodeIdx: ${folder}**: ${heading}\n\n` }];
  if (detail) parts.push({ text: `${detail}\n\n` });
  if (info) {
    parts.push(
      { markdown: `- Schema version: ${info.schemaVersion} of ${info.latestVersion}\n` },
      { markdown: `- Size: ${formatBytes(info.sizeBytes)}\n` },
      {
        markdown: `- Last backup: ${info.lastBackup ? `${info.lastBackup.at} (${info.lastBackup.ageHours.toFixed(1)} h ago)` : 'none'}\n`,
      },
    );
  }
  const failing = report?.checks.filter((c) => c.status !== 'healthy') ?? [];
  if (failing.length) {
    parts.push({ markdown: '\nFailing checks:\n' });
    for (const c of failing)
      parts.push({ markdown: `- ${ICON[c.status]} ${c.name}: ${c.message}\n` });
  }
  parts.push({ markdown: '\nClick for the health report.' });
  return parts;
}
