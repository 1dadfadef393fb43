import type { FileRecordInput } from '../storage/types.ts';

/** One file for a parse worker. */
export interface ParseTask {
  id: number;
  /**
   * The folder `path` is relative to: one string shared by every task of a run (an absolute path
   * per task cost about 700 bytes of the writing thread's heap per file, 15 MB at 20,000 files).
   */
  root: string;
  /** Relative path with forward slashes, as stored. */
  path: string;
  language: string;
  mtimeMs: number;
  /** Bytes, as listed by the walk: big files are parsed one at a time (see pool.ts). */
  size: number;
  /** The stored hash: when the content still has it, the worker skips the parse. */
  knownHash?: string;
}

/**
 * A grammar compiled by the pool (see baseline.ts), sent to a worker before its first file of
 * that language: workers share its code and compile nothing.
 */
export interface GrammarMessage {
  grammar: string;
  /** A WebAssembly.Module. */
  module: object;
}

export type ParseResult = (
  | { id: number; kind: 'record'; record: FileRecordInput & { hash: string } }
  | { id: number; kind: 'unchanged'; hash: string; size: number }
  | { id: number; kind: 'skipped'; reason: 'binary' | 'unreadable' }
  | { id: number; kind: 'error'; message: string }
) & {
  /** Set by a worker whose WASM heap outgrew `maxHeapBytes`: it wants no more files. */
  retire?: boolean;
};

export interface WorkerSetup {
  /** 0 < share <= 1: each worker sleeps so that it is busy about this share of the time. */
  cpuShare: number;
  /** Extract local symbols too (see FileParser). */
  locals: boolean;
  /** A worker whose tree-sitter heap is larger than this asks to be replaced. */
  maxHeapBytes: number;
}
