import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodeidxError } from '../errors.ts';
import type { Migration } from '../types.ts';

/** `NNN_snake_name.up.sql` / `.down.sql`: the only names the loader accepts. */
const FILE_NAME = /^(\d{3})_([a-z0-9]+(?:_[a-z0-9]+)*)\.(up|down)\.sql$/;

/**
 * The build's own `migrations/` folder: the nearest one above this module that holds
 * `001_*.up.sql`. It is found from the code's location, never from the workspace, so a cloned
 * repository cannot bring migrations of its own.
 */
export function defaultMigrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'migrations');
    if (existsSync(candidate) && readdirSync(candidate).some((f) => /^001_.*\.up\.sql$/.test(f))) {
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new CodeidxError(
        'MIGRATION_INVALID',
        'The migrations folder of this build is missing.',
        {
          hint: 'Reinstall codeidx: its package must contain migrations/.',
        },
      );
    }
    dir = parent;
  }
}

/** Text as SQLite should see it and as the checksum covers it: no BOM, LF line endings. */
export function normaliseSql(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

/** `sha256:<hex>` over the normalised up and down files, so a CRLF checkout keeps the same sums. */
export function migrationChecksum(up: string, down: string): string {
  const hash = createHash('sha256');
  hash.update(normaliseSql(up));
  hash.update('\n-- codeidx:down --\n');
  hash.update(normaliseSql(down));
  return `sha256:${hash.digest('hex')}`;
}

function invalid(message: string, dir: string): CodeidxError {
  return new CodeidxError('MIGRATION_INVALID', message, {
    hint: `Fix the files in ${dir}: names are NNN_snake_name.up.sql and NNN_snake_name.down.sql, numbered 001 upwards without gaps.`,
  });
}

/**
 * Discovers and validates the migrations in `dir`: strict file names, no duplicate versions,
 * no gaps from 001, every up has a down and every down an up. Throws MIGRATION_INVALID naming
 * the offending file.
 */
export function loadMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  const byVersion = new Map<number, { name: string; up?: string; down?: string }>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE_NAME.exec(file);
    if (!m)
      throw invalid(`Migration file "${file}" does not follow NNN_snake_name.(up|down).sql.`, dir);
    const version = Number(m[1]);
    const name = m[2]!;
    const direction = m[3] as 'up' | 'down';
    if (version === 0) throw invalid(`Migration "${file}": versions start at 001.`, dir);
    const entry = byVersion.get(version) ?? { name };
    if (entry.name !== name) {
      throw invalid(`Duplicate migration version ${m[1]}: "${entry.name}" and "${name}".`, dir);
    }
    entry[direction] = readFileSync(join(dir, file), 'utf8');
    byVersion.set(version, entry);
  }
  const versions = [...byVersion.keys()].sort((a, b) => a - b);
  return versions.map((version, index) => {
    const entry = byVersion.get(version)!;
    const label = `${String(version).padStart(3, '0')}_${entry.name}`;
    if (version !== index + 1) {
      throw invalid(
        `Migration ${String(index + 1).padStart(3, '0')} is missing (found ${label} after it).`,
        dir,
      );
    }
    if (entry.up === undefined) throw invalid(`Migration ${label} has no .up.sql file.`, dir);
    if (entry.down === undefined) throw invalid(`Migration ${label} has no .down.sql file.`, dir);
    const up = normaliseSql(entry.up);
    const down = normaliseSql(entry.down);
    const firstComment = /^--\s*(.+)$/m.exec(up.split('\n')[0] ?? '');
    return {
      version,
      name: entry.name,
      description: firstComment ? firstComment[1]!.trim() : entry.name.replace(/_/g, ' '),
      up,
      down,
      checksum: migrationChecksum(up, down),
    };
  });
}

/** A piece of a migration file: plain SQL run as is, or one statement repeated until it changes nothing. */
export type SqlChunk =
  { kind: 'sql'; sql: string } | { kind: 'repeat'; sql: string; totalSql: string };

/**
 * Splits a migration's SQL at `-- codeidx:repeat total: <scalar query>` ... `-- codeidx:end`
 * blocks. A repeat block holds one statement that the manager runs until it changes no rows,
 * reporting progress against the total; it lets a long population show batches and be cancelled.
 */
export function parseChunks(sql: string): SqlChunk[] {
  const chunks: SqlChunk[] = [];
  let plain: string[] = [];
  let repeat: { totalSql: string; lines: string[] } | undefined;
  const flush = (): void => {
    const text = plain.join('\n');
    if (text.trim()) chunks.push({ kind: 'sql', sql: text });
    plain = [];
  };
  for (const line of sql.split('\n')) {
    const directive = /^--\s*codeidx:(\w+)\s*(.*)$/.exec(line.trim());
    if (directive?.[1] === 'repeat') {
      const total = /^total:\s*(.+)$/.exec(directive[2]!.trim());
      if (!total || repeat)
        throw new CodeidxError('MIGRATION_INVALID', `Bad directive: ${line.trim()}`);
      flush();
      repeat = { totalSql: total[1]!, lines: [] };
    } else if (directive?.[1] === 'end') {
      if (!repeat)
        throw new CodeidxError('MIGRATION_INVALID', '`-- codeidx:end` without a repeat block.');
      chunks.push({
        kind: 'repeat',
        sql: repeat.lines.join('\n').trim(),
        totalSql: repeat.totalSql,
      });
      repeat = undefined;
    } else if (directive) {
      throw new CodeidxError('MIGRATION_INVALID', `Unknown directive: ${line.trim()}`);
    } else {
      (repeat ? repeat.lines : plain).push(line);
    }
  }
  if (repeat)
    throw new CodeidxError(
      'MIGRATION_INVALID',
      'A `-- codeidx:repeat` block has no `-- codeidx:end`.',
    );
  flush();
  return chunks;
}
