/**
 * HTTP/1.1 from the client's side, over a recorded `Conn`: build requests byte by byte, and read
 * responses the way RFC 9112 tells a client to — status line, header fields (names are
 * case-insensitive), then a body delimited by Content-Length (or chunked coding, or the close).
 * The body is never delimited by waiting for the server to close when it said how long it is, so a
 * server that keeps the connection open (keep-alive) reads the same as one that closes.
 *
 * Every wait is bounded and so is every buffer. A response that breaks the message syntax fails
 * with a caret under its first bad byte and a note saying what HTTP expects there.
 */
import { fail, type FailureInit } from '../failure.ts';
import { t, type Text } from '../i18n.ts';
import type { FailureKind } from '../types.ts';
import { type Conn, WireError, formatMs } from './conn.ts';

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
  /** What this response answers, for messages ("the response to GET /"). */
  what?: Text;
  /** Most head bytes accepted before the server counts as flooding (default 64 KiB). */
  maxHeadBytes?: number;
  /** Most body bytes accepted (default 32 MiB). */
  maxBodyBytes?: number;
  /** Added to failures about a missing or slow answer. */
  hint?: Text;
}

/** Parsing outcome of the bytes received so far. */
type HeadScan =
  | { state: 'incomplete' }
  | { state: 'error'; offset: number; note: Text; summary: Text }
  | { state: 'complete'; length: number; version: string; status: number; reason: string; fields: HeaderField[] };

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

const BARE_LF = (where: Text): Text => t(`expected CRLF ("\\r\\n") at the end of ${where.en}; got a bare LF ("\\n")`, `${where.zh}应该以 CRLF（"\\r\\n"）结尾，这里却只有 LF（"\\n"）`);
const BARE_CR = (where: Text): Text => t(`a CR ("\\r") in ${where.en} must be followed by LF ("\\n")`, `${where.zh}里的 CR（"\\r"）后面必须紧跟 LF（"\\n"）`);

/**
 * Scans a response head as far as the bytes go. Errors are found as early as possible — a body sent
 * without a status line is caught at its first byte, without waiting for more.
 */
export function scanResponseHead(buf: Buffer): HeadScan {
  const err = (offset: number, note: Text, summary?: Text): HeadScan => ({
    state: 'error',
    offset,
    note,
    summary: summary ?? t('the response is not valid HTTP/1.1', '响应不符合 HTTP/1.1 格式'),
  });
  // Status line: HTTP-version SP status-code SP [reason-phrase] CRLF  (RFC 9112 §4)
  const proto = 'HTTP/';
  for (let i = 0; i < proto.length && i < buf.length; i++) {
    if (buf[i] === proto.charCodeAt(i)) continue;
    const upper = buf.subarray(0, proto.length).toString('latin1').toUpperCase();
    if (upper.startsWith(proto.slice(0, Math.min(buf.length, proto.length)))) {
      return err(i, t('"HTTP" in the status line is case-sensitive: it must be upper case, as in HTTP/1.1 200 OK', '状态行里的 "HTTP" 区分大小写：必须大写，例如 HTTP/1.1 200 OK'));
    }
    const looksLikeBody = buf[0] === 0x3c /* < */ || buf[0] === 0x7b /* { */;
    return err(
      i,
      i === 0
        ? t('a response starts with its status line, e.g. HTTP/1.1 200 OK — then the headers, an empty line, and only then the body', '响应的第一行必须是状态行，例如 HTTP/1.1 200 OK——然后是头部、一个空行，最后才是正文')
        : t('expected "HTTP/" here: the status line starts with the version, e.g. HTTP/1.1', '这里应该是 "HTTP/"：状态行以版本号开头，例如 HTTP/1.1'),
      looksLikeBody
        ? t('the response starts with what looks like the body: there is no status line and no headers before it', '响应一开头就像是正文：前面既没有状态行也没有头部')
        : undefined,
    );
  }
  if (buf.length < 8) return { state: 'incomplete' };
  if (!isDigit(buf[5]!) || buf[6] !== 0x2e || !isDigit(buf[7]!)) {
    const at = !isDigit(buf[5]!) ? 5 : buf[6] !== 0x2e ? 6 : 7;
    return err(at, t('the version is HTTP/ followed by a digit, a dot and a digit: HTTP/1.1', '版本号是 HTTP/ 后跟一位数字、一个点、再一位数字：HTTP/1.1'));
  }
  if (buf.length < 9) return { state: 'incomplete' };
  if (buf[8] !== 0x20) return err(8, t('expected one space after the version, then the status code: HTTP/1.1 200 OK', '版本号后面应该是一个空格，然后是状态码：HTTP/1.1 200 OK'));
  for (let i = 9; i < 12; i++) {
    if (i >= buf.length) return { state: 'incomplete' };
    if (!isDigit(buf[i]!)) return err(i, t('expected a three-digit status code after the version, e.g. 200 or 404', '版本号后面应该是三位数字的状态码，例如 200 或 404'));
  }
  if (buf.length < 13) return { state: 'incomplete' };
  const statusLine = t('the status line', '状态行');
  // A reason phrase follows a space. (A bare "HTTP/1.1 200\r\n" breaks the grammar, but every client
  // accepts it and the reason phrase means nothing to them, so we don't fail a server for it.)
  if (buf[12] !== 0x20 && buf[12] !== CR) {
    if (buf[12] === LF) return err(12, BARE_LF(statusLine));
    return err(12, t('expected a space after the status code, then the reason phrase: HTTP/1.1 200 OK', '状态码后面应该是一个空格，然后是原因短语：HTTP/1.1 200 OK'));
  }
  const statusEnd = lineEnd(buf, 12);
  if (!statusEnd) return { state: 'incomplete' };
  if ('bad' in statusEnd) return err(statusEnd.bad, statusEnd.bareLf ? BARE_LF(statusLine) : BARE_CR(statusLine));
  for (let i = 13; i < statusEnd.end; i++) {
    const b = buf[i]!;
    if (b < 0x20 && b !== 0x09) return err(i, t('a control byte cannot appear in the reason phrase', '原因短语里不能出现控制字符'));
  }
  const version = buf.subarray(0, 8).toString('latin1');
  const status = Number(buf.subarray(9, 12).toString('latin1'));
  const reason = buf.subarray(13, statusEnd.end).toString('latin1');

  // Header fields: field-name ":" OWS field-value OWS CRLF, until an empty line  (RFC 9112 §5)
  const fields: HeaderField[] = [];
  let pos = statusEnd.end + 2;
  const headerLine = t('a header line', '头部行');
  for (;;) {
    if (pos >= buf.length) return { state: 'incomplete' };
    if (buf[pos] === CR) {
      if (pos + 1 >= buf.length) return { state: 'incomplete' };
      if (buf[pos + 1] !== LF) return err(pos, BARE_CR(t('the empty line that ends the head', '结束头部的空行')));
      return { state: 'complete', length: pos + 2, version, status, reason, fields };
    }
    if (buf[pos] === LF) {
      return err(pos, t('expected CRLF ("\\r\\n") as the empty line that ends the head; got a bare LF ("\\n")', '结束头部的空行应该是 CRLF（"\\r\\n"），这里却只有 LF（"\\n"）'));
    }
    if (buf[pos] === 0x20 || buf[pos] === 0x09) {
      return err(pos, t('a header line cannot start with a space or tab (that is obsolete line folding, which RFC 9112 forbids in responses)', '头部行不能以空格或制表符开头（那是已废弃的折行写法，RFC 9112 禁止在响应中使用）'));
    }
    let colon = -1;
    for (let i = pos; i < buf.length; i++) {
      const b = buf[i]!;
      if (b === 0x3a) {
        colon = i;
        break;
      }
      if (TCHAR.has(b)) continue;
      if (b === 0x20 || b === 0x09) {
        return err(i, t('no space is allowed in a header name or between the name and its colon: Content-Type: text/html', '头部名称里、以及名称和冒号之间都不能有空格：Content-Type: text/html'));
      }
      if (b === CR || b === LF) {
        if (b === CR && i + 1 >= buf.length) return { state: 'incomplete' };
        return err(i, t('a header line needs a colon after the name: Name: value', '头部行的名称后面需要一个冒号：Name: value'));
      }
      return err(i, t('this byte cannot be part of a header name (letters, digits and - are usual)', '这个字节不能出现在头部名称中（通常只用字母、数字和 -）'));
    }
    if (colon < 0) return { state: 'incomplete' };
    if (colon === pos) return err(pos, t('the header name before the colon is empty', '冒号前面的头部名称是空的'));
    const end = lineEnd(buf, colon + 1);
    if (!end) {
      for (let i = colon + 1; i < buf.length; i++) if (buf[i] === 0) return err(i, t('a NUL byte cannot appear in a header value', '头部的值里不能出现 NUL 字节'));
      return { state: 'incomplete' };
    }
    if ('bad' in end) return err(end.bad, end.bareLf ? BARE_LF(headerLine) : BARE_CR(headerLine));
    let vStart = colon + 1;
    let vEnd = end.end;
    while (vStart < vEnd && (buf[vStart] === 0x20 || buf[vStart] === 0x09)) vStart++;
    while (vEnd > vStart && (buf[vEnd - 1] === 0x20 || buf[vEnd - 1] === 0x09)) vEnd--;
    for (let i = vStart; i < vEnd; i++) if (buf[i] === 0) return err(i, t('a NUL byte cannot appear in a header value', '头部的值里不能出现 NUL 字节'));
    fields.push({ name: buf.subarray(pos, colon).toString('latin1'), value: buf.subarray(vStart, vEnd).toString('latin1'), valueOffset: vStart });
    pos = end.end + 2;
  }
}

/** Bytes received but not yet part of a response, per connection (for the next response on it). */
const leftovers = new WeakMap<Conn, Buffer>();

const KIND: Record<string, FailureKind> = { timeout: 'hung', closed: 'closed-early', reset: 'reset', flooded: 'flooded', refused: 'crashed', aborted: 'hung' };

/**
 * Reads one response from `conn`. Throws a `CheckFailure` when the response is malformed, never
 * arrives, stops part-way, or is too large — each saying what came and what HTTP expects.
 */
export async function readResponse(conn: Conn, opts: ReadOptions): Promise<HttpResponse> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const what = opts.what ?? t('the response', '响应');
  const maxHead = opts.maxHeadBytes ?? 64 * 1024;
  const maxBody = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  let buf = leftovers.get(conn) ?? Buffer.alloc(0);
  leftovers.delete(conn);
  let firstByteMs = buf.length > 0 ? 0 : -1;

  const failWith = (init: Omit<FailureInit, 'conn'>): never => fail({ hint: opts.hint, ...init, conn });

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
      fail({
        summary: t(`${what.en}: ${scan.summary.en}`, `${what.zh}：${scan.summary.zh}`),
        caret: { data: buf, offset: scan.offset, note: scan.note },
        expected: t('HTTP/1.1 200 OK\\r\\n, then one "Name: value\\r\\n" line per header, then "\\r\\n", then the body', 'HTTP/1.1 200 OK\\r\\n，然后每个头部一行 "Name: value\\r\\n"，接着是 "\\r\\n"，最后是正文'),
        hint: t(
          'The head of a response is lines of text, each ending in CR LF — "\\r\\n" in a JavaScript string, not just "\\n": the status line, one line per header, then an empty line. Only then the body.',
          '响应的头部由若干行文本组成，每行都以 CR LF 结尾——在 JavaScript 字符串里写作 "\\r\\n"，而不只是 "\\n"：先是状态行，然后每个头部一行，再是一个空行。之后才是正文。',
        ),
        conn,
      });
    }
    if (scan.state === 'complete') break;
    if (buf.length > maxHead) {
      failWith({
        kind: 'flooded',
        summary: t(`${what.en}: ${buf.length} bytes arrived and the head (status line and headers) had still not ended with an empty line`, `${what.zh}：已经收到 ${buf.length} 字节，头部（状态行和各个头部）仍然没有以空行结束`),
        expected: t('a head of a few hundred bytes that ends with "\\r\\n\\r\\n"', '几百字节、以 "\\r\\n\\r\\n" 结尾的头部'),
      });
    }
    try {
      buf = Buffer.concat([buf, await pull()]);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      failWith(headEnded(err, buf, what, opts.timeoutMs));
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
            failWith({
              summary: t(`${what.en}: Content-Length is not a number of bytes: "${f.value}"`, `${what.zh}：Content-Length 不是一个字节数："${f.value}"`),
              caret: { data: head, offset, note: t('Content-Length is digits only: the body size in bytes, e.g. Content-Length: 1234', 'Content-Length 只能是数字：正文的字节数，例如 Content-Length: 1234') },
            });
          }
          values.add(v.replace(/^0+(?=\d)/, ''));
        }
      }
      if (values.size > 1) {
        const second = cl.length > 1 ? cl[1]! : cl[0]!;
        failWith({
          summary: t(`${what.en}: conflicting Content-Length values (${[...values].join(' and ')})`, `${what.zh}：Content-Length 的值互相矛盾（${[...values].join(' 和 ')}）`),
          caret: { data: head, offset: second.valueOffset, note: t('send Content-Length once, with the body size in bytes', 'Content-Length 只发送一次，值为正文的字节数') },
        });
      }
      length = Number([...values][0]);
    }
  }

  let body: Buffer;
  const tooBig = (n: number): never =>
    failWith({
      kind: 'flooded',
      summary: t(`${what.en}: the body is larger than ${n} bytes, far more than expected`, `${what.zh}：正文超过 ${n} 字节，远远超出预期`),
    });
  if (framing === 'none') {
    body = Buffer.alloc(0);
  } else if (framing === 'content-length') {
    if (length > maxBody) tooBig(maxBody);
    if (rest.length < length) {
      try {
        rest = Buffer.concat([rest, await conn.read(length - rest.length, Math.max(0, deadline - Date.now()))]);
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        const got = rest.length + conn.buffered;
        const closed = err.kind === 'closed';
        failWith({
          kind: KIND[err.kind] ?? 'wrong',
          summary: closed
            ? t(`${what.en}: Content-Length announced ${length} body bytes, but the server closed the connection after ${got}`, `${what.zh}：Content-Length 声明正文有 ${length} 字节，但服务器只发了 ${got} 字节就关闭了连接`)
            : err.kind === 'timeout'
              ? t(`${what.en}: Content-Length announced ${length} body bytes, but only ${got} arrived within ${formatMs(opts.timeoutMs)} and the connection stayed open`, `${what.zh}：Content-Length 声明正文有 ${length} 字节，但 ${formatMs(opts.timeoutMs)} 内只收到 ${got} 字节，连接也没有关闭`)
              : t(`${what.en}: ${err.text.en}`, `${what.zh}：${err.text.zh}`),
          expected: t(`exactly ${length} bytes after the empty line, as Content-Length says`, `空行之后正好 ${length} 字节，和 Content-Length 一致`),
          hint: t(
            'Content-Length must be the body size in bytes — Buffer.byteLength(text) or buffer.length — not the number of characters: "你好" is 2 characters but 6 bytes in UTF-8.',
            'Content-Length 必须是正文的字节数——用 Buffer.byteLength(text) 或 buffer.length——而不是字符数："你好" 是 2 个字符，但在 UTF-8 中是 6 个字节。',
          ),
        });
      }
    }
    body = rest.subarray(0, length);
    rest = rest.subarray(length);
  } else if (framing === 'chunked') {
    ({ body, rest } = await readChunked(rest, pull, { deadline, maxBody, what, failWith, timeoutMs: opts.timeoutMs }));
  } else {
    // No length given: the body runs until the server closes (RFC 9112 §6.3, rule 8).
    const chunks = [rest];
    let total = rest.length;
    for (;;) {
      if (total > maxBody) tooBig(maxBody);
      try {
        const more = await pull();
        chunks.push(more);
        total += more.length;
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        if (err.kind === 'closed') break;
        failWith({
          kind: KIND[err.kind] ?? 'wrong',
          summary:
            err.kind === 'timeout'
              ? t(
                  `${what.en}: the response has no Content-Length, so its body ends only when the server closes the connection — and ${formatMs(opts.timeoutMs)} later it had not (${total} body bytes so far)`,
                  `${what.zh}：响应没有 Content-Length，所以正文要等服务器关闭连接才算结束——可是 ${formatMs(opts.timeoutMs)} 之后连接仍然开着（目前收到 ${total} 字节正文）`,
                )
              : t(`${what.en}: ${err.text.en}`, `${what.zh}：${err.text.zh}`),
          expected: t('a Content-Length header with the body size in bytes', '一个 Content-Length 头部，值为正文的字节数'),
          hint: t('Send Content-Length: the client then knows where the body ends without waiting for the connection to close.', '发送 Content-Length：客户端就能知道正文在哪里结束，而不必等待连接关闭。'),
        });
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

/** The failure for a connection that ended, or went quiet, before the head was complete. */
function headEnded(err: WireError, buf: Buffer, what: Text, timeoutMs: number): Omit<FailureInit, 'conn'> {
  const kind = KIND[err.kind] ?? 'wrong';
  if (buf.length === 0) {
    const summary =
      err.kind === 'closed'
        ? t(`${what.en}: the server closed the connection without sending any response`, `${what.zh}：服务器什么响应都没发就关闭了连接`)
        : err.kind === 'timeout'
          ? t(`${what.en}: nothing came back within ${formatMs(timeoutMs)}`, `${what.zh}：${formatMs(timeoutMs)} 内什么都没有收到`)
          : t(`${what.en}: ${err.text.en}`, `${what.zh}：${err.text.zh}`);
    return { kind, summary, expected: t('a response starting with a status line such as HTTP/1.1 200 OK', '一个以状态行（例如 HTTP/1.1 200 OK）开头的响应') };
  }
  const how =
    err.kind === 'closed'
      ? t('the server closed the connection', '服务器关闭了连接')
      : err.kind === 'timeout'
        ? t(`nothing more came within ${formatMs(timeoutMs)}`, `${formatMs(timeoutMs)} 内没有再收到任何数据`)
        : t(err.text.en, err.text.zh);
  return {
    kind,
    summary: t(`${what.en}: the head stopped after ${buf.length} bytes, before the empty line that ends it — ${how.en}`, `${what.zh}：头部只收到 ${buf.length} 字节就断了，没有等到结束头部的空行——${how.zh}`),
    caret: {
      data: buf,
      offset: buf.length,
      note: t('the head ends with an empty line: the last header line\'s "\\r\\n" followed by another "\\r\\n"', '头部以一个空行结束：最后一个头部行的 "\\r\\n" 之后再跟一个 "\\r\\n"'),
    },
  };
}

/** Chunked transfer coding (RFC 9112 §7.1): hex size CRLF, data CRLF, …, 0 CRLF, trailers, CRLF. */
async function readChunked(
  start: Buffer,
  pull: () => Promise<Buffer>,
  o: { deadline: number; maxBody: number; what: Text; timeoutMs: number; failWith: (init: Omit<FailureInit, 'conn'>) => never },
): Promise<{ body: Buffer; rest: Buffer }> {
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
        o.failWith({
          kind: KIND[err.kind] ?? 'wrong',
          summary: t(`${o.what.en}: the chunked body stopped before its last chunk (0) — ${err.text.en}`, `${o.what.zh}：分块正文在最后一块（0）之前就断了——${err.text.zh}`),
        });
      }
    }
  };
  const line = async (): Promise<string> => {
    for (;;) {
      const lf = buf.indexOf(LF, pos);
      if (lf >= 0) {
        if (lf === pos || buf[lf - 1] !== CR) {
          o.failWith({ summary: t(`${o.what.en}: malformed chunked body`, `${o.what.zh}：分块正文格式错误`), caret: { data: buf, offset: lf, note: BARE_LF(t('a chunk line', '分块行')) } });
        }
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
    if (!m) o.failWith({ summary: t(`${o.what.en}: malformed chunked body`, `${o.what.zh}：分块正文格式错误`), caret: { data: buf, offset: at, note: t('expected a chunk size in hexadecimal', '这里应该是十六进制的块大小') } });
    const size = parseInt(m![1]!, 16);
    if (size === 0) break;
    total += size;
    if (total > o.maxBody) o.failWith({ kind: 'flooded', summary: t(`${o.what.en}: the body is larger than ${o.maxBody} bytes`, `${o.what.zh}：正文超过 ${o.maxBody} 字节`) });
    await need(size + 2);
    parts.push(buf.subarray(pos, pos + size));
    if (buf[pos + size] !== CR || buf[pos + size + 1] !== LF) {
      o.failWith({ summary: t(`${o.what.en}: malformed chunked body`, `${o.what.zh}：分块正文格式错误`), caret: { data: buf, offset: pos + size, note: t('expected CRLF right after the chunk data', '块数据之后应该紧跟 CRLF') } });
    }
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
