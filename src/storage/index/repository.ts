import type { Statement } from 'better-sqlite3';
import { basename, extname } from 'node:path';
import type { Connection } from '../database/connection.ts';
import { toCodeidxError } from '../errors.ts';
import { indexFilesSql } from './fts.ts';
import { immediateTransaction, writeTransaction } from '../database/lock.ts';
import { validateRecord, type ValidRecord } from './records.ts';
import type { Logger } from '../log.ts';
import { buildMatchQuery } from './search.ts';
import { SymbolSearch, symbolTermsWriter } from './symbols.ts';
import type {
  DefinitionRow,
  DefinitionType,
  FileRecordInput,
  FileRow,
  SearchOptions,
  SearchResult,
  SymbolMatch,
  UpsertResult,
} from '../types.ts';

/**
 * bm25 weights of the index columns, in order: filename, path, definitions, imports,
 * docstrings, tags. A file's own name and the names it defines say most about it; paths and
 * tags less; imports and prose least, since many files share them.
 */
export const COLUMN_WEIGHTS = [10, 2, 6, 1, 1, 3] as const;

/** Added to the score of files that define exactly the searched name, so they rank first even
 * when the name is so common that bm25 gives it almost no weight. */
const EXACT_NAME_BOOST = 1000;

/** A search result's score: bm25 (negated, higher is better) plus the exact-name boost. */
const SCORE = `-bm25(search_index, ${COLUMN_WEIGHTS.join(', ')})
  + CASE WHEN search_index.rowid IN (SELECT file_id FROM definitions WHERE name = @exact COLLATE NOCASE)
         THEN ${EXACT_NAME_BOOST} ELSE 0 END`;

export interface WriteOutcome extends UpsertResult {
  /** The file existed before (its index row must be replaced). */
  existed: boolean;
}

/**
 * Writes one validated record: the file row and all its children. The caller owns the
 * transaction. Prepared once per connection.
 */
export class FileWriter {
  private readonly find: Statement<[string], { id: number; hash: string } | undefined>;
  private readonly insertFile: Statement;
  private readonly updateFile: Statement;
  private readonly clear: Statement[];
  private readonly insertDefinition: Statement;
  private readonly insertImport: Statement;
  private readonly insertSymbol: Statement;
  private readonly insertTag: Statement;

  constructor(db: Connection) {
    this.find = db.prepare('SELECT id, hash FROM files WHERE path = ?');
    this.insertFile = db.prepare(
      `INSERT INTO files (path, filename, extension, size, last_modified, hash, language, indexed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateFile = db.prepare(
      `UPDATE files SET size = ?, last_modified = ?, hash = ?, language = ?, indexed_at = ?
       WHERE id = ?`,
    );
    this.clear = ['definitions', 'imports', 'symbols', 'file_tags'].map((t) =>
      db.prepare(`DELETE FROM ${t} WHERE file_id = ?`),
    );
    this.insertDefinition = db.prepare(
      `INSERT INTO definitions (file_id, name, type, line, "column", exported, docstring, decorators, signature)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertImport = db.prepare(
      'INSERT INTO imports (file_id, module, type, names, line) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertSymbol = db.prepare(
      'INSERT INTO symbols (file_id, name, kind, scope, line, "column") VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.insertTag = db.prepare('INSERT INTO file_tags (file_id, tag, weight) VALUES (?, ?, ?)');
  }

  /** Writes `r` unless the stored hash is the same (`force`: even then). Must run inside a transaction. */
  write(r: ValidRecord, indexedAt: number, force = false): WriteOutcome {
    const existing = this.find.get(r.path);
    if (existing && existing.hash === r.hash && !force)
      return { fileId: existing.id, changed: false, existed: true };
    // Whole milliseconds (files.last_modified is a STRICT INTEGER; fs.stat's mtimeMs has fractions).
    const lastModified = Math.trunc(r.lastModified);
    let fileId: number;
    if (existing) {
      fileId = existing.id;
      this.updateFile.run(r.size, lastModified, r.hash, r.language, indexedAt, fileId);
      for (const s of this.clear) s.run(fileId);
    } else {
      const filename = basename(r.path);
      const extension = extname(filename);
      const { size, hash, language } = r;
      fileId = Number(
        this.insertFile.run(
          r.path,
          filename,
          extension,
          size,
          lastModified,
          hash,
          language,
          indexedAt,
        ).lastInsertRowid,
      );
    }
    for (const d of r.definitions ?? []) {
      this.insertDefinition.run(
        fileId,
        d.name,
        d.type,
        d.line,
        d.column,
        d.exported ? 1 : 0,
        d.docstring ?? null,
        d.decorators ? JSON.stringify(d.decorators) : null,
        d.signature ?? null,
      );
    }
    for (const m of r.imports ?? []) {
      this.insertImport.run(
        fileId,
        m.module,
        m.type,
        m.names ? JSON.stringify(m.names) : null,
        m.line ?? null,
      );
    }
    for (const s of r.symbols ?? [])
      this.insertSymbol.run(fileId, s.name, s.kind, s.scope ?? null, s.line, s.column);
    for (const t of r.tags ?? []) this.insertTag.run(fileId, t.tag, t.weight);
    return { fileId, changed: true, existed: existing !== undefined };
  }
}

interface RawDefinition {
  id: number;
  fileId: number;
  path: string;
  name: string;
  type: DefinitionType;
  line: number;
  column: number;
  exported: number;
  docstring: string | null;
  signature: string | null;
  decorators: string | null;
}

/**
 * Files, definitions, imports, symbols and tags of one database, and search over them. Writes
 * go through the tables; the sync triggers keep the full-text index in step.
 */
export class Repository {
  private readonly db: Connection;
  private readonly writer: FileWriter;
  private symbolSearch: SymbolSearch | undefined;
  private readonly statements: {
    remove: Statement;
    get: Statement;
    exact: Statement;
    prefix: Statement;
    searchTop: Statement;
    searchAll: Statement;
    searchRow: Statement;
    stats: Statement;
    list: Statement;
    touch: Statement;
    indexRows: Statement;
    unindex: Statement;
  };

  constructor(db: Connection) {
    this.db = db;
    this.writer = new FileWriter(db);
    const definitionColumns = `d.id, d.file_id AS fileId, f.path, d.name, d.type, d.line, d."column" AS "column",
      d.exported, d.docstring, d.signature, d.decorators`;
    this.statements = {
      remove: db.prepare('DELETE FROM files WHERE path = ?'),
      get: db.prepare(
        `SELECT id, path, filename, extension, size, last_modified AS lastModified, hash, language,
           indexed_at AS indexedAt FROM files WHERE path = ?`,
      ),
      // The order of definitions_name_lookup (name, exported first, file, line): the index is
      // read in order and stops at the limit. Ordering by path read every match's file row
      // first (a name defined in 4,000 files: p99 50 ms on cold pages at 100,000 files).
      exact: db.prepare(
        `SELECT ${definitionColumns} FROM definitions d JOIN files f ON f.id = d.file_id
         WHERE d.name = ? COLLATE NOCASE
         ORDER BY d.name COLLATE NOCASE, d.exported DESC, d.file_id, d.line LIMIT ?`,
      ),
      prefix: db.prepare(
        `SELECT ${definitionColumns} FROM definitions d JOIN files f ON f.id = d.file_id
         WHERE d.name >= ? COLLATE NOCASE AND d.name < ? COLLATE NOCASE
         ORDER BY d.name COLLATE NOCASE, d.exported DESC, d.file_id, d.line LIMIT ?`,
      ),
      list: db.prepare(
        'SELECT path, size, last_modified AS lastModified, hash FROM files ORDER BY path',
      ),
      touch: db.prepare('UPDATE files SET size = ?, last_modified = ? WHERE path = ?'),
      indexRows: db.prepare(indexFilesSql()),
      unindex: db.prepare(
        'DELETE FROM search_index WHERE rowid IN (SELECT value FROM json_each(?))',
      ),
      stats: db.prepare(
        `SELECT (SELECT count(*) FROM files) AS files,
           (SELECT count(*) FROM definitions) AS definitions,
           (SELECT count(*) FROM imports) AS imports,
           (SELECT count(*) FROM symbols) AS symbols,
           (SELECT count(*) FROM file_tags) AS tags`,
      ),
      // Search runs in phases (see search()): the best limit + 1 rows by score alone, the
      // snippets of the rows shown, and only on a tie at the cut the full ranking by score and
      // path. The score expression is the same text in both rankings, so equal rows score equal.
      searchTop: db.prepare(
        `SELECT rowid AS id, ${SCORE} AS score FROM search_index
         WHERE search_index MATCH @match ORDER BY score DESC LIMIT @limit`,
      ),
      searchAll: db.prepare(
        `SELECT search_index.rowid AS id, ${SCORE} AS score FROM search_index
           JOIN files f ON f.id = search_index.rowid
         WHERE search_index MATCH @match ORDER BY score DESC, f.path LIMIT @limit`,
      ),
      // CAST: better-sqlite3 binds a JS number as REAL, and FTS5 ignores a REAL rowid constraint
      // (it would return every match, so the snippet of another file).
      searchRow: db.prepare(
        `SELECT f.path AS path, f.language AS language,
           snippet(search_index, -1, '[', ']', '…', 12) AS snippet
         FROM search_index JOIN files f ON f.id = search_index.rowid
         WHERE search_index MATCH @match AND search_index.rowid = CAST(@id AS INTEGER)`,
      ),
    };
  }

  /**
   * Stores a file with all its definitions, imports, symbols and tags in one transaction,
   * replacing what was stored for that path. Waits for another writer up to the busy timeout. An unchanged file (same hash) costs one lookup.
   * A record without `hash` gets the SHA-256 of its canonical JSON (the validated record, keys in
   * a fixed order, optional fields as null), so re-sending the same record is also a no-op.
   * Throws IMPORT_INVALID naming the bad field.
   */
  upsertFile(record: FileRecordInput): UpsertResult {
    const valid = validateRecord(record);
    try {
      // BEGIN IMMEDIATE: the lookup before the write must not hold a read lock that cannot upgrade.
      const { fileId, changed } = immediateTransaction(this.db, () =>
        this.writer.write(valid, Date.now()),
      );
      return { fileId, changed };
    } catch (err) {
      throw toCodeidxError(err, `Cannot store ${record.path}`);
    }
  }

  /**
   * Stores many validated records in one write transaction (waiting and retrying for the lock):
   * the bulk path of an indexer. The sync triggers are dropped and re-created inside the
   * transaction, and each written file's index row is written once from `search_documents`, so
   * the full-text index is exact at the commit and no other connection sees the triggers
   * missing. `force` rewrites files whose hash is unchanged (a re-extraction with new rules).
   * Returns the files written and left unchanged; the whole batch rolls back on any error.
   */
  async writeFiles(
    records: readonly ValidRecord[],
    options: { force?: boolean; logger?: Logger } = {},
  ): Promise<{ written: number; unchanged: number }> {
    if (records.length === 0) return { written: 0, unchanged: 0 };
    const db = this.db;
    return writeTransaction(
      db,
      () => {
        const triggers = db
          .prepare(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'search\\_sync\\_%' ESCAPE '\\'",
          )
          .all() as { name: string; sql: string }[];
        for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
        const now = Date.now();
        const changed: number[] = [];
        const replaced: number[] = [];
        for (const r of records) {
          const outcome = this.writer.write(r, now, options.force);
          if (!outcome.changed) continue;
          changed.push(outcome.fileId);
          if (outcome.existed) replaced.push(outcome.fileId);
        }
        if (replaced.length) this.statements.unindex.run(JSON.stringify(replaced));
        if (changed.length) {
          this.statements.indexRows.run(JSON.stringify(changed));
          // Dropped with the others: symbol_terms' insert trigger is a search_sync_ one.
          symbolTermsWriter(db)(JSON.stringify(changed));
        }
        for (const t of triggers) db.exec(t.sql);
        return { written: changed.length, unchanged: records.length - changed.length };
      },
      options.logger ? { logger: options.logger } : {},
    );
  }

  /**
   * Records a new size and mtime for files whose content did not change (a `touch`, a branch
   * switch and back), so an incremental indexer does not read them again. The full-text sync
   * triggers watch id, filename and path only, so the index is untouched.
   */
  touchFiles(files: readonly { path: string; size: number; lastModified: number }[]): void {
    if (files.length === 0) return;
    immediateTransaction(this.db, () => {
      for (const f of files) this.statements.touch.run(f.size, Math.trunc(f.lastModified), f.path);
    });
  }

  /** Removes a file and everything recorded about it. Returns false when it was not stored. */
  removeFile(path: string): boolean {
    return this.statements.remove.run(path).changes > 0;
  }

  getFile(path: string): FileRow | undefined {
    return this.statements.get.get(path) as FileRow | undefined;
  }

  /** Every stored file's path, size, mtime and hash: what an incremental indexer compares against. */
  listFiles(): Pick<FileRow, 'path' | 'size' | 'lastModified' | 'hash'>[] {
    return this.statements.list.all() as Pick<FileRow, 'path' | 'size' | 'lastModified' | 'hash'>[];
  }

  /**
   * Definitions named `name` (case-insensitive), or starting with it when `prefix` is set; by
   * name, exported ones first, then in the order their files were first indexed, then line.
   */
  findDefinitions(
    name: string,
    options: { limit?: number; prefix?: boolean } = {},
  ): DefinitionRow[] {
    const limit = clampLimit(options.limit, 50);
    const rows = (
      options.prefix
        ? this.statements.prefix.all(name, `${name}\u{10FFFF}`, limit)
        : this.statements.exact.all(name, limit)
    ) as RawDefinition[];
    return rows.map((r) => ({
      ...r,
      exported: r.exported === 1,
      decorators: r.decorators ? (JSON.parse(r.decorators) as string[]) : null,
    }));
  }

  /**
   * Full-text search ranked by bm25 with COLUMN_WEIGHTS; files that define exactly the searched
   * name come first. Returns path, score (higher is better), a snippet and the language.
   */
  search(text: string, options: SearchOptions = {}): SearchResult[] {
    const { match, exactName } = buildMatchQuery(text);
    const limit = clampLimit(options.limit, 20);
    const params = { match, exact: exactName ?? null };
    const { searchTop, searchAll, searchRow } = this.statements;
    return this.db.transaction(() => {
      // Ranking by score alone spares a files lookup per match (about a third of the time for
      // a word in every file). Its first `limit` rows are the answer unless the row after them
      // ties with the last one: then only the path can order them, and the full ranking runs.
      let top = searchTop.all({ ...params, limit: limit + 1 }) as { id: number; score: number }[];
      if (top.length > limit && top[limit]!.score === top[limit - 1]!.score) {
        top = searchAll.all({ ...params, limit }) as { id: number; score: number }[];
      } else {
        top = top.slice(0, limit);
      }
      const results = top.map(({ id, score }) => ({
        ...(searchRow.get({ match, id }) as Omit<SearchResult, 'score'>),
        score,
      }));
      return results.sort((a, b) => b.score - a.score || compareText(a.path, b.path));
    })();
  }

  /**
   * Definitions matching `text` by exact name, prefix, camel humps or a word of the name, best
   * first (see symbols.ts). Throws INVALID_ARGUMENT for empty text.
   */
  searchSymbols(text: string, options: { limit?: number } = {}): SymbolMatch[] {
    this.symbolSearch ??= new SymbolSearch(this.db);
    return this.symbolSearch.search(text, options);
  }

  /** Row counts of the tables, in one read. */
  stats(): { files: number; definitions: number; imports: number; symbols: number; tags: number } {
    return this.statements.stats.get() as {
      files: number;
      definitions: number;
      imports: number;
      symbols: number;
      tags: number;
    };
  }
}

/** SQLite's default BINARY collation: byte order of the UTF-8 text. */
function compareText(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function clampLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1) return fallback;
  return Math.min(limit, 1000);
}
