// What `codeidx index [--workspace DIR] [--full] [--json]` does, for the benchmark to run as a
// child process (whole-process time and peak RSS): open the workspace's database, index it, print
// the summary as JSON. The CLI command can be these few lines.
import { indexFolder } from '../src/indexer/index.ts';
import { DatabaseService } from '../src/storage/service.ts';

const args = process.argv.slice(2);
const workspace = args[args.indexOf('--workspace') + 1] ?? process.cwd();
const number = (flag: string): number | undefined =>
  args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : undefined;
const workers = number('--workers');
const recycleAfter = number('--recycle');
const service = await DatabaseService.open({ workspace });
try {
  const summary = await indexFolder(service, workspace, {
    full: args.includes('--full'),
    ...(workers ? { workers } : {}),
    ...(recycleAfter ? { recycleAfter } : {}),
  });
  // maxRSS covers the whole process, worker threads included (KiB on Linux).
  console.log(JSON.stringify({ ...summary, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
} finally {
  service.close();
}
