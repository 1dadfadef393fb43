/**
 * The read side of the index: files, definitions and full-text search, with their prepared
 * statements. `Repository` (repository.ts) adds the writes on top.
 */
import type { Statement } from 'better-sqlite3';
import type { Connection } from '../database/connection.ts';
import { clampLimit, searchOrder } from './rank.ts';
import { buildMatchQuery } from './search.ts';
import { SymbolSearch } from './symbols.ts';
import type {
  DefinitionRow,
  DefinitionType,
  FileRow,
  SearchOptions,
  SearchPart,
  SearchResult,
  SymbolMatch,
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

/** A search result's score: bm25, negated so that higher is better. */
const BM25 = `-bm25(search_index, ${COLUMN_WEIGHTS.join(', ')})`;

/** The score of a search for a name some file defines: bm25 plus the exact-name boost. */
const BOOSTED = `${BM25}
  + CASE WHEN search_index.rowid IN (SELECT file_id FROM definitions WHERE name = @exact COLLATE NOCASE)
         THEN ${EXACT_NAME_BOOST} ELSE 0 END`;

/** The file ids a search covers (all, unless it is one part of a split search). CAST: FTS5
 * ignores a REAL rowid bound, and better-sqlite3 binds a JS number as REAL. */
const RANGE = `search_index.rowid > CAST(@after AS INTEGER)
  AND search_index.rowid <= CAST(@upTo AS INTEGER)`;

/** Rows ranked past the limit, so that a group tied at the cut is seen whole (see search()). */
const TIE_WINDOW = 64;

interface Ranking {
  top: Statement;
  all: Statement;
}

interface Ranked {
  id: number;
  score: number;
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

/** Reads of one database's index. Prepared once per connection. */
export class IndexReads {
  protected readonly db: Connection;
  private symbolSearch: SymbolSearch | undefined;
  private readonly statements: {
    get: Statement;
    exact: Statement;
    prefix: Statement;
    defines: Statement;
    plain: Ranking;
    boosted: Ranking;
    searchRow: Statement;
    pathOf: Statement;
    lastFileId: Statement;
    stats: Statement;
    list: Statement;
  };

  constructor(db: Connection) {
    this.db = db;
    const definitionColumns = `d.id, d.file_id AS fileId, f.path, d.name, d.type, d.line, d."column" AS "column",
      d.exported, d.docstring, d.signature, d.decorators`;
    this.statements = {
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
      stats: db.prepare(
        `SELECT (SELECT count(*) FROM files) AS files,
           (SELECT count(*) FROM definitions) AS definitions,
           (SELECT count(*) FROM imports) AS imports,
           (SELECT count(*) FROM symbols) AS symbols,
           (SELECT count(*) FROM file_tags) AS tags`,
      ),
      // The boost is a lookup per match (10-25% of a search matching 20,000 of 100,000 files), so a
      // search ranks with it only when some file defines the name.
      defines: db
        .prepare('SELECT 1 FROM definitions WHERE name = ? COLLATE NOCASE LIMIT 1')
        .pluck(),
      plain: ranking(db, BM25),
      boosted: ranking(db, BOOSTED),
      pathOf: db.prepare('SELECT path FROM files WHERE id = ?').pluck(),
      lastFileId: db.prepare('SELECT coalesce(max(id), 0) FROM files').pluck(),
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
   * `after`/`upTo` limit it to files with ids in that range (see searchPart).
   */
  search(text: string, options: SearchOptions = {}): SearchResult[] {
    return this.db.transaction(() => this.rankAndShow(text, options))();
  }

  /**
   * One part of a search split by file id over several connections (the client's read pool):
   * the best results among files with ids in (`after`, `upTo`], scored as by search() since
   * bm25's statistics are the whole table's, and the highest file id, for choosing the next
   * split. rank.ts merges the parts.
   */
  searchPart(text: string, options: SearchOptions = {}): SearchPart {
    return this.db.transaction(() => ({
      results: this.rankAndShow(text, options),
      lastFileId: this.statements.lastFileId.get() as number,
    }))();
  }

  /** search() inside a transaction (one snapshot for the ranking and the snippets). */
  private rankAndShow(text: string, options: SearchOptions): SearchResult[] {
    const { match, exactName } = buildMatchQuery(text);
    const limit = clampLimit(options.limit, 20);
    const { searchRow, pathOf, defines } = this.statements;
    const boosted = exactName !== undefined && defines.get(exactName) !== undefined;
    const range = {
      after: options.after ?? Number.MIN_SAFE_INTEGER,
      upTo: options.upTo ?? Number.MAX_SAFE_INTEGER,
    };
    const params = boosted ? { match, ...range, exact: exactName } : { match, ...range };
    const { top: searchTop, all: searchAll } = boosted
      ? this.statements.boosted
      : this.statements.plain;
    // Ranking by score alone spares a files lookup per match (about half the time for a word in
    // every file). Ties at the cut are ordered by path: the window past the limit holds the
    // whole tied group unless it reaches the window's end, and only then does the full ranking
    // (scores, paths and a sort of every match) run.
    const ranked = searchTop.all({ ...params, limit: limit + TIE_WINDOW }) as Ranked[];
    let chosen: (Ranked & { path?: string })[];
    if (ranked.length <= limit) {
      chosen = ranked;
    } else {
      const cut = ranked[limit - 1]!.score;
      if (ranked.length === limit + TIE_WINDOW && ranked.at(-1)!.score === cut) {
        chosen = searchAll.all({ ...params, limit }) as Ranked[];
      } else {
        chosen = ranked
          .filter((r) => r.score >= cut)
          .map((r) => ({ ...r, path: r.score === cut ? (pathOf.get(r.id) as string) : '' }))
          .sort(searchOrder)
          .slice(0, limit);
      }
    }
    const results = chosen.map(({ id, score }) => ({
      ...(searchRow.get({ match, id }) as Omit<SearchResult, 'score'>),
      score,
    }));
    return results.sort(searchOrder);
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

/**
 * Search runs in phases (see search()): the best limit + TIE_WINDOW rows by score alone (`top`),
 * the paths of rows tied at the cut, the snippets of the rows shown, and only when the tie reaches
 * past the window the full ranking by score and path (`all`). The score expression is the same
 * text in both, so equal rows score equal.
 */
function ranking(db: Connection, score: string): Ranking {
  return {
    top: db.prepare(
      `SELECT rowid AS id, ${score} AS score FROM search_index
       WHERE search_index MATCH @match AND ${RANGE} ORDER BY score DESC LIMIT @limit`,
    ),
    all: db.prepare(
      `SELECT search_index.rowid AS id, ${score} AS score FROM search_index
         JOIN files f ON f.id = search_index.rowid
       WHERE search_index MATCH @match AND ${RANGE} ORDER BY score DESC, f.path LIMIT @limit`,
    ),
  };
}
