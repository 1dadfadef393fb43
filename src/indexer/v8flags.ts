/**
 * Whether the indexer may set V8 flags for a while (baseline.ts, heap.ts). The flags are
 * process-wide, so each use sets them for a short scope and restores V8's defaults after.
 */

/**
 * V8 versions checked to have every flag the indexer sets (Node 20's 11.3 and Node 24's 13.6;
 * Electron's V8 in between). An unknown flag would make V8 print an error on stdout, which
 * breaks `--json` output.
 */
const KNOWN_V8 = /^1[1-4]\./;

/**
 * True when V8 is a version known to have the flags and the process was not started with its own
 * value for any flag matching `pattern` (restoring V8's default afterwards would undo it).
 */
export function mayScopeFlags(pattern: RegExp, v8Version = process.versions.v8): boolean {
  if (!KNOWN_V8.test(v8Version)) return false;
  return !pattern.test([...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' '));
}
