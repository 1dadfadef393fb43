// Human-readable output of the CLI. JSON output is the data itself; these only lay it out.
// Every value from the data goes through `p` (printable): it can never drive the terminal.
import { readFileSync } from 'node:fs';
import type { IndexSummary } from '../indexer/index.ts';
import type { CodeidxError } from '../storage/errors.ts';
import { formatBytes as bytes, printable as p, formatCount } from '../storage/text.ts';
import type {
  BackupResult,
  HealthReport,
  ImportReport,
  MigrationRunResult,
  MigrationStatus,
  RestoreResult,
  SearchResult,
  SymbolMatch,
} from '../storage/types.ts';

const pad3 = (n: number): string => String(n).padStart(3, '0');

/** Milliseconds as people read them. */
export function ms(value: number): string {
  return value < 1000 ? `${value.toFixed(1)} ms` : `${(value / 1000).toFixed(2)} s`;
}

/** The package's version, read from the package.json beside the code. */
export function version(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      return (
        JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }
      ).version;
    } catch {
      // try the next place
    }
  }
  return 'unknown';
}

export function status(path: string, s: MigrationStatus): string {
  const state =
    s.currentVersion > s.latestVersion
      ? 'newer than this build'
      : s.pending.length
        ? `${s.pending.length} pending`
        : 'up to date';
  const lines = [
    `Database  ${p(path)}`,
    `Version   ${s.currentVersion} of ${s.latestVersion} (${state})`,
  ];
  lines.push('Applied' + (s.applied.length ? '' : '   none'));
  for (const r of s.applied) {
    lines.push(
      `  ${pad3(r.version)} ${p(r.name).padEnd(20)} ${r.appliedAt}  ${String(r.executionMs).padStart(5)} ms  ${r.checksum.slice(0, 19)}…`,
    );
  }
  lines.push('Pending' + (s.pending.length ? '' : '   none'));
  for (const m of s.pending)
    lines.push(`  ${pad3(m.version)} ${p(m.name).padEnd(20)} ${p(m.description)}`);
  lines.push('Problems' + (s.problems.length ? '' : '  none'));
  for (const q of s.problems) lines.push(`  ${p(q.message)}\n    → ${p(q.hint)}`);
  return `${lines.join('\n')}\n`;
}

export function runResult(r: MigrationRunResult): string {
  const lines: string[] = [];
  if (r.dryRun) {
    lines.push(
      r.plan.length
        ? `Dry run: would run ${r.plan.length} step(s); nothing was changed.`
        : 'Dry run: nothing to do.',
    );
    for (const step of r.plan) {
      lines.push(
        `\n-- ${step.direction} ${pad3(step.version)}_${step.name}\n${step.sql.trimEnd()}`,
      );
    }
  } else if (r.steps.length === 0) {
    lines.push('Nothing to do.');
  } else {
    const verb = r.steps[0]!.direction === 'up' ? 'Applied' : 'Rolled back';
    lines.push(
      `${verb} ${r.steps.length} migration(s) (${r.fromVersion} → ${r.toVersion}) in ${ms(r.totalMs)}.`,
    );
    for (const s of r.steps)
      lines.push(`  ${pad3(s.version)} ${p(s.name).padEnd(20)} ${ms(s.executionMs)}`);
    if (r.backup) lines.push(`Backup taken first: ${p(r.backup)}`);
  }
  return `${lines.join('\n')}\n\n`;
}

export function health(h: HealthReport): string {
  const mark = { healthy: 'ok  ', degraded: 'WARN', unhealthy: 'FAIL' } as const;
  const lines = [
    `${h.status.toUpperCase()}  ${p(h.path)}  (schema ${h.schemaVersion} of ${h.latestVersion}, ${bytes(h.sizeBytes)})`,
  ];
  for (const c of h.checks) {
    lines.push(`  ${mark[c.status]} ${c.name.padEnd(15)} ${p(c.message)}`);
    if (c.fix && c.status !== 'healthy') lines.push(`       fix: ${p(c.fix.cli)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** An error on one line: what happened, what to do, and the command that does it. */
export function errorLine(error: CodeidxError): string {
  const fix = error.fix ? ` Fix: \`${error.fix.cli}\`` : '';
  return p(`${error.userMessage}${fix}`.replace(/\s*\n\s*/g, ' '));
}

export function backup(b: BackupResult): string {
  const lines = [
    `Backup written: ${p(b.path)}`,
    `  ${bytes(b.bytes)}, ${b.encrypted ? 'encrypted (AES-256-GCM)' : 'not encrypted'}, ${b.verified ? 'verified' : 'NOT verified'}, ${ms(b.ms)}`,
  ];
  if (b.rotated.length) lines.push(`  Removed ${b.rotated.length} older backup(s).`);
  return `${lines.join('\n')}\n`;
}

export function restore(r: RestoreResult): string {
  return `Restored from ${p(r.restoredFrom)} (schema version ${r.schemaVersion}).${r.previous ? `\nThe replaced database was kept at ${p(r.previous)}.` : ''}\n`;
}

export function importReport(r: ImportReport): string {
  const lines = [
    `Imported ${r.files} file(s) from ${r.lines} line(s) in ${ms(r.ms)} (${r.unchanged} unchanged): ${r.definitions} definitions, ${r.imports} imports, ${r.symbols} symbols, ${r.tags} tags.`,
  ];
  for (const e of r.errors.slice(0, 20)) lines.push(`  line ${e.line}: ${p(e.message)}`);
  if (r.errorCount > 20) lines.push(`  … and ${r.errorCount - 20} more bad line(s).`);
  return `${lines.join('\n')}\n`;
}

export function searchResults(results: SearchResult[]): string {
  if (!results.length) return 'No results.\n';
  return `${results.map((r) => `${r.score.toFixed(2).padStart(7)}  ${p(r.path)}\n         ${p(r.snippet.replace(/\s+/g, ' '))}`).join('\n')}\n`;
}

/** `codeidx index`: what the index holds now, what this run did, and what it skipped and why. */
export function indexSummary(folder: string, s: IndexSummary): string {
  const n = formatCount;
  const lines = [
    `Indexed ${p(folder)} in ${ms(s.ms)}: ${n(s.files)} file(s) in the index (${n(s.parsed)} parsed, ${n(s.unchanged)} unchanged, ${n(s.removed)} removed).`,
    `  ${n(s.definitions)} definitions, ${n(s.imports)} imports.`,
  ];
  const skipped = Object.entries(s.skipped).filter(([, count]) => count > 0);
  if (skipped.length)
    lines.push(
      `  Skipped: ${skipped.map(([reason, count]) => `${n(count)} ${reason}`).join(', ')}.`,
    );
  for (const e of s.errors) lines.push(`  could not parse ${p(e.path)}: ${p(e.message)}`);
  return `${lines.join('\n')}\n`;
}

/** `codeidx symbols`: `path:line:column kind name`, best first (the column counts from 1). */
export function symbolMatches(matches: SymbolMatch[]): string {
  if (!matches.length) return 'No definitions match.\n';
  return `${matches.map((m) => `${p(m.path)}:${m.line}:${m.column + 1} ${m.kind} ${p(m.name)}`).join('\n')}\n`;
}
