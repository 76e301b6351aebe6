/**
 * HTTP/1.1 from the client's side, over a recorded `Conn`: build requests byte by byte, and read
 * responses the way RFC 9112 tells a client to — status line, header fields (names are
 * case-insensitive), then a body delimited by Content-Length (or chunked coding, or the close).
 * The body is never delimited by waiting for the server to close when it said how long it is, so a
 * server that keeps the connection open (keep-alive) reads the same as one that closes.
 *
 * Every wait is bounded and so is every buffer. Facts only: a response that breaks the message
 * syntax, stops part-way or never comes is returned as a problem — which rule, at which byte, how
 * the connection ended — and grader/expect/http.ts turns it into a verdict the learner can act on.
 */
import { type Conn, WireError } from './conn.ts';

// ─── Requests ────────────────────────────────────────────────────────────────────────────────────

export interface RequestInit {
  method?: string;
  /** The request-target exactly as sent: "/", "/a%20b.txt?x=1". Not encoded for you. */
  target: string;
  /** Default "HTTP/1.1". */
  version?: string;
  /** Sent in this order after Host (names as written). */
  headers?: readonly (readonly [string, string])[];
  /** Host header value; `false` leaves it out. Default "localhost". */
  host?: string | false;
  body?: Buffer | string;
}

/**
 * The bytes of a request: `GET / HTTP/1.1\r\nHost: localhost\r\n…\r\n\r\n`. Like curl, it sends
 * Host, User-Agent and Accept, and no `Connection: close` — servers may keep the connection open.
 * A body gets a Content-Length unless the headers already carry one.
 */
export function buildRequest(init: RequestInit): Buffer {
  const lines = [`${init.method ?? 'GET'} ${init.target} ${init.version ?? 'HTTP/1.1'}`];
  if (init.host !== false) lines.push(`Host: ${init.host ?? 'localhost'}`);
  const headers = init.headers ?? [
    ['User-Agent', 'socklab-grader'],
    ['Accept', '*/*'],
  ];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  const body = init.body === undefined ? undefined : Buffer.from(init.body);
  if (body && !headers.some(([n]) => n.toLowerCase() === 'content-length')) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body ?? Buffer.alloc(0)]);
}

/** "GET /a%20b.txt" — how a request is named in messages. */
export function requestName(init: RequestInit): string {
  return `${init.method ?? 'GET'} ${init.target}`;
}

/**
 * A node one-liner that writes `parts` with a pause between them, for exchanges that `printf | nc`
 * cannot reproduce (a request split into pieces, or dribbled slowly).
 */
export function reproduceInParts(parts: readonly Buffer[], pauseMs: number, port = 9000): string {
  if (parts.length > 2 && parts.every((p) => p.length === 1)) {
    const all = JSON.stringify(Buffer.concat(parts).toString('latin1')).replaceAll("'", '\\u0027');
    return (
      `node -e 'const s=require("net").connect(${port},"127.0.0.1",async()=>{for(const b of Buffer.from(${all},"latin1"))` +
      `{s.write(Buffer.from([b]));await new Promise(r=>setTimeout(r,${pauseMs}))}});s.pipe(process.stdout)'`
    );
  }
  const json = JSON.stringify(parts.map((p) => p.toString('latin1'))).replaceAll("'", '\\u0027');
  return (
    `node -e 'const s=require("net").connect(${port},"127.0.0.1",async()=>{for(const p of ${json})` +
    `{s.write(Buffer.from(p,"latin1"));await new Promise(r=>setTimeout(r,${pauseMs}))}});s.pipe(process.stdout)'`
  );
}

// ─── Responses ───────────────────────────────────────────────────────────────────────────────────

export interface HeaderField {
  name: string;
  value: string;
  /** Offset of the value's first byte in the response, for pointing at it. */
  valueOffset: number;
}

export interface HttpResponse {
  /** "HTTP/1.1" */
  version: string;
  status: number;
  reason: string;
  /** In the order received, names as sent. */
  fields: HeaderField[];
  /** A field's value, case-insensitive by name; repeated fields joined with ", " (RFC 9110 §5.3). */
  header(name: string): string | undefined;
  /** How the body's end was found. */
  framing: 'content-length' | 'chunked' | 'close' | 'none';
  /** The head bytes, up to and including the empty line. */
  head: Buffer;
  /** The body as the server meant it (chunked coding removed). */
  body: Buffer;
  /** Milliseconds from the start of the read until the first byte and until the end. */
  firstByteMs: number;
  totalMs: number;
}

export interface ReadOptions {
  /** Bound on the whole response, head and body. */
  timeoutMs: number;
  /** The request's method: responses to HEAD have no body. */
  method?: string;
  /** Most head bytes accepted before the server counts as flooding (default 64 KiB). */
  maxHeadBytes?: number;
  /** Most body bytes accepted (default 32 MiB). */
  maxBodyBytes?: number;
}

/** A line of the message, for saying where a bare CR or LF was found. */
export type HttpLine = 'status-line' | 'header-line' | 'head-end' | 'chunk-line';

/** Which rule of the head's syntax (RFC 9112 §4–5) the byte at the offset breaks. */
export type HeadRule =
  /** "http/1.1": the protocol name is case-sensitive. */
  | 'http-case'
  /** The first byte cannot start a status line. */
  | 'no-status-line'
  /** …and it looks like a body ("<" or "{"): the head was left out altogether. */
  | 'body-first'
  /** "HTTP/" goes wrong after its first byte. */
  | 'expected-http'
  /** Not HTTP/ digit . digit. */
  | 'version'
  | 'space-after-version'
  | 'status-code'
  | 'space-after-status'
  | 'reason-control'
  /** A header line starting with a space or tab (obsolete line folding). */
  | 'obs-fold'
  | 'name-space'
  | 'no-colon'
  | 'name-byte'
  | 'empty-name'
  | 'nul-in-value'
  /** A LF without the CR before it, at the end of `line`. */
  | 'bare-lf'
  /** A CR not followed by LF, in `line`. */
  | 'bare-cr';

/** Parsing outcome of the bytes received so far. */
export type HeadScan =
  | { state: 'incomplete' }
  | { state: 'error'; offset: number; rule: HeadRule; line?: HttpLine }
  | { state: 'complete'; length: number; version: string; status: number; reason: string; fields: HeaderField[] };

/**
 * Why no response could be read. Each says what went wrong, where (`offset` into `data`) when a
 * byte is to blame, and how the connection ended (`ending`) when it ended or went quiet too soon.
 */
export type ResponseProblem =
  /** The head breaks the message syntax at `offset` of `data` (the bytes received so far). */
  | { problem: 'malformed-head'; data: Buffer; offset: number; rule: HeadRule; line?: HttpLine }
  /** `received` bytes arrived and the head had still not ended. */
  | { problem: 'head-too-long'; received: number }
  /** The connection ended, or went quiet, before the head was complete; `data` is what came. */
  | { problem: 'head-cut-short'; data: Buffer; ending: WireError }
  /** A Content-Length value (`value`, in the head `data`) is not a number; `offset` is its first bad byte. */
  | { problem: 'content-length-not-a-number'; data: Buffer; offset: number; value: string }
  /** Content-Length values that disagree; `offset` is where the second one starts in the head `data`. */
  | { problem: 'content-length-conflict'; data: Buffer; offset: number; values: string[] }
  /** A Content-Length or close-delimited body over `limit` bytes. */
  | { problem: 'body-too-large'; limit: number }
  /** Content-Length announced `announced` body bytes; `received` came before `ending`. */
  | { problem: 'body-cut-short'; announced: number; received: number; ending: WireError }
  /** No length was given, and instead of closing the connection the server ended it otherwise or went quiet. */
  | { problem: 'body-never-ended'; received: number; ending: WireError }
  /** A chunked body stopped before its last chunk. */
  | { problem: 'chunked-cut-short'; ending: WireError }
  /** A chunked body breaks its syntax at `offset` of `data`. */
  | { problem: 'chunked-malformed'; data: Buffer; offset: number; rule: 'bare-lf' | 'chunk-size' | 'chunk-crlf' }
  /** A chunked body over `limit` bytes. */
  | { problem: 'chunked-too-large'; limit: number };

export type ResponseRead = { ok: true; response: HttpResponse } | { ok: false; problem: ResponseProblem };

const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
// tchar (RFC 9110 §5.6.2): the characters a header name may use.
const TCHAR = new Set([...`!#$%&'*+-.^_\`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz`].map((c) => c.charCodeAt(0)));

const CR = 0x0d;
const LF = 0x0a;

/** Where the line starting at `from` ends: index of its CR (followed by LF), or an error at a bad CR/LF. */
function lineEnd(buf: Buffer, from: number): { end: number } | { bad: number; bareLf: boolean } | undefined {
  for (let i = from; i < buf.length; i++) {
    if (buf[i] === LF) return { bad: i, bareLf: true };
    if (buf[i] === CR) {
      if (i + 1 >= buf.length) return undefined; // CR is the last byte so far: wait for its LF
      return buf[i + 1] === LF ? { end: i } : { bad: i, bareLf: false };
    }
  }
  return undefined;
}

/**
 * Scans a response head as far as the bytes go. Errors are found as early as possible — a body sent
 * without a status line is caught at its first byte, without waiting for more.
 */
export function scanResponseHead(buf: Buffer): HeadScan {
  const err = (offset: number, rule: HeadRule, line?: HttpLine): HeadScan => (line ? { state: 'error', offset, rule, line } : { state: 'error', offset, rule });
  const badEnd = (bad: { bad: number; bareLf: boolean }, line: HttpLine): HeadScan => err(bad.bad, bad.bareLf ? 'bare-lf' : 'bare-cr', line);
  // Status line: HTTP-version SP status-code SP [reason-phrase] CRLF  (RFC 9112 §4)
  const proto = 'HTTP/';
  for (let i = 0; i < proto.length && i < buf.length; i++) {
    if (buf[i] === proto.charCodeAt(i)) continue;
    const upper = buf.subarray(0, proto.length).toString('latin1').toUpperCase();
    if (upper.startsWith(proto.slice(0, Math.min(buf.length, proto.length)))) return err(i, 'http-case');
    if (i > 0) return err(i, 'expected-http');
    const looksLikeBody = buf[0] === 0x3c /* < */ || buf[0] === 0x7b /* { */;
    return err(0, looksLikeBody ? 'body-first' : 'no-status-line');
  }
  if (buf.length < 8) return { state: 'incomplete' };
  if (!isDigit(buf[5]!) || buf[6] !== 0x2e || !isDigit(buf[7]!)) {
    const at = !isDigit(buf[5]!) ? 5 : buf[6] !== 0x2e ? 6 : 7;
    return err(at, 'version');
  }
  if (buf.length < 9) return { state: 'incomplete' };
  if (buf[8] !== 0x20) return err(8, 'space-after-version');
  for (let i = 9; i < 12; i++) {
    if (i >= buf.length) return { state: 'incomplete' };
    if (!isDigit(buf[i]!)) return err(i, 'status-code');
  }
  if (buf.length < 13) return { state: 'incomplete' };
  // A reason phrase follows a space. (A bare "HTTP/1.1 200\r\n" breaks the grammar, but every client
  // accepts it and the reason phrase means nothing to them, so we don't fail a server for it.)
  if (buf[12] !== 0x20 && buf[12] !== CR) {
    if (buf[12] === LF) return err(12, 'bare-lf', 'status-line');
    return err(12, 'space-after-status');
  }
  const statusEnd = lineEnd(buf, 12);
  if (!statusEnd) return { state: 'incomplete' };
  if ('bad' in statusEnd) return badEnd(statusEnd, 'status-line');
  for (let i = 13; i < statusEnd.end; i++) {
    const b = buf[i]!;
    if (b < 0x20 && b !== 0x09) return err(i, 'reason-control');
  }
  const version = buf.subarray(0, 8).toString('latin1');
  const status = Number(buf.subarray(9, 12).toString('latin1'));
  const reason = buf.subarray(13, statusEnd.end).toString('latin1');

  // Header fields: field-name ":" OWS field-value OWS CRLF, until an empty line  (RFC 9112 §5)
  const fields: HeaderField[] = [];
  let pos = statusEnd.end + 2;
  for (;;) {
    if (pos >= buf.length) return { state: 'incomplete' };
    if (buf[pos] === CR) {
      if (pos + 1 >= buf.length) return { state: 'incomplete' };
      if (buf[pos + 1] !== LF) return err(pos, 'bare-cr', 'head-end');
      return { state: 'complete', length: pos + 2, version, status, reason, fields };
    }
    if (buf[pos] === LF) return err(pos, 'bare-lf', 'head-end');
    if (buf[pos] === 0x20 || buf[pos] === 0x09) return err(pos, 'obs-fold');
    let colon = -1;
    for (let i = pos; i < buf.length; i++) {
      const b = buf[i]!;
      if (b === 0x3a) {
        colon = i;
        break;
      }
      if (TCHAR.has(b)) continue;
      if (b === 0x20 || b === 0x09) return err(i, 'name-space');
      if (b === CR || b === LF) {
        if (b === CR && i + 1 >= buf.length) return { state: 'incomplete' };
        return err(i, 'no-colon');
      }
      return err(i, 'name-byte');
    }
    if (colon < 0) return { state: 'incomplete' };
    if (colon === pos) return err(pos, 'empty-name');
    const end = lineEnd(buf, colon + 1);
    if (!end) {
      for (let i = colon + 1; i < buf.length; i++) if (buf[i] === 0) return err(i, 'nul-in-value');
      return { state: 'incomplete' };
    }
    if ('bad' in end) return badEnd(end, 'header-line');
    let vStart = colon + 1;
    let vEnd = end.end;
    while (vStart < vEnd && (buf[vStart] === 0x20 || buf[vStart] === 0x09)) vStart++;
    while (vEnd > vStart && (buf[vEnd - 1] === 0x20 || buf[vEnd - 1] === 0x09)) vEnd--;
    for (let i = vStart; i < vEnd; i++) if (buf[i] === 0) return err(i, 'nul-in-value');
    fields.push({ name: buf.subarray(pos, colon).toString('latin1'), value: buf.subarray(vStart, vEnd).toString('latin1'), valueOffset: vStart });
    pos = end.end + 2;
  }
}

/** Bytes received but not yet part of a response, per connection (for the next response on it). */
const leftovers = new WeakMap<Conn, Buffer>();

/** Unwinds the reader from wherever it found a problem (inside chunk parsing, say) to its caller. */
class Stop {
  constructor(readonly problem: ResponseProblem) {}
}
const stop = (problem: ResponseProblem): never => {
  throw new Stop(problem);
};

/**
 * Reads one response from `conn`: the parsed response, or the problem that kept it from being one
 * (malformed, never arriving, stopping part-way, too large). Judging the problem is the caller's.
 */
export async function receiveResponse(conn: Conn, opts: ReadOptions): Promise<ResponseRead> {
  try {
    return { ok: true, response: await receive(conn, opts) };
  } catch (err) {
    if (err instanceof Stop) return { ok: false, problem: err.problem };
    throw err;
  }
}

async function receive(conn: Conn, opts: ReadOptions): Promise<HttpResponse> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const maxHead = opts.maxHeadBytes ?? 64 * 1024;
  const maxBody = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  let buf = leftovers.get(conn) ?? Buffer.alloc(0);
  leftovers.delete(conn);
  let firstByteMs = buf.length > 0 ? 0 : -1;

  /** More bytes, at least one, or a WireError when the connection ends or time runs out. */
  const pull = async (): Promise<Buffer> => {
    const first = conn.buffered > 0 ? Buffer.alloc(0) : await conn.read(1, Math.max(0, deadline - Date.now()));
    const rest = conn.buffered > 0 ? await conn.read(conn.buffered, 0) : Buffer.alloc(0);
    if (firstByteMs < 0) firstByteMs = Date.now() - started;
    return Buffer.concat([first, rest]);
  };

  // The head.
  let scan: HeadScan;
  for (;;) {
    scan = scanResponseHead(buf);
    if (scan.state === 'error') {
      const { offset, rule, line } = scan;
      stop(line ? { problem: 'malformed-head', data: buf, offset, rule, line } : { problem: 'malformed-head', data: buf, offset, rule });
    }
    if (scan.state === 'complete') break;
    if (buf.length > maxHead) stop({ problem: 'head-too-long', received: buf.length });
    try {
      buf = Buffer.concat([buf, await pull()]);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      stop({ problem: 'head-cut-short', data: buf, ending: err });
    }
  }
  const head = buf.subarray(0, scan.length);
  const fields = scan.fields;
  const header = (name: string): string | undefined => {
    const found = fields.filter((f) => f.name.toLowerCase() === name.toLowerCase());
    return found.length ? found.map((f) => f.value).join(', ') : undefined;
  };
  let rest = buf.subarray(scan.length);

  // Which framing applies (RFC 9112 §6.3).
  const noBody = opts.method === 'HEAD' || (scan.status >= 100 && scan.status < 200) || scan.status === 204 || scan.status === 304;
  const te = header('transfer-encoding');
  let framing: HttpResponse['framing'] = noBody ? 'none' : te ? (/(^|,)\s*chunked\s*$/i.test(te) ? 'chunked' : 'close') : 'close';
  let length = 0;
  if (!noBody && !te) {
    const cl = fields.filter((f) => f.name.toLowerCase() === 'content-length');
    if (cl.length > 0) {
      framing = 'content-length';
      const values = new Set<string>();
      for (const f of cl) {
        for (const part of f.value.split(',')) {
          const v = part.trim();
          if (!/^\d+$/.test(v)) {
            const offset = f.valueOffset + Math.max(0, f.value.search(/[^\d, \t]/));
            stop({ problem: 'content-length-not-a-number', data: head, offset, value: f.value });
          }
          values.add(v.replace(/^0+(?=\d)/, ''));
        }
      }
      if (values.size > 1) {
        const second = cl.length > 1 ? cl[1]! : cl[0]!;
        stop({ problem: 'content-length-conflict', data: head, offset: second.valueOffset, values: [...values] });
      }
      length = Number([...values][0]);
    }
  }

  let body: Buffer;
  if (framing === 'none') {
    body = Buffer.alloc(0);
  } else if (framing === 'content-length') {
    if (length > maxBody) stop({ problem: 'body-too-large', limit: maxBody });
    if (rest.length < length) {
      try {
        rest = Buffer.concat([rest, await conn.read(length - rest.length, Math.max(0, deadline - Date.now()))]);
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        stop({ problem: 'body-cut-short', announced: length, received: rest.length + conn.buffered, ending: err });
      }
    }
    body = rest.subarray(0, length);
    rest = rest.subarray(length);
  } else if (framing === 'chunked') {
    ({ body, rest } = await readChunked(rest, pull, maxBody));
  } else {
    // No length given: the body runs until the server closes (RFC 9112 §6.3, rule 8).
    const chunks = [rest];
    let total = rest.length;
    for (;;) {
      if (total > maxBody) stop({ problem: 'body-too-large', limit: maxBody });
      try {
        const more = await pull();
        chunks.push(more);
        total += more.length;
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        if (err.kind === 'closed') break;
        stop({ problem: 'body-never-ended', received: total, ending: err });
      }
    }
    body = Buffer.concat(chunks);
    rest = Buffer.alloc(0);
  }
  if (rest.length > 0) leftovers.set(conn, Buffer.from(rest));
  return {
    version: scan.version,
    status: scan.status,
    reason: scan.reason,
    fields,
    header,
    framing,
    head: Buffer.from(head),
    body: Buffer.from(body),
    firstByteMs: Math.max(0, firstByteMs),
    totalMs: Date.now() - started,
  };
}

/** Bytes read past the end of the last response on `conn` (the start of whatever came next). */
export function takeLeftover(conn: Conn): Buffer {
  const rest = leftovers.get(conn) ?? Buffer.alloc(0);
  leftovers.delete(conn);
  return rest;
}

/** Chunked transfer coding (RFC 9112 §7.1): hex size CRLF, data CRLF, …, 0 CRLF, trailers, CRLF. */
async function readChunked(start: Buffer, pull: () => Promise<Buffer>, maxBody: number): Promise<{ body: Buffer; rest: Buffer }> {
  let buf = start;
  let pos = 0;
  const parts: Buffer[] = [];
  let total = 0;
  const need = async (n: number): Promise<void> => {
    while (buf.length < pos + n) {
      try {
        buf = Buffer.concat([buf, await pull()]);
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        stop({ problem: 'chunked-cut-short', ending: err });
      }
    }
  };
  const line = async (): Promise<string> => {
    for (;;) {
      const lf = buf.indexOf(LF, pos);
      if (lf >= 0) {
        if (lf === pos || buf[lf - 1] !== CR) stop({ problem: 'chunked-malformed', data: buf, offset: lf, rule: 'bare-lf' });
        const text = buf.subarray(pos, lf - 1).toString('latin1');
        pos = lf + 1;
        return text;
      }
      await need(buf.length - pos + 1);
    }
  };
  for (;;) {
    const at = pos;
    const sizeLine = await line();
    const m = /^([0-9a-fA-F]+)[ \t]*(;.*)?$/.exec(sizeLine);
    if (!m) stop({ problem: 'chunked-malformed', data: buf, offset: at, rule: 'chunk-size' });
    const size = parseInt(m![1]!, 16);
    if (size === 0) break;
    total += size;
    if (total > maxBody) stop({ problem: 'chunked-too-large', limit: maxBody });
    await need(size + 2);
    parts.push(buf.subarray(pos, pos + size));
    if (buf[pos + size] !== CR || buf[pos + size + 1] !== LF) stop({ problem: 'chunked-malformed', data: buf, offset: pos + size, rule: 'chunk-crlf' });
    pos += size + 2;
  }
  while ((await line()) !== '') {
    /* trailer fields: ignored */
  }
  return { body: Buffer.concat(parts), rest: buf.subarray(pos) };
}

// ─── Reading responses' fields ──────────────────────────────────────────────────────────────────

/** "text/html; charset=UTF-8" → { type: "text/html", params: { charset: "UTF-8" } } (type lower-cased). */
export function parseMediaType(value: string | undefined): { type: string; params: Record<string, string> } | undefined {
  if (value === undefined) return undefined;
  const [type, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { type: type!.trim().toLowerCase(), params };
}
