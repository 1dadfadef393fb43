/**
 * Whether this runtime can load the SQLite driver (better-sqlite3 13): Node-API 10 and the
 * platform's binary present, checked before anything requires it, so a host that cannot load it
 * gets one clear NATIVE_MODULE error instead of a crash.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CodeidxError } from '../errors.ts';
import type { OpenArgs } from './protocol.ts';

/** The Node-API version better-sqlite3 13's prebuilt binaries need. */
export const REQUIRED_NAPI = 10;

function platformTarget(): string {
  let libc = '';
  if (process.platform === 'linux') {
    // An embedder may leave process.report out, whatever the types say.
    const report = (process.report as NodeJS.ProcessReport | undefined)?.getReport() as
      { header?: { glibcVersionRuntime?: string } } | undefined;
    const header = report?.header;
    if (header && !header.glibcVersionRuntime) libc = 'musl';
  }
  return `${process.platform === 'linux' ? `linux${libc}` : process.platform}-${process.arch}`;
}

/**
 * Checks that this runtime can load better-sqlite3 13 before anything requires it: Node-API 10
 * or newer, and the binary for this platform present (or the one `override` names).
 */
export function checkNativeModule(override?: string): CodeidxError | undefined {
  const napi = Number(process.versions.napi ?? 0);
  const runtime = `Node ${process.versions.node}${process.versions.electron ? ` (Electron ${process.versions.electron})` : ''}`;
  if (!(napi >= REQUIRED_NAPI)) {
    return new CodeidxError(
      'NATIVE_MODULE',
      `The SQLite driver needs Node-API ${REQUIRED_NAPI} or newer; this host runs ${runtime} with Node-API ${napi || 'none'}.`,
      {
        hint: 'Update VS Code to 1.101 or newer (or code-server / the remote host to Node 22.14 or newer).',
        details: { expectedNapi: REQUIRED_NAPI, foundNapi: napi, runtime },
      },
    );
  }
  const target = platformTarget();
  let binary = override;
  if (!binary) {
    try {
      const require = createRequire(import.meta.url);
      binary = join(
        dirname(require.resolve('better-sqlite3/package.json')),
        'prebuilds',
        `${target}.node`,
      );
    } catch (err) {
      return new CodeidxError('NATIVE_MODULE', 'The SQLite driver (better-sqlite3) is missing.', {
        hint: 'Reinstall the codeidx extension from the .vsix built for your platform.',
        cause: err,
        details: { expected: 'node_modules/better-sqlite3', target, runtime },
      });
    }
  }
  if (!existsSync(binary)) {
    return new CodeidxError(
      'NATIVE_MODULE',
      `The SQLite driver's binary for ${target} is missing: expected ${binary}, found nothing.`,
      {
        hint: `Install the codeidx .vsix built for ${target} (each platform has its own package).`,
        details: { expected: binary, target, runtime },
      },
    );
  }
  return undefined;
}

/** Loads a module that loads the SQLite driver, once the runtime is known to support it. */
export async function loadDriver<T>(args: OpenArgs, load: () => Promise<T>): Promise<T> {
  const problem = checkNativeModule(args.nativeBinding);
  if (problem) throw problem;
  try {
    return await load();
  } catch (err) {
    throw new CodeidxError(
      'NATIVE_MODULE',
      `The SQLite driver could not load: ${err instanceof Error ? err.message : String(err)}`,
      {
        hint: 'Install the codeidx .vsix built for your platform, and VS Code 1.101 or newer.',
        cause: err,
        details: { runtime: `Node ${process.versions.node}`, napi: process.versions.napi },
      },
    );
  }
}
