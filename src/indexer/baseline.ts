/**
 * Grammar modules compiled to V8's baseline WebAssembly code (Liftoff) only, never optimised.
 *
 * Measured here (Node 24, V8 13.6): optimising (TurboFan) a grammar's lexer, one function of
 * 30 to 90 KB, takes 80 to 220 MB of compiler memory for up to half a second (the C++ lexer:
 * 219 MB, 0.46 s). Two grammars tiering up at once put a parse run's peak RSS near 500 MB,
 * although the code itself is a few MB. Code compiled while these flags are set carries no
 * tier-up checks, so it stays baseline after the flags are restored; the tree-sitter runtime and
 * everything else in the process compile and tier up as usual. V8 flags are process-wide (the
 * extension host too), hence the short scope: one synchronous compile.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { AssetPaths } from './assets.ts';
import type { LanguageSpec } from './languages.ts';
import { mayScopeFlags } from './v8flags.ts';

/** `--liftoff-only` alone does nothing after start: its implications are set here by hand. */
const BASELINE_FLAGS = [
  '--liftoff-only',
  '--no-wasm-tier-up',
  '--no-wasm-dynamic-tiering',
  // Every function compiled now, under the flags, not later on its first call.
  '--no-wasm-lazy-compilation',
];
/** V8's defaults for the same flags. */
const DEFAULT_FLAGS = [
  '--no-liftoff-only',
  '--wasm-tier-up',
  '--wasm-dynamic-tiering',
  '--wasm-lazy-compilation',
];

/** The part of the WebAssembly global used here (the project's lib has no WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * Compiles a grammar's `.wasm` to baseline code only (see the module comment), synchronously so
 * that no other compile of this thread runs under the flags. The returned `WebAssembly.Module`
 * can be posted to worker threads, which then share its code.
 */
export function compileBaseline(bytes: Uint8Array): object {
  if (!mayScopeFlags(/liftoff|wasm-(tier|dynamic|lazy)/)) return new wasm.Module(bytes);
  for (const flag of BASELINE_FLAGS) setFlagsFromString(flag);
  try {
    return new wasm.Module(bytes);
  } finally {
    for (const flag of DEFAULT_FLAGS) setFlagsFromString(flag);
  }
}

/** Compiles a language's grammar to baseline code; throws what WebAssembly throws for a bad file. */
export function compileGrammar(assets: AssetPaths, spec: LanguageSpec): object {
  return compileBaseline(readFileSync(assets.grammar(spec)));
}

/** The grammars a file of language `id` may be parsed with (Flow-typed JavaScript is read as TSX). */
export function grammarsFor(id: string): string[] {
  return id === 'javascript' ? ['javascript', 'tsx'] : [id];
}
