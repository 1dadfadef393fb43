import type { Statement } from 'better-sqlite3';
import type { Connection } from '../database/connection.ts';
import { CodeidxError } from '../errors.ts';
import type { DefinitionType, SymbolMatch } from '../types.ts';

/**
 * Definition-level symbol search over migration 004's `symbol_terms` and the covering name index.
 * A query matches in four tiers, best first: the exact name, a name prefix, camel humps (the
 * first letters of the name's words: `gRH` or `grh` find `getRequestHeader`), and a word of the
 * name (`request` finds `getRequestHeader` and `parse_http_request`). Case-insensitive (ASCII,
 * as SQLite's NOCASE). Within a tier: shorter names first, exported before not, then the order
 * the definitions were indexed. Exact names, exact humps and words read an index in that order
 * and stop at the limit; a prefix (of a name or of humps) ranks the first SCAN_CAP entries of its
 * range, so a one- or two-letter prefix stays fast at the cost of exactness.
 */

/** The highest limit a caller may ask for. */
export const MAX_SYMBOL_LIMIT = 1000;
const DEFAULT_LIMIT = 50;
/** Longer text is not an identifier anyone types; it is cut here. */
const MAX_TEXT = 256;
/** Humps given as words (`getReqH`) are checked in JS: each tier reads this many times more. */
const FILTER_FACTOR = 4;
/** A prefix ranks at most this many entries of its index range (under 1 ms). */
export const SCAN_CAP = 1000;

/** Match tiers, best first. */
const Tier = { Exact: 0, Prefix: 1, Humps: 2, Part: 3 } as const;
type Tier = (typeof Tier)[keyof typeof Tier];

interface Candidate {
  id: number;
  tier: Tier;
  rank: number;
}

interface Detail {
  id: number;
  name: string;
  kind: DefinitionType;
  path: string;
  line: number;
  column: number;
  exported: number;
  signature: string | null;
}

/** ASCII-only lowercasing, as SQLite's lower() and NOCASE: other letters stay as they are. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/**
 * The words of a name as migration 004's `symbol_words` view splits them: at `_ - . $ :` and
 * spaces, and, in names with a lowercase ASCII letter, before each ASCII capital.
 */
export function splitWords(name: string): string[] {
  let s = name.replace(/[_\-.$:]/g, ' ');
  if (/[a-z]/.test(name)) s = s.replace(/[A-Z]/g, (c) => ` ${c}`);
  return s.split(' ').filter((w) => w !== '');
}

/** The end of a prefix range: every text that starts with `prefix` sorts below it. */
function rangeEnd(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}

/** Does every query segment start the name's word at the same position? (`getReqH`) */
function humpsMatch(segments: string[], name: string): boolean {
  const words = splitWords(name).map(asciiLower);
  return segments.every((seg, i) => words[i]?.startsWith(seg) ?? false);
}

/** Prepared statements of one connection (needs schema version 4). */
export class SymbolSearch {
  private readonly exact: Statement;
  private readonly prefix: Statement;
  private readonly terms: Statement;
  private readonly termsPrefix: Statement;
  private readonly detail: Statement;
  private readonly nameOf: Statement;

  constructor(db: Connection) {
    // Index order of definitions_name_lookup: no sort, stops at the limit.
    this.exact = db.prepare(
      `SELECT id, length(name) * 2 + 1 - exported AS rank FROM definitions
       WHERE name = @text COLLATE NOCASE
       ORDER BY name COLLATE NOCASE, exported DESC, file_id, line LIMIT @limit`,
    );
    // The first SCAN_CAP entries of a range of the covering index, ranked (a top-k heap).
    this.prefix = db.prepare(
      `SELECT id, rank FROM (
         SELECT id, length(name) * 2 + 1 - exported AS rank FROM definitions
         WHERE name >= @text COLLATE NOCASE AND name < @end COLLATE NOCASE
           AND name <> @text COLLATE NOCASE LIMIT ${SCAN_CAP})
       ORDER BY rank, id LIMIT @limit`,
    );
    // Index order of symbol_terms_lookup (kind, term, rank): no sort.
    this.terms = db.prepare(
      `SELECT definition_id AS id, rank FROM symbol_terms
       WHERE kind = @kind AND term = @text ORDER BY rank, definition_id LIMIT @limit`,
    );
    this.termsPrefix = db.prepare(
      `SELECT id, rank FROM (
         SELECT definition_id AS id, rank FROM symbol_terms
         WHERE kind = @kind AND term > @text AND term < @end LIMIT ${SCAN_CAP})
       ORDER BY rank, id LIMIT @limit`,
    );
    this.nameOf = db.prepare('SELECT name FROM definitions WHERE id = ?').pluck();
    this.detail = db.prepare(
      `SELECT d.id, d.name, d.type AS kind, f.path, d.line, d."column" AS "column", d.exported,
         d.signature
       FROM definitions d JOIN files f ON f.id = d.file_id
       WHERE d.id IN (SELECT value FROM json_each(?))`,
    );
  }

  /** Definitions matching `text`, best first. Throws INVALID_ARGUMENT for empty text. */
  search(text: string, options: { limit?: number } = {}): SymbolMatch[] {
    const query = text.trim().slice(0, MAX_TEXT);
    if (query === '') {
      throw new CodeidxError('INVALID_ARGUMENT', 'The symbol search text is empty.', {
        hint: 'Type part of a name, e.g. `getRequest`, `gRH` or `request`.',
      });
    }
    const limit = clampLimit(options.limit);
    const found = new Map<number, Candidate>();
    const take = (tier: Tier, rows: { id: number; rank: number }[]): void => {
      for (const r of rows) {
        if (found.size >= limit) return;
        if (!found.has(r.id)) found.set(r.id, { id: r.id, tier, rank: r.rank });
      }
    };
    // Each tier reads `limit` rows: enough to fill the rest even if all found ones come again.
    const want = (): number => limit;
    take(Tier.Exact, this.rows(this.exact, { text: query, limit }));
    if (found.size < limit) {
      take(
        Tier.Prefix,
        this.rows(this.prefix, { text: query, end: rangeEnd(query), limit: want() }),
      );
    }
    const lower = asciiLower(query);
    const words = splitWords(query);
    if (found.size < limit && lower.length >= 2 && /^[\p{L}\p{N}]+$/u.test(query)) {
      // `gRH` or `getReqH`: the words' first letters; all-lowercase `grh`: each letter one word.
      const segments = words.length > 1 ? words.map(asciiLower) : Array.from(lower);
      const initials = segments.map((s) => s[0]!).join('');
      const filtered = segments.some((s) => s.length > 1);
      // Exact humps first (`grh`: getRequestHeader), then longer ones (getRequestHeaderValue).
      const params = {
        kind: 'h',
        text: initials,
        end: rangeEnd(initials),
        limit: filtered ? want() * FILTER_FACTOR : want(),
      };
      for (const statement of [this.terms, this.termsPrefix]) {
        if (found.size >= limit) break;
        const rows = this.rows(statement, params);
        take(Tier.Humps, filtered ? rows.filter((r) => this.humps(r.id, segments)) : rows);
      }
    }
    if (found.size < limit && words.length > 0) {
      // A whole word of the name; with several words, the longest (the rarest) is looked up and
      // every one must start a word of the name.
      const parts = words.map(asciiLower);
      const key = parts.filter((w) => w.length > 1).sort((a, b) => b.length - a.length)[0];
      if (key !== undefined) {
        const filtered = parts.length > 1;
        const rows = this.rows(this.terms, {
          kind: 'p',
          text: key,
          limit: filtered ? want() * FILTER_FACTOR : want(),
        });
        take(Tier.Part, filtered ? rows.filter((r) => this.allParts(r.id, parts)) : rows);
      }
    }
    const ordered = [...found.values()].sort(
      (a, b) => a.tier - b.tier || a.rank - b.rank || a.id - b.id,
    );
    const top = ordered.slice(0, limit);
    const details = new Map(
      (this.detail.all(JSON.stringify(top.map((c) => c.id))) as Detail[]).map((d) => [d.id, d]),
    );
    return top.map((c) => {
      const d = details.get(c.id)!;
      return {
        name: d.name,
        kind: d.kind,
        path: d.path,
        line: d.line,
        column: d.column,
        exported: d.exported === 1,
        signature: d.signature,
        // Higher is better: the tier first, then shorter and exported names.
        score: (4 - c.tier) * 10_000 - Math.min(c.rank, 9_999),
      };
    });
  }

  private rows(statement: Statement, params: Record<string, unknown>): Candidate[] {
    return statement.all(params) as Candidate[];
  }

  private name(id: number): string {
    return this.nameOf.get(id) as string;
  }

  private humps(id: number, segments: string[]): boolean {
    return humpsMatch(segments, this.name(id));
  }

  private allParts(id: number, parts: string[]): boolean {
    const words = splitWords(this.name(id)).map(asciiLower);
    return parts.every((p) => words.some((w) => w.startsWith(p)));
  }
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isInteger(limit) || limit < 1) return DEFAULT_LIMIT;
  return Math.min(limit, MAX_SYMBOL_LIMIT);
}

/** The length SQLite's length() gives: code points, not UTF-16 units. */
const codePoints = (text: string): number => Array.from(text).length;

/**
 * A definition's rows of `symbol_terms`, computed in JS exactly as migration 004's
 * `symbol_terms_source` view computes them in SQL (a test compares the two): [kind, term, rank].
 */
export function symbolTerms(name: string, exported: boolean): [string, string, number][] {
  const words = splitWords(name);
  const rank = codePoints(name) * 2 + (exported ? 0 : 1);
  const out: [string, string, number][] = [];
  if (words.length > 1) {
    out.push([
      'h',
      asciiLower(words.map((w) => String.fromCodePoint(w.codePointAt(0)!)).join('')),
      rank,
    ]);
  }
  const lowerName = asciiLower(name);
  const parts = new Set<string>();
  for (const w of words) {
    const part = asciiLower(w);
    if (codePoints(w) > 1 && !lowerName.startsWith(part)) parts.add(part);
  }
  for (const part of parts) out.push(['p', part, rank]);
  return out;
}

/**
 * Writes the symbol terms of the given files' definitions, for a writer that dropped the
 * `search_sync_*` triggers (the importer). Pass the file ids as a JSON array. The terms are
 * computed in JS (about 4x cheaper than the view) and written in one statement.
 */
export function symbolTermsWriter(db: Connection): (fileIdsJson: string) => void {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'symbol_terms'")
    .get();
  if (!exists) return () => undefined; // before migration 004 (the benchmark imports at 002)
  const definitions = db
    .prepare(
      `SELECT id, name, exported FROM definitions
       WHERE file_id IN (SELECT value FROM json_each(?))`,
    )
    .raw();
  const insert = db.prepare(
    `INSERT INTO symbol_terms (definition_id, kind, term, rank)
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)`,
  );
  return (files) => {
    // Written TERMS_PER_STATEMENT at a time: a whole batch's terms in one JSON text made megabytes
    // of short-lived strings and arrays that V8 promoted before they died (peak RSS of an import).
    let rows: [number, string, string, number][] = [];
    for (const [id, name, exported] of definitions.all(files) as [number, string, number][]) {
      for (const [kind, term, rank] of symbolTerms(name, exported === 1)) {
        rows.push([id, kind, term, rank]);
      }
      if (rows.length >= TERMS_PER_STATEMENT) {
        insert.run(JSON.stringify(rows));
        rows = [];
      }
    }
    if (rows.length) insert.run(JSON.stringify(rows));
  };
}

/** Symbol terms written by one statement of symbolTermsWriter. */
const TERMS_PER_STATEMENT = 1000;
