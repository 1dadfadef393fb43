/** The options of a DatabaseClient and of one call; client.ts re-exports them. */
import type { Logger } from '../log.ts';
import type { ProgressListener } from '../types.ts';

export interface CallOptions {
  onProgress?: ProgressListener;
  /** Aborting sets the shared cancel flag; the worker stops at its next check and changes nothing. */
  signal?: AbortSignal;
  /**
   * Milliseconds until the request fails with TIMEOUT (counted from the call, queueing
   * included). A request that is running by then is cancelled and its worker replaced, so a
   * stuck request never wedges the client. Default: `readTimeoutMs` for reads, none for writes.
   */
  timeoutMs?: number;
}

export interface ClientOptions {
  logger?: Logger;
  /** The worker script; by default worker.ts beside this file, or worker.js beside the bundle. */
  workerUrl?: URL;
  /** Milliseconds `close()` waits for running requests and for the workers to close their connections. */
  closeTimeoutMs?: number;
  /**
   * Reader threads beside the writer (default 0: every request runs on the writer, in the order
   * of the calls). With readers, a read sees the last committed state, not a write still running.
   */
  readers?: number;
  /** Requests that may wait for a worker; one more fails with QUEUE_FULL (default 1000). */
  maxQueue?: number;
  /** Default time limit of a read, in milliseconds (default 30,000; 0: none). */
  readTimeoutMs?: number;
}
