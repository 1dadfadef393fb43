/** The append-only audit table: every up, down, refusal, failure and accepted checksum. */
import type { Connection } from '../database/connection.ts';
import type { Logger } from '../log.ts';
import type { Migration } from '../types.ts';
import { tableExists } from './history.ts';

/** The audit table that migration 001 creates. */
export const AUDIT_TABLE = 'migration_audit';

export type AuditAction = 'up' | 'down' | 'refused' | 'failed' | 'cancelled' | 'accept-checksum';

/** The migration an audit row is about: a whole one (its checksum is recorded) or a plan step. */
export type Audited = Pick<Migration, 'version' | 'name'> & { checksum?: string };

/** Writes one audit row in the caller's transaction. */
export function writeAudit(
  db: Connection,
  action: AuditAction,
  migration: Audited | undefined,
  detail: string,
): void {
  db.prepare(
    `INSERT INTO ${AUDIT_TABLE} (at, action, version, name, checksum, detail) VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(
    new Date().toISOString(),
    action,
    migration?.version ?? null,
    migration?.name ?? null,
    migration?.checksum ?? null,
    detail,
  );
}

/**
 * Writes an audit row in its own transaction: for refusals and failures, after the run was
 * rolled back. Never throws; a database without the table (version 0) gets no row.
 */
export function writeAuditAlone(
  db: Connection,
  logger: Logger,
  action: AuditAction,
  migration: Audited | undefined,
  detail: string,
): void {
  try {
    if (!tableExists(db, AUDIT_TABLE)) return;
    db.transaction(() => writeAudit(db, action, migration, detail)).immediate();
  } catch (err) {
    logger.warn('Could not write the audit row', { action, error: String(err) });
  }
}
