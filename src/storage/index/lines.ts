/**
 * Reading import input line by line: a byte stream is split at LF/CRLF without decoding across
 * lines, and each line is checked on its own (length bound, UTF-8, a BOM on line 1), so one bad
 * line is reported by number and the rest still loads. `LineArena` holds a batch's line bytes.
 */
import { isUtf8 } from 'node:buffer';
import { formatCount } from '../text.ts';

/**
 * The longest line import reads, in bytes, not counting the line break. A longer line is reported
 * by its number and skipped without being held in memory. The README's "Import format" says so.
 */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * One input line: its text (from a byte stream, its bytes, already checked to be UTF-8: they are
 * decoded only when their batch is written, and until then stay outside V8's heap), or why it
 * cannot be read.
 */
export type Line = { number: number; text: string | Buffer } | { number: number; error: string };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MIB = 1024 * 1024;

function tooLong(bytes: number, max: number): string {
  const size = max >= MIB ? `${max / MIB} MiB` : `${max} bytes`;
  return `is longer than the limit of ${size} (${formatCount(bytes)} bytes); skipped`;
}

/** Checks one line's bytes (without its line break). */
function decodeLine(number: number, bytes: Buffer, max: number): Line {
  if (number === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    bytes = bytes.subarray(3); // a UTF-8 byte order mark
  }
  if (bytes.length > max) return { number, error: tooLong(bytes.length, max) };
  if (!isUtf8(bytes)) {
    return { number, error: 'is not valid UTF-8; skipped (save the input as UTF-8)' };
  }
  return { number, text: bytes };
}

/**
 * Splits a byte stream into lines (LF or CRLF) without decoding across them: each line is
 * checked for length and UTF-8 on its own, so one bad line is reported and the rest still load.
 * Memory holds one line, at most `max` bytes of it.
 */
async function* splitLines(
  input: AsyncIterable<Buffer | string>,
  max: number,
): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0; // bytes of the current line seen so far, kept or not
  let number = 0;
  let pending = false; // bytes after the last line break
  const finish = (): Line => {
    number++;
    let line: Line;
    if (size > max + 1) {
      line = { number, error: tooLong(size, max) };
    } else {
      let bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      if (bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
      line = decodeLine(number, bytes, max);
    }
    parts = [];
    size = 0;
    pending = false;
    return line;
  };
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      const end = nl === -1 ? buf.length : nl;
      if (end > start) {
        size += end - start;
        pending = true;
        // +1: a CR before the LF is not part of the line. Past that, keep counting, drop bytes.
        if (size <= max + 1) parts.push(buf.subarray(start, end));
        else parts = [];
      }
      if (nl === -1) break;
      yield finish();
      start = nl + 1;
    }
  }
  if (pending) yield finish();
}

/** Lines given one string each (tests, the worker): the same checks as for bytes. */
async function* checkLines(input: AsyncIterable<string>, max: number): AsyncGenerator<Line> {
  let number = 0;
  for await (let text of input) {
    number++;
    if (number === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > max) yield { number, error: tooLong(bytes, max) };
    else if (LONE_SURROGATE.test(text)) {
      yield { number, error: 'is not valid Unicode (a lone surrogate); skipped' };
    } else yield { number, text };
  }
}

export function readLines(
  input: AsyncIterable<string> | NodeJS.ReadableStream,
  max: number,
): AsyncGenerator<Line> {
  if ('pipe' in input && typeof input.pipe === 'function') {
    return splitLines(input as AsyncIterable<Buffer | string>, max);
  }
  return checkLines(input as AsyncIterable<string>, max);
}

/** A line of nothing but white space (skipped). Bytes: ASCII white space only, without decoding. */
export function isBlank(text: string | Buffer): boolean {
  if (typeof text === 'string') return text.trim() === '';
  for (const b of text) if (b !== 0x20 && (b < 0x09 || b > 0x0d)) return false;
  return true;
}

/**
 * The bytes of one batch's lines, copied into one buffer that is reused from batch to batch. The
 * stream's chunks then die young (a scavenge frees them); held until the batch is written, they
 * would reach V8's old generation and their memory would pile up outside the heap until the next
 * full collection (tens of MB on a fast pipe).
 */
export class LineArena {
  private buf = Buffer.allocUnsafe(MAX_BATCH_BYTES);
  used = 0;

  add(bytes: Buffer): { start: number; end: number } {
    if (this.used + bytes.length > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + bytes.length));
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
    const start = this.used;
    this.used += bytes.copy(this.buf, start);
    return { start, end: this.used };
  }

  text(start: number, end: number): string {
    return this.buf.toString('utf8', start, end);
  }

  /** Empties it for the next batch; a buffer grown by one huge line is given back. */
  reset(): void {
    this.used = 0;
    if (this.buf.length > 2 * MAX_BATCH_BYTES) this.buf = Buffer.allocUnsafe(MAX_BATCH_BYTES);
  }
}

/** A batch is written when it holds this many bytes of input, even before `batchSize` lines. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
