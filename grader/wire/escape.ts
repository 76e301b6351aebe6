/**
 * Showing bytes to a human. Everything the grader prints about the wire goes through here, so the
 * learner sees `"HTTP/1.1 200 OK\n"` (with the bare LF visible) instead of a line break.
 */

const NAMED: Record<number, string> = { 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x22: '\\"', 0x5c: '\\\\' };

/** Is this whole buffer valid UTF-8? (Then we show characters, so Chinese text stays readable.) */
function isUtf8(buf: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

/**
 * Escapes bytes the way a JSON string would, but byte-exact: printable ASCII as is, CR/LF/TAB as
 * `\r \n \t`, other bytes as `\xNN`. Valid UTF-8 text keeps its characters. Returns the escaped
 * pieces one per byte (multi-byte characters on their first byte), so callers can line up a caret.
 */
export function escapePieces(buf: Buffer): string[] {
  const utf8 = isUtf8(buf);
  const out: string[] = [];
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (NAMED[b] !== undefined) out.push(NAMED[b]!);
    else if (b >= 0x20 && b < 0x7f) out.push(String.fromCharCode(b));
    else if (utf8 && b >= 0xc0) {
      const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      out.push(buf.subarray(i, i + len).toString('utf8'));
      for (let k = 1; k < len; k++) out.push('');
      i += len - 1;
    } else out.push('\\x' + b.toString(16).padStart(2, '0'));
  }
  return out;
}

/**
 * The first bytes of `buf` (at most `max`), escaped and quoted, and how many bytes that is. Never
 * cuts inside a UTF-8 character: half a character would turn the whole preview into \x codes.
 */
export function escapePreview(buf: Buffer, max = 160): { text: string; bytes: number } {
  let cut = Math.min(max, buf.length);
  if (cut < buf.length) while (cut > 0 && cut > max - 4 && (buf[cut]! & 0xc0) === 0x80) cut--;
  return { text: `"${escapePieces(buf.subarray(0, cut)).join('')}"`, bytes: cut };
}

/**
 * `"hi\r\n"`, truncated after `max` bytes with a count of the rest: `"GET / HT" … (+208 B)`. Checks
 * put this inside messages of every language, so the count is said in units, not words; a
 * transcript's previews are worded in the reader's language by the report (report/sections.ts).
 */
export function escapeBytes(data: Buffer | string, max = 160): string {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const { text, bytes } = escapePreview(buf, max);
  const rest = buf.length - bytes;
  return text + (rest > 0 ? ` … (+${rest} B)` : '');
}

/**
 * The escaped bytes around `offset`, with a caret line under the byte at `offset`:
 *
 *   "HTTP/1.1 200 OK\nContent-Type: text/html"
 *                   ^
 */
export function caretAt(data: Buffer, offset: number, before = 40, after = 24): { line: string; caret: string } {
  const start = Math.max(0, offset - before);
  const end = Math.min(data.length, offset + after);
  const pieces = escapePieces(data.subarray(start, end));
  const prefix = (start > 0 ? '…' : '') + '"';
  let col = prefix.length;
  for (let i = 0; i < offset - start && i < pieces.length; i++) col += displayWidth(pieces[i]!);
  const line = prefix + pieces.join('') + '"' + (end < data.length ? '…' : '');
  return { line, caret: ' '.repeat(col) + '^' };
}

/** Terminal columns a string takes: CJK characters are two columns wide. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    w += (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd) ? 2 : 1;
  }
  return w;
}

/** Index of the first byte where `a` and `b` differ, or -1 when they are equal. */
export function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function hexRow(buf: Buffer, start: number, end: number, mark: number): string {
  const cells: string[] = [];
  for (let i = start; i < end; i++) {
    const cell = i < buf.length ? buf[i]!.toString(16).padStart(2, '0') : '  ';
    cells.push(i === mark ? `[${cell}]` : ` ${cell} `);
  }
  return cells.join('').trimEnd();
}

/** Where two byte strings first differ; hex rows are language-free, a report words the rest. */
export interface ByteDiff {
  expectedLength: number;
  receivedLength: number;
  /** The first offset where they differ (the shorter one's length when one is a prefix of the other). */
  offset: number;
  /** The offset of the first byte in the rows. */
  windowStart: number;
  /** Hex bytes from `windowStart`, the one at `offset` in brackets: ` 28  7a [fa] af`. */
  expectedRow: string;
  receivedRow: string;
  /** This side has no byte at `offset`: it ended there. */
  expectedEnds: boolean;
  receivedEnds: boolean;
}

/**
 * How `actual` differs from `expected`, as facts a report words in the reader's language: both
 * lengths, the first differing offset, and a hex window of both around it, the differing byte in
 * brackets. Undefined when they are equal.
 */
export function byteDiff(expected: Buffer, actual: Buffer): ByteDiff | undefined {
  const at = firstDifference(expected, actual);
  if (at < 0) return undefined;
  const start = Math.max(0, at - 4);
  const end = start + 12;
  const row = (buf: Buffer): string => (buf.length > at ? hexRow(buf, start, Math.min(end, buf.length), at) : hexRow(buf, start, buf.length, -1));
  return {
    expectedLength: expected.length,
    receivedLength: actual.length,
    offset: at,
    windowStart: start,
    expectedRow: row(expected),
    receivedRow: row(actual),
    expectedEnds: expected.length <= at,
    receivedEnds: actual.length <= at,
  };
}
