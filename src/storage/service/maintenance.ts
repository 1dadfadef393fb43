/** Writes that keep the index: importing records, rebuilding the full-text index, routine upkeep. */
import { optimizeSearchIndex, rebuildSearchIndex } from '../index/fts.ts';
import { importJsonLines } from '../index/importer.ts';
import type { CancelFlag, ImportReport, ProgressListener } from '../types.ts';
import type { ServiceState } from './state.ts';

/** Loads JSON lines of indexer records (see importer.ts); needs the latest schema. */
export async function importRecords(
  state: ServiceState,
  input: AsyncIterable<string> | NodeJS.ReadableStream,
  o: { strict?: boolean; batchSize?: number; onProgress?: ProgressListener; cancel?: CancelFlag },
): Promise<ImportReport> {
  state.assertWritable();
  state.requireVersion(state.manager.latestVersion, 'Import');
  return importJsonLines(state.db, input, { ...o, logger: state.logger });
}

/** Rebuilds the full-text index from the tables. */
export async function rebuildFts(
  state: ServiceState,
  o: { onProgress?: ProgressListener; cancel?: CancelFlag },
): Promise<{ rows: number; ms: number }> {
  state.assertWritable();
  state.requireVersion(2, 'The full-text index');
  return state.resilience.execute(() => rebuildSearchIndex(state.db, o));
}

/** Routine upkeep: FTS5 optimize, ANALYZE via `PRAGMA optimize`, a WAL checkpoint, and VACUUM on request. */
export async function maintenance(
  state: ServiceState,
  o: { vacuum?: boolean },
): Promise<{ ms: number; checkpointed: boolean; vacuumed: boolean }> {
  state.assertWritable();
  const t0 = performance.now();
  return state.resilience.execute(() => {
    if (state.manager.status().currentVersion >= 2) optimizeSearchIndex(state.db);
    state.db.pragma('optimize=0x10002');
    const [checkpoint] = state.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (o.vacuum) state.db.exec('VACUUM');
    return {
      ms: performance.now() - t0,
      checkpointed: checkpoint?.busy === 0,
      vacuumed: Boolean(o.vacuum),
    };
  });
}
