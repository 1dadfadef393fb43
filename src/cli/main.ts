// Entry point of the `codeidx` command. It checks the runtime before anything loads the SQLite
// driver: better-sqlite3 13 is a Node-API 10 build, and an older Node crashes inside it.
const napi = Number(process.versions.napi ?? 0);
if (napi < 10) {
  process.stderr.write(
    `codeidx: needs Node.js 22.14 or newer (Node-API 10); found Node ${process.version} (Node-API ${napi}). Install Node 22 or newer and run it again.\n`,
  );
  process.exit(1);
}

import('./run.ts').then(
  async ({ main }) => {
    process.exitCode = await main(process.argv.slice(2));
  },
  (err: unknown) => {
    process.stderr.write(
      `codeidx: cannot start: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
