/**
 * Keeps V8's heaps near their live size while an index run writes.
 *
 * Measured here (Node 24, V8 13.6), `codeidx index` over 3,753 and 11,259 files:
 * - The thread that writes a run's batches keeps each batch's records, rows and search terms
 *   alive across several scavenges, and V8 answers by doubling the young generation up to its
 *   maximum: 16 MB at the start of a run, 64 MB after 1,000 files, 128 MB at 11,000, nearly all
 *   garbage. With the growth factor at 1 it keeps its size (8 MB).
 * - The old generations (writer and parse workers) then grew to 3 or 4 times their live 15 to
 *   25 MB before each full collection; at 20% growth they stay within a few MB of it.
 * Together: peak RSS 342 -> 286 MB at 11,259 files (from sources), and no slower.
 *
 * Both flags are process-wide and read whenever V8 resizes a heap, so they are set for the
 * length of the runs only (counted: folders may index at once) and V8's defaults restored after
 * the last. Meanwhile other code in the process (the extension host) collects a little more
 * often; nothing else changes for it.
 */
import { setFlagsFromString } from 'node:v8';
import { mayScopeFlags } from './v8flags.ts';

const LEAN_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=20'];
/** V8's defaults for the same flags (`node --v8-options`; 0: V8's own heuristic). */
const DEFAULT_FLAGS = ['--semi-space-growth-factor=2', '--heap-growing-percent=0'];
let running = 0;

/** Runs `body` with the heaps' growth held (see the module comment). */
export async function withLeanHeaps<T>(body: () => Promise<T>): Promise<T> {
  if (!mayScopeFlags(/semi-space|heap-growing/)) return body();
  if (running++ === 0) for (const flag of LEAN_FLAGS) setFlagsFromString(flag);
  try {
    return await body();
  } finally {
    if (--running === 0) for (const flag of DEFAULT_FLAGS) setFlagsFromString(flag);
  }
}
