// Run by baseline.test.ts as `node --trace-wasm-compilation-times tierup-child.ts DIR`: parses
// the C++ and TypeScript files in DIR many times in a parse pool (the real path: the pool
// compiles the grammars, one worker parses), so that V8 tiers up whatever it may.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseFiles } from '../../../src/indexer/pool.ts';
import type { ParseTask } from '../../../src/indexer/protocol.ts';

const dir = process.argv[2]!;
const files = readdirSync(dir);
const tasks: ParseTask[] = [];
for (let round = 0; round < 20; round++)
  for (const name of files) {
    tasks.push({
      id: tasks.length,
      root: dir,
      path: name,
      language: name.endsWith('.ts') ? 'typescript' : 'cpp',
      mtimeMs: 0,
      size: statSync(join(dir, name)).size,
    });
  }
let records = 0;
for await (const r of parseFiles(tasks, { workers: 1 })) if (r.kind === 'record') records++;
console.log(`records ${records}/${tasks.length}`);
