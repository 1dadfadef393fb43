import * as vscode from 'vscode';
import { healthMarkdown } from '../logic/reports.ts';
import { showFailure } from '../notify.ts';
import { guarded, pickFolder, type CommandHandler } from './shared.ts';

/**
 * CodeIdx: Check Health — the full report as a document, and a notification whose buttons run
 * the fixes of the failing checks. A database that is not open shows its failure instead.
 */
export const checkHealth: CommandHandler = async (host, o) => {
  const db = await pickFolder(host, o);
  if (!db) return undefined;
  if (!db.client || db.client.closed) {
    const error = db.state.error;
    if (error) void showFailure(db, error);
    return undefined;
  }
  return guarded(db, 'Health check', async () => {
    const client = db.need();
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `CodeIdx: checking ${db.name}` },
      () => client.health({ full: true }),
    );
    await host.showReport(`health-${db.name}`, healthMarkdown(db.name, report));
    const fixes = report.checks.filter((c) => c.status !== 'healthy' && c.fix?.command);
    const summary = `CodeIdx (${db.name}): ${report.status}.`;
    if (fixes.length === 0) {
      void vscode.window.showInformationMessage(
        `${summary} ${report.checks.length} checks passed.`,
      );
    } else {
      const titles = [...new Set(fixes.map((c) => c.fix!.title))];
      const failing = fixes.map((c) => c.message).join(' ');
      const show =
        report.status === 'unhealthy'
          ? vscode.window.showErrorMessage
          : vscode.window.showWarningMessage;
      void show(`${summary} ${failing}`, ...titles).then(async (pick) => {
        const fix = fixes.find((c) => c.fix!.title === pick)?.fix;
        if (fix?.command)
          await vscode.commands.executeCommand(fix.command, { folder: db.folder.uri });
      });
    }
    return report;
  });
};
