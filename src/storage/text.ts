// Text from the data (paths, names, messages that quote them) shown to a person.

/**
 * C0 controls (ESC, BEL, CR, LF, TAB...), DEL, C1 controls (including the one-byte CSI 0x9b),
 * and the invisible characters that reorder or break lines (bidi marks, embeddings, overrides
 * and isolates; the Unicode line and paragraph separators).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/**
 * `text` made safe to print on a terminal: every control character is written as a readable
 * escape (`\x1b`, `\x07`, `\u202e`), so data can never move the cursor, clear the screen, set the
 * window title or ring the bell. Everything else, including any other Unicode, is unchanged.
 * For human output only: JSON output keeps the exact text.
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0)!;
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Whether `text` holds a character that `printable` would escape. */
export function hasControlCharacters(text: string): boolean {
  return UNSAFE_ONE.test(text);
}

const UNSAFE_ONE = new RegExp(UNSAFE.source, 'u');

/**
 * `printable` for whole blocks of human output: escapes the same characters except the line
 * feeds that separate the lines and tabs (which lay text out, and cannot drive a terminal).
 * Apply `printable` to each value first, so a line feed inside a path or name cannot forge a
 * line of its own.
 */
export function printableLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.split('\t').map(printable).join('\t'))
    .join('\n');
}

/** A size as people read it, in binary units: `512 B`, `1.5 KiB`, `12.3 MiB`. The one format. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * A count with thousands separators, `12,345`, as `toLocaleString('en-US')` writes it. Written
 * here because the first `toLocaleString` loads ICU's locale data: about 6 MB of resident memory
 * in every process that prints a progress line.
 */
export function formatCount(n: number): string {
  const [whole, fraction] = String(n).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}
