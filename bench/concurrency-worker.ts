// A worker of the concurrency benchmark. role 'rebuild': rebuilds the index until told to stop.
// role 'read': runs searches round-robin over its own read-only connections until told to stop,
// then reports how many ran, how many failed, and the latency percentiles.
import { parentPort, workerData } from 'node:worker_threads';
import { openConnection } from '../src/storage/database/connection.ts';
import { rebuildSearchIndex } from '../src/storage/index/fts.ts';
import { Repository } from '../src/storage/index/repository.ts';

const { role, dbPath, connections, queries, stop, ready } = workerData as {
  role: 'rebuild' | 'read';
  dbPath: string;
  connections: number;
  queries: string[];
  stop: Int32Array;
  ready: Int32Array;
};

const times: number[] = [];
let errors = 0;
let rebuilds = 0;
const firstErrors: string[] = [];
if (role === 'rebuild') {
  const db = openConnection(dbPath, { busyTimeoutMs: 5000 });
  Atomics.add(ready, 0, 1);
  while (Atomics.load(stop, 0) === 0) {
    rebuildSearchIndex(db);
    rebuilds++;
  }
  db.close();
} else {
  const repos = Array.from(
    { length: connections },
    () => new Repository(openConnection(dbPath, { readonly: true })),
  );
  Atomics.add(ready, 0, 1);
  for (let i = 0; Atomics.load(stop, 0) === 0; i++) {
    const t0 = performance.now();
    try {
      repos[i % repos.length]!.search(queries[i % queries.length]!, { limit: 20 });
    } catch (err) {
      errors++;
      if (firstErrors.length < 3) firstErrors.push(String(err));
    }
    times.push(performance.now() - t0);
  }
}
parentPort!.postMessage({ times, errors, rebuilds, firstErrors });
