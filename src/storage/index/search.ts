import { CodeidxError } from '../errors.ts';

/** At most this many words of a search reach the index; the rest are ignored. */
const MAX_TERMS = 16;
const MAX_TERM_LENGTH = 128;

export interface MatchQuery {
  /** An FTS5 MATCH expression built only from quoted strings, AND and prefix stars. */
  match: string;
  /** The text as one identifier, when it is one: files defining exactly that name rank first. */
  exactName: string | undefined;
}

/**
 * Turns user text into a safe FTS5 query. The text never reaches FTS5 as syntax: it is cut into
 * words (letters, digits, underscores), each word is quoted as an FTS5 string with a prefix star,
 * and the words are ANDed. `foo-bar`, a lone quote or `NEAR(` are just words or nothing.
 */
export function buildMatchQuery(text: string): MatchQuery {
  const words = (text.normalize('NFC').match(/[\p{L}\p{N}_]+/gu) ?? []).slice(0, MAX_TERMS);
  if (words.length === 0) {
    throw new CodeidxError(
      'INVALID_ARGUMENT',
      'The search text has no letters or digits to look for.',
      {
        hint: 'Search for a name, a word or a path, e.g. `http request`.',
      },
    );
  }
  // Quotes cannot occur inside a word, so no escaping is needed; a star makes each word a prefix.
  const match = words.map((w) => `"${w.slice(0, MAX_TERM_LENGTH)}"*`).join(' AND ');
  const trimmed = text.trim();
  const exactName = words.length === 1 && /^[\p{L}\p{N}_$]+$/u.test(trimmed) ? trimmed : undefined;
  return { match, exactName };
}
