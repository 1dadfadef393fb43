/**
 * The async face of the database workers: one writer thread that owns the DatabaseService, and
 * a pool of reader threads with read-only connections (WAL readers) that answer searches,
 * lookups, status, health and info while the writer migrates, imports or rebuilds. Requests are
 * answered by promises, progress comes as callbacks, cancellation goes through a shared-memory
 * flag the worker's long loops check, and failures are re-created as CodeidxError. No `vscode`
 * here: the extension, tests and any other Node host use it alike.
 *
 * The client's methods (`status`, `migrate`, …) are derived from protocol.ts's METHODS: each is
 * `(args, options?) => Promise<result>`. The threads' lifecycle is slots.ts, the queues and
 * dispatch are dispatch.ts; this file is the public surface. `search` is the one method written
 * out: with two readers idle it splits the search between them.
 */
import { CodeidxError } from '../errors.ts';
import { SHOW_LOG } from '../fixes.ts';
import { mergeSearchParts } from '../index/rank.ts';
import type { SearchResult } from '../types.ts';
import {
  INTERNAL_METHODS,
  METHODS,
  type ArgsOf,
  type Method,
  type OpenArgs,
  type OpenResult,
  type PublicMethod,
  type ResultOf,
  type Role,
} from './protocol.ts';
import { defaultWorkerUrl, errorFromJson } from './pool.ts';
import { Dispatcher, STOPPED_HINT } from './dispatch.ts';
import type { CallOptions, ClientOptions } from './options.ts';

export type { CallOptions, ClientOptions } from './options.ts';
export { defaultWorkerUrl, errorFromJson };

/** A client method: the arguments may be left out when none are required. */
type ClientMethod<M extends PublicMethod> =
  Record<string, never> extends ArgsOf<M>
    ? (args?: ArgsOf<M>, options?: CallOptions) => Promise<ResultOf<M>>
    : (args: ArgsOf<M>, options?: CallOptions) => Promise<ResultOf<M>>;

type ClientMethods = { [M in PublicMethod]: ClientMethod<M> };

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- the methods are installed on the prototype from METHODS below
export interface DatabaseClient extends ClientMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class DatabaseClient extends Dispatcher {
  private readonly maxQueue: number;
  private readonly readTimeoutMs: number;
  /** Where the next split search divides the file ids: half the highest id the last search saw. */
  private searchSplit: number | undefined;

  constructor(options: ClientOptions = {}) {
    super(options);
    this.maxQueue = options.maxQueue ?? 1000;
    this.readTimeoutMs = options.readTimeoutMs ?? 30_000;
  }

  /** Starts the writer, opens the database in it (no migration: call `migrate`), then the readers. */
  static async open(
    args: OpenArgs,
    options: ClientOptions & CallOptions = {},
  ): Promise<{ client: DatabaseClient; opened: OpenResult }> {
    const client = new DatabaseClient(options);
    try {
      const opened = await client.openWriter(args, options.onProgress);
      client.dbPath = opened.path;
      for (let i = 0; i < client.poolSize; i++) client.startReader();
      return { client, opened };
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  get closed(): boolean {
    return this.exited !== undefined;
  }

  /**
   * Ends a worker thread as a crash would, for tests and diagnostics: the client replaces it,
   * retries the read it was running and fails a write it was running with WORKER_EXITED.
   */
  terminateWorker(role: Role, index = 0): Promise<number> {
    const slot = role === 'writer' ? this.writer : this.readers[index];
    if (!slot) return Promise.reject(new CodeidxError('INVALID_ARGUMENT', `No ${role} ${index}.`));
    void slot.worker.terminate();
    return slot.exited;
  }

  /**
   * Full-text search, best first. With two readers idle it runs as two parts over the lower and
   * the upper half of the file ids, one per reader, and merges their best results (the same as
   * one search gives: rank.ts); a word found in most files then costs each thread half the
   * scoring. Otherwise it runs whole on one worker.
   */
  async search(
    args: { text: string; limit?: number },
    options: CallOptions = {},
  ): Promise<SearchResult[]> {
    const split = this.searchSplit;
    if (split !== undefined && this.idleReaders >= 2) {
      this.logger.trace('A search is split over two readers.', { fileId: split });
      const parts = await Promise.all([
        this.request('searchPart', { ...args, upTo: split }, options),
        this.request('searchPart', { ...args, after: split }, options),
      ]);
      this.searchSplit = Math.floor(Math.max(...parts.map((p) => p.lastFileId)) / 2);
      return mergeSearchParts(
        parts.map((p) => p.results),
        args.limit,
      );
    }
    const whole = await this.request('searchPart', args, options);
    this.searchSplit = Math.floor(whole.lastFileId / 2);
    return whole.results;
  }

  /** Sends one request; the typed methods (`client.status(…)`) call this. */
  call<M extends PublicMethod>(
    method: M,
    args: ArgsOf<M>,
    options: CallOptions = {},
  ): Promise<ResultOf<M>> {
    return this.request(method, args, options);
  }

  private request<M extends Method>(
    method: M,
    args: ArgsOf<M>,
    options: CallOptions,
  ): Promise<ResultOf<M>> {
    if (this.exited) return Promise.reject(this.exited);
    if (this.closing) {
      return Promise.reject(new CodeidxError('INTERNAL', 'The database is closing.'));
    }
    if (this.writeQueue.length + this.readQueue.length >= this.maxQueue) {
      return Promise.reject(
        new CodeidxError(
          'QUEUE_FULL',
          `The database is busy: ${this.maxQueue} requests are already waiting.`,
          {
            transient: true,
            hint: 'Try again in a moment; raise codeidx.readPool.queueLimit if this happens in normal use.',
            details: { limit: this.maxQueue },
          },
        ),
      );
    }
    const spec = METHODS[method];
    const read = spec.kind === 'read';
    const onWriter = (spec as { onWriter?: (a: ArgsOf<M>) => boolean }).onWriter?.(args);
    const target: Role = read && !onWriter && this.poolSize > 0 ? 'reader' : 'writer';
    const timeoutMs = options.timeoutMs ?? (read ? this.readTimeoutMs : 0);
    return this.enqueue(method, args, { ...options, timeoutMs }, target, read);
  }

  /**
   * Lets running requests finish, closes every worker's connection, and ends every thread; a
   * worker that does not answer in time is terminated. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const deadline = new Promise<void>((r) => setTimeout(r, this.closeTimeoutMs).unref());
      await Promise.race([this.idle(), deadline]);
      const slots = [this.writer, ...this.readers].filter((s) => !s.retiring);
      await Promise.race([Promise.all(slots.map((s) => this.retire(s))), deadline]);
      this.fail(
        new CodeidxError('INTERNAL', 'The database is closed.', {
          hint: STOPPED_HINT,
          fix: SHOW_LOG,
        }),
      );
      await Promise.all([...this.threads].map((s) => s.abandon()));
    })();
    return this.closing;
  }
}

const internal = new Set<string>(INTERNAL_METHODS);
for (const [name, spec] of Object.entries(METHODS)) {
  if (spec.kind === 'control' || internal.has(name)) continue;
  Object.defineProperty(DatabaseClient.prototype, name, {
    value: function (this: DatabaseClient, args: unknown = {}, options?: CallOptions) {
      return this.call(name as PublicMethod, args as never, options);
    },
    writable: true,
    configurable: true,
  });
}
