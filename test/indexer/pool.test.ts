import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultWorkerCount,
  ParsePool,
  parseFiles,
  type PoolOptions,
} from '../../src/indexer/pool.ts';
import type { ParseResult, ParseTask } from '../../src/indexer/protocol.ts';

describe('indexer: parse pool', () => {
  let root = '';
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'codeidx-pool-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const tasks = (n: number): ParseTask[] =>
    Array.from({ length: n }, (_, id) => {
      const path = `f${id}.py`;
      const source = `def fn_${id}():\n    pass\n`;
      writeFileSync(join(root, path), source);
      return {
        id,
        root,
        path,
        language: 'python',
        mtimeMs: 0,
        size: source.length,
      };
    });
  /** `from` copied into the tasks' folder as `path`; returns `path`. */
  const copy = (from: string, path: string): string => {
    copyFileSync(from, join(root, path));
    return path;
  };
  const all = async (t: ParseTask[], o: PoolOptions): Promise<ParseResult[]> => {
    const out: ParseResult[] = [];
    for await (const r of parseFiles(t, o)) out.push(r);
    return out;
  };

  it('uses every core when the user waits, one fewer under a CPU share', () => {
    assert.ok(defaultWorkerCount() >= 1);
    assert.equal(defaultWorkerCount(0.5), Math.max(1, defaultWorkerCount() - 1));
  });

  it('replaces a worker whose heap outgrew the limit, and every file still comes back', async () => {
    const r = await all(tasks(30), { workers: 1, maxHeapBytes: 1 });
    assert.equal(r.length, 30);
    assert.ok(r.every((x) => x.kind === 'record' && x.retire === true));
    assert.deepEqual(
      r.map((x) => x.id).sort((a, b) => a - b),
      [...Array(30).keys()],
    );
  });

  it('replaced workers get the compiled grammars again, Flow files their TSX one: every file parses', async () => {
    const flow = fileURLToPath(new URL('../fixtures/indexer/flow/store.js', import.meta.url));
    const cpp = fileURLToPath(new URL('../fixtures/indexer/cpp/widget.h', import.meta.url));
    const mixed: ParseTask[] = tasks(6).map((t, i) =>
      i % 3 === 1
        ? { ...t, path: copy(flow, `flow${i}.js`), language: 'javascript' }
        : i % 3 === 2
          ? { ...t, path: copy(cpp, `widget${i}.h`), language: 'cpp' }
          : t,
    );
    const r = await all(mixed, { workers: 2, recycleAfter: 2 });
    const names = new Map(
      r.map((x) => [
        x.id,
        x.kind === 'record' ? (x.record.definitions ?? []).map((d) => d.name) : [],
      ]),
    );
    for (const t of mixed) {
      const got = names.get(t.id) ?? [];
      if (t.language === 'python') assert.deepEqual(got, [`fn_${t.id}`]);
      else if (t.language === 'javascript') assert.ok(got.includes('useStore'), got.join());
      else assert.ok(got.length > 0, `${t.path}: nothing`);
    }
  });

  it('a recycled worker has ended before its replacement starts: never more threads than asked', async () => {
    const pool = new ParsePool({ workers: 2, recycleAfter: 1 });
    try {
      let n = 0;
      for await (const r of pool.parse(tasks(12))) if (r.kind === 'record') n++;
      assert.equal(n, 12);
      assert.ok(pool.started >= 12, `only ${pool.started} workers started`);
      assert.equal(pool.peakThreads, 2);
    } finally {
      await pool.close();
    }
  });

  it('when every file is big, the first worker parses them all and none is left waiting', async () => {
    const r = await all(tasks(12), { workers: 2, bigFileBytes: 1 });
    assert.equal(r.filter((x) => x.kind === 'record').length, 12);
  });

  it('a crashed worker fails only the file it was parsing; the files it held go to another', async () => {
    const t = tasks(20);
    t[3] = { ...t[3]!, path: 'crash.ts' };
    const r = await all(t, {
      workers: 1,
      workerUrl: new URL('../fixtures/crash-parse-worker.ts', import.meta.url),
    });
    assert.equal(r.length, 20, 'every file answered once');
    const failed = r.filter((x) => x.kind === 'error');
    assert.deepEqual(
      failed.map((x) => x.id),
      [3],
    );
    assert.equal(r.filter((x) => x.kind === 'skipped').length, 19);
  });
  it('a kept pool: a cancelled run leaves no stale answer for the next run, and idle threads end', async () => {
    const pool = new ParsePool({ workers: 1, idleMs: 1 });
    try {
      const cancel = new Int32Array(new SharedArrayBuffer(4));
      const first = tasks(30);
      await assert.rejects(
        (async () => {
          for await (const r of pool.parse(first, cancel)) {
            assert.ok(r.id >= 0);
            Atomics.store(cancel, 0, 1);
          }
        })(),
        { code: 'CANCELLED' },
      );
      mkdirSync(join(root, 'second'), { recursive: true });
      const second = tasks(5).map((t) => ({
        ...t,
        path: copy(join(root, t.path), `second/${t.path}`),
      }));
      const out: ParseResult[] = [];
      for await (const r of pool.parse(second)) out.push(r);
      assert.equal(out.length, 5);
      for (const r of out) assert.ok(r.kind === 'record' && r.record.path.startsWith('second/'));
      // Idle for idleMs: the threads end (polled, not timed).
      while (pool.threads > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(pool.started >= 2, 'the cancelled run’s thread was replaced');
    } finally {
      await pool.close();
    }
  });
});
