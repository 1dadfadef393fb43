import Database from 'better-sqlite3';
import type { Connection } from '../database/connection.ts';
import type { Migration } from '../types.ts';
import { parseChunks } from './loader.ts';

export interface SchemaObject {
  type: string;
  name: string;
  sql: string | null;
}

export interface SchemaDrift {
  version: number;
  /** Objects in the file that the applied migrations do not create (a planted trigger or view). */
  unexpected: SchemaObject[];
  /** Objects the migrations create that are gone. */
  missing: SchemaObject[];
  /** Objects whose SQL differs from what the migrations wrote. */
  changed: SchemaObject[];
}

const expectedCache = new Map<string, Map<string, SchemaObject>>();

/** SQLite's own objects (statistics, sequences, auto-indexes) are not part of what we compare. */
const READ_OBJECTS =
  "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";

function key(o: SchemaObject): string {
  return `${o.type}:${o.name}`;
}

/**
 * The objects that migrations 1..version create, found by running them on an in-memory database:
 * the migrations themselves are the definition, so nothing is written down twice.
 */
export function expectedSchema(
  migrations: readonly Migration[],
  version: number,
): Map<string, SchemaObject> {
  const applied = migrations.slice(0, version);
  const cacheKey = applied.map((m) => m.checksum).join(',');
  let objects = expectedCache.get(cacheKey);
  if (!objects) {
    const memory = new Database(':memory:');
    try {
      for (const migration of applied) {
        for (const chunk of parseChunks(migration.up)) memory.exec(chunk.sql);
      }
      objects = new Map(
        (memory.prepare(READ_OBJECTS).all() as SchemaObject[]).map((o) => [key(o), o]),
      );
    } finally {
      memory.close();
    }
    expectedCache.set(cacheKey, objects);
  }
  return objects;
}

/**
 * Compares the file's schema with what its applied migrations create. Version and objects are read
 * in one snapshot, so a migration running in another process cannot look like drift.
 * Returns undefined when they match, or when the version is one this build does not know.
 */
export function findSchemaDrift(
  db: Connection,
  migrations: readonly Migration[],
): SchemaDrift | undefined {
  const { version, actual } = db
    .transaction(() => ({
      version: Number(db.pragma('user_version', { simple: true })),
      actual: db.prepare(READ_OBJECTS).all() as SchemaObject[],
    }))
    .deferred();
  if (version > migrations.length) return undefined;
  const expected = expectedSchema(migrations, version);
  const seen = new Set<string>();
  const drift: SchemaDrift = { version, unexpected: [], missing: [], changed: [] };
  for (const object of actual) {
    const k = key(object);
    seen.add(k);
    const want = expected.get(k);
    if (!want) drift.unexpected.push(object);
    else if (want.sql !== object.sql) drift.changed.push(object);
  }
  for (const [k, object] of expected) if (!seen.has(k)) drift.missing.push(object);
  return drift.unexpected.length || drift.missing.length || drift.changed.length
    ? drift
    : undefined;
}

/** One line naming the drifted objects, for a health check or an error. */
export function describeDrift(drift: SchemaDrift): string {
  const parts: string[] = [];
  const names = (list: SchemaObject[]): string =>
    list.map((o) => `${o.type} "${o.name}"`).join(', ');
  if (drift.unexpected.length) parts.push(`unexpected ${names(drift.unexpected)}`);
  if (drift.changed.length) parts.push(`changed ${names(drift.changed)}`);
  if (drift.missing.length) parts.push(`missing ${names(drift.missing)}`);
  return `The schema differs from what migrations 1-${drift.version} create: ${parts.join('; ')}.`;
}
