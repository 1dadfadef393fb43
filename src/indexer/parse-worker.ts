/**
 * A parse worker: reads files, hashes them and turns them into records. One FileParser per
 * worker; the pool replaces the worker every few thousand files to give its WASM memory back.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { FileParser, wasmHeapBytes } from './parser.ts';
import type { GrammarMessage, ParseResult, ParseTask, WorkerSetup } from './protocol.ts';
import { isBinary } from './walk.ts';

const setup = workerData as WorkerSetup;
/** Grammars compiled by the pool; a language missing here is compiled by this thread. */
const grammars = new Map<string, object>();
const parser = new FileParser(undefined, {
  locals: setup.locals,
  grammar: (id) => grammars.get(id),
});
let chain: Promise<void> = Promise.resolve();

async function handle(task: ParseTask): Promise<ParseResult> {
  let bytes: Buffer;
  try {
    // Sync: this thread has nothing else to do meanwhile, and it costs less than a file handle.
    bytes = readFileSync(join(task.root, task.path));
  } catch {
    return { id: task.id, kind: 'skipped', reason: 'unreadable' };
  }
  if (isBinary(bytes)) return { id: task.id, kind: 'skipped', reason: 'binary' };
  const hash = createHash('sha256').update(bytes).digest('hex');
  if (hash === task.knownHash) return { id: task.id, kind: 'unchanged', hash, size: bytes.length };
  const { definitions, imports, symbols } = await parser.parse(
    task.language,
    bytes.toString('utf8'),
  );
  return {
    id: task.id,
    kind: 'record',
    record: {
      path: task.path,
      size: bytes.length,
      lastModified: Math.trunc(task.mtimeMs),
      hash,
      language: task.language,
      definitions,
      imports,
      symbols,
    },
  };
}

/** Rest owed by the last file under a CPU share, and when it was finished. */
let owed = 0;
let finishedAt = 0;

parentPort!.on('message', (message: ParseTask | GrammarMessage) => {
  if ('grammar' in message) {
    grammars.set(message.grammar, message.module);
    return;
  }
  const task = message;
  chain = chain.then(async () => {
    // Throttle: busy for `share` of the time. The rest is taken before the next file, less the
    // time the thread sat idle meanwhile, so a file saved after a pause is not kept waiting.
    const rest = owed - (performance.now() - finishedAt);
    if (rest > 0) await sleep(rest);
    const t0 = performance.now();
    let result: ParseResult;
    try {
      result = await handle(task);
    } catch (err) {
      result = { id: task.id, kind: 'error', message: (err as Error).message };
    }
    if (wasmHeapBytes() > setup.maxHeapBytes) result.retire = true;
    parentPort!.postMessage(result);
    const share = setup.cpuShare;
    finishedAt = performance.now();
    owed = share > 0 && share < 1 ? ((finishedAt - t0) * (1 - share)) / share : 0;
  });
});
