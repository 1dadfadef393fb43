import * as vscode from 'vscode';
import { healthNotice } from '../logic/notices.ts';
import { healthMarkdown } from '../logic/reports.ts';
import { showFailure, showNotice } from '../notify.ts';
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
    void showNotice(healthNotice(db.name, report, db.folder.uri));
    return report;
  });
};
