// Run by heap.test.ts in a fresh process: allocates objects that survive a few scavenges (as an
// index run's batches do), with or without withLeanHeaps, and prints the young generation's
// size before and after, and after a second, unwrapped round.
import { getHeapSpaceStatistics } from 'node:v8';
import { withLeanHeaps } from '../../../src/indexer/heap.ts';

const newSpace = (): number =>
  getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

async function churn(): Promise<void> {
  let kept: object[] = [];
  for (let round = 0; round < 150; round++) {
    for (let i = 0; i < 20_000; i++) kept.push({ round, i, name: `definition${i}` });
    if (kept.length >= 100_000) kept = [];
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const before = newSpace();
if (process.argv[2] === 'lean') await withLeanHeaps(churn);
else await churn();
const during = newSpace();
await churn(); // the defaults are back: the young generation may grow again
console.log(JSON.stringify({ before, during, after: newSpace() }));
