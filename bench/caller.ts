// Run by bench/eventloop.ts in a fresh process, so the calling thread whose event loop is
// measured holds only the client: `rebuild <db>` or `index <db> <files>`; prints the JSON result.
import { indexBlock, rebuildBlock } from './eventloop.ts';

const [job, dbPath, files] = process.argv.slice(2);
if (!dbPath || (job !== 'rebuild' && job !== 'index')) {
  throw new Error('usage: node bench/caller.ts rebuild <db> | index <db> <files>');
}
const result =
  job === 'index' ? await indexBlock(dbPath, Number(files)) : await rebuildBlock(dbPath);
process.stdout.write(JSON.stringify(result));
