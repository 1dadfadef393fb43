import type { MigrationStatus } from '../../storage/types.ts';
import { migrationStatusMarkdown } from '../logic/reports.ts';
import { guarded, pickFolder, type CommandHandler } from './shared.ts';

/** CodeIdx: Show Migration Status — the report document; resolves with the status. */
export const showMigrationStatus: CommandHandler = async (
  host,
  o,
): Promise<MigrationStatus | undefined> => {
  const db = await pickFolder(host, o);
  if (!db) return undefined;
  return guarded(db, 'Show migration status', async () => {
    const status = await db.need().status();
    await host.showReport(
      `migration-status-${db.name}`,
      migrationStatusMarkdown(db.name, db.opened?.path ?? db.settings.databasePath, status),
    );
    return status;
  });
};
