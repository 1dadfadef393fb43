/** Reads of the index and the file: search (and, beside it, symbol search) and file info. */
import { CodeidxError } from '../errors.ts';
import { fileSize } from '../health/health.ts';
import type { DatabaseInfo, SearchOptions, SearchPart, SearchResult } from '../types.ts';
import { newestBackup } from './health.ts';
import type { ServiceState } from './state.ts';

/** Full-text search over the index, best first. */
export function search(state: ServiceState, text: string, o: SearchOptions): SearchResult[] {
  return searching(state, () => state.repo().search(text, o));
}

/** One part of a search split by file id (IndexReads.searchPart). */
export function searchPart(state: ServiceState, text: string, o: SearchOptions): SearchPart {
  return searching(state, () => state.repo().searchPart(text, o));
}

function searching<T>(state: ServiceState, run: () => T): T {
  state.requireVersion(2, 'Search');
  try {
    return run();
  } catch (err) {
    throw driftCause(state, err);
  }
}

/**
 * A planted object can break a query; the drift, with its fix, is the real cause. Errors that
 * are already ours (and errors without drift) pass unchanged.
 */
function driftCause(state: ServiceState, err: unknown): unknown {
  const { blocked } = state;
  if (!blocked || err instanceof CodeidxError) return err;
  return new CodeidxError(blocked.code, blocked.message, {
    hint: blocked.hint,
    fix: blocked.fix,
    details: blocked.details,
    cause: err,
  });
}

/** Where the file is, how large, which schema, and its last backup. */
export function info(state: ServiceState): DatabaseInfo {
  const status = state.manager.status();
  const last = newestBackup(state);
  return {
    path: state.path,
    sizeBytes: fileSize(state.path),
    schemaVersion: status.currentVersion,
    latestVersion: status.latestVersion,
    ...(last ? { lastBackup: last } : {}),
  };
}
