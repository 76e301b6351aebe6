/**
 * HTTP assertions shared by every HTTP stage: send a request, read the response (the wire reader's
 * problems become failures here, with a caret under the first bad byte and what to try), and
 * compare only what a check asks about (status, version, Content-Type, body, nothing after it);
 * plus the hostile requests every HTTP server must survive (a head that never ends, an oversized one).
 */
import { CheckFailure, fail, type FailureInit } from '../failure.ts';
import { t, type Text } from '../i18n.ts';
import type { CheckContext } from '../types.ts';
import { type Conn, WireError, formatMs } from '../wire/conn.ts';
import { escapeBytes, firstDifference } from '../wire/escape.ts';
import { nodeCommand } from '../wire/reproduce.ts';
import {
  buildRequest,
  parseMediaType,
  receiveResponse,
  reproduceInParts,
  requestName,
  takeLeftover,
  type HeadRule,
  type HttpLine,
  type HttpResponse,
  type ReadOptions,
  type RequestInit,
  type ResponseProblem,
} from '../wire/http.ts';
import { kindOf } from './kinds.ts';

// ─── Reading a response: the wire's problems become failures ────────────────────────────────────

export interface ResponseOptions extends ReadOptions {
  /** What this response answers, for messages ("the response to GET /"). */
  what?: Text;
  /** Added to failures about a missing or slow answer. */
  hint?: Text;
}

const BARE_LF = (where: Text): Text => t(`expected CRLF ("\\r\\n") at the end of ${where.en}; got a bare LF ("\\n")`, `${where.zh}应该以 CRLF（"\\r\\n"）结尾，这里却只有 LF（"\\n"）`);
const BARE_CR = (where: Text): Text => t(`a CR ("\\r") in ${where.en} must be followed by LF ("\\n")`, `${where.zh}里的 CR（"\\r"）后面必须紧跟 LF（"\\n"）`);

const LINE: Record<HttpLine, Text> = {
  'status-line': t('the status line', '状态行'),
  'header-line': t('a header line', '头部行'),
  'head-end': t('the empty line that ends the head', '结束头部的空行'),
  'chunk-line': t('a chunk line', '分块行'),
};

/** What HTTP expects at the byte a head's syntax breaks at: the note under the caret. */
function headNote(rule: HeadRule, line: HttpLine | undefined): Text {
  switch (rule) {
    case 'http-case':
      return t('"HTTP" in the status line is case-sensitive: it must be upper case, as in HTTP/1.1 200 OK', '状态行里的 "HTTP" 区分大小写：必须大写，例如 HTTP/1.1 200 OK');
    case 'no-status-line':
    case 'body-first':
      return t('a response starts with its status line, e.g. HTTP/1.1 200 OK — then the headers, an empty line, and only then the body', '响应的第一行必须是状态行，例如 HTTP/1.1 200 OK——然后是头部、一个空行，最后才是正文');
    case 'expected-http':
      return t('expected "HTTP/" here: the status line starts with the version, e.g. HTTP/1.1', '这里应该是 "HTTP/"：状态行以版本号开头，例如 HTTP/1.1');
    case 'version':
      return t('the version is HTTP/ followed by a digit, a dot and a digit: HTTP/1.1', '版本号是 HTTP/ 后跟一位数字、一个点、再一位数字：HTTP/1.1');
    case 'space-after-version':
      return t('expected one space after the version, then the status code: HTTP/1.1 200 OK', '版本号后面应该是一个空格，然后是状态码：HTTP/1.1 200 OK');
    case 'status-code':
      return t('expected a three-digit status code after the version, e.g. 200 or 404', '版本号后面应该是三位数字的状态码，例如 200 或 404');
    case 'space-after-status':
      return t('expected a space after the status code, then the reason phrase: HTTP/1.1 200 OK', '状态码后面应该是一个空格，然后是原因短语：HTTP/1.1 200 OK');
    case 'reason-control':
      return t('a control byte cannot appear in the reason phrase', '原因短语里不能出现控制字符');
    case 'obs-fold':
      return t('a header line cannot start with a space or tab (that is obsolete line folding, which RFC 9112 forbids in responses)', '头部行不能以空格或制表符开头（那是已废弃的折行写法，RFC 9112 禁止在响应中使用）');
    case 'name-space':
      return t('no space is allowed in a header name or between the name and its colon: Content-Type: text/html', '头部名称里、以及名称和冒号之间都不能有空格：Content-Type: text/html');
    case 'no-colon':
      return t('a header line needs a colon after the name: Name: value', '头部行的名称后面需要一个冒号：Name: value');
    case 'name-byte':
      return t('this byte cannot be part of a header name (letters, digits and - are usual)', '这个字节不能出现在头部名称中（通常只用字母、数字和 -）');
    case 'empty-name':
      return t('the header name before the colon is empty', '冒号前面的头部名称是空的');
    case 'nul-in-value':
      return t('a NUL byte cannot appear in a header value', '头部的值里不能出现 NUL 字节');
    case 'bare-lf':
      // The empty line is the one line with nothing before its end: "at the end of" reads oddly there.
      return line === 'head-end'
        ? t('expected CRLF ("\\r\\n") as the empty line that ends the head; got a bare LF ("\\n")', '结束头部的空行应该是 CRLF（"\\r\\n"），这里却只有 LF（"\\n"）')
        : BARE_LF(LINE[line ?? 'header-line']);
    case 'bare-cr':
      return BARE_CR(LINE[line ?? 'header-line']);
  }
}

const HINT_HEAD_SYNTAX = t(
  'The head of a response is lines of text, each ending in CR LF — "\\r\\n" in a JavaScript string, not just "\\n": the status line, one line per header, then an empty line. Only then the body.',
  '响应的头部由若干行文本组成，每行都以 CR LF 结尾——在 JavaScript 字符串里写作 "\\r\\n"，而不只是 "\\n"：先是状态行，然后每个头部一行，再是一个空行。之后才是正文。',
);

const CHUNKED_MALFORMED = (what: Text): Text => t(`${what.en}: malformed chunked body`, `${what.zh}：分块正文格式错误`);

/**
 * The failure a response problem means, with what came, what HTTP expects and what to try.
 * `o.hint` is what a check adds for a missing or slow answer; problems with a story of their own
 * (a broken head, a wrong Content-Length) carry their own hint instead.
 */
export function responseFailure(p: ResponseProblem, conn: Conn, o: { timeoutMs: number; what?: Text; hint?: Text }): FailureInit {
  const what = o.what ?? t('the response', '响应');
  const init = describeProblem(p, what, o.timeoutMs);
  return { hint: o.hint, ...init, conn };
}

/** What is wrong with a head, in words: the summary and the note under the caret. */
export function headProblem(rule: HeadRule, line: HttpLine | undefined): { summary: Text; note: Text } {
  const summary =
    rule === 'body-first'
      ? t('the response starts with what looks like the body: there is no status line and no headers before it', '响应一开头就像是正文：前面既没有状态行也没有头部')
      : t('the response is not valid HTTP/1.1', '响应不符合 HTTP/1.1 格式');
  return { summary, note: headNote(rule, line) };
}

function describeProblem(p: ResponseProblem, what: Text, timeoutMs: number): Omit<FailureInit, 'conn'> {
  switch (p.problem) {
    case 'malformed-head': {
      const { summary, note } = headProblem(p.rule, p.line);
      return {
        summary: t(`${what.en}: ${summary.en}`, `${what.zh}：${summary.zh}`),
        caret: { data: p.data, offset: p.offset, note },
        expected: t('HTTP/1.1 200 OK\\r\\n, then one "Name: value\\r\\n" line per header, then "\\r\\n", then the body', 'HTTP/1.1 200 OK\\r\\n，然后每个头部一行 "Name: value\\r\\n"，接着是 "\\r\\n"，最后是正文'),
        hint: HINT_HEAD_SYNTAX,
      };
    }
    case 'head-too-long':
      return {
        kind: 'flooded',
        summary: t(`${what.en}: ${p.received} bytes arrived and the head (status line and headers) had still not ended with an empty line`, `${what.zh}：已经收到 ${p.received} 字节，头部（状态行和各个头部）仍然没有以空行结束`),
        expected: t('a head of a few hundred bytes that ends with "\\r\\n\\r\\n"', '几百字节、以 "\\r\\n\\r\\n" 结尾的头部'),
      };
    case 'head-cut-short':
      return headCutShort(p.ending, p.data, what, timeoutMs);
    case 'content-length-not-a-number':
      return {
        summary: t(`${what.en}: Content-Length is not a number of bytes: "${p.value}"`, `${what.zh}：Content-Length 不是一个字节数："${p.value}"`),
        caret: { data: p.data, offset: p.offset, note: t('Content-Length is digits only: the body size in bytes, e.g. Content-Length: 1234', 'Content-Length 只能是数字：正文的字节数，例如 Content-Length: 1234') },
      };
    case 'content-length-conflict':
      return {
        summary: t(`${what.en}: conflicting Content-Length values (${p.values.join(' and ')})`, `${what.zh}：Content-Length 的值互相矛盾（${p.values.join(' 和 ')}）`),
        caret: { data: p.data, offset: p.offset, note: t('send Content-Length once, with the body size in bytes', 'Content-Length 只发送一次，值为正文的字节数') },
      };
    case 'body-too-large':
      return {
        kind: 'flooded',
        summary: t(`${what.en}: the body is larger than ${p.limit} bytes, far more than expected`, `${what.zh}：正文超过 ${p.limit} 字节，远远超出预期`),
      };
    case 'body-cut-short': {
      const { ending: err, announced: length, received: got } = p;
      return {
        kind: kindOf(err),
        summary:
          err.kind === 'closed'
            ? t(`${what.en}: Content-Length announced ${length} body bytes, but the server closed the connection after ${got}`, `${what.zh}：Content-Length 声明正文有 ${length} 字节，但服务器只发了 ${got} 字节就关闭了连接`)
            : err.kind === 'timeout'
              ? t(`${what.en}: Content-Length announced ${length} body bytes, but only ${got} arrived within ${formatMs(timeoutMs)} and the connection stayed open`, `${what.zh}：Content-Length 声明正文有 ${length} 字节，但 ${formatMs(timeoutMs)} 内只收到 ${got} 字节，连接也没有关闭`)
              : t(`${what.en}: ${err.text.en}`, `${what.zh}：${err.text.zh}`),
        expected: t(`exactly ${length} bytes after the empty line, as Content-Length says`, `空行之后正好 ${length} 字节，和 Content-Length 一致`),
        hint: t(
          'Content-Length must be the body size in bytes — Buffer.byteLength(text) or buffer.length — not the number of characters: "你好" is 2 characters but 6 bytes in UTF-8.',
          'Content-Length 必须是正文的字节数——用 Buffer.byteLength(text) 或 buffer.length——而不是字符数："你好" 是 2 个字符，但在 UTF-8 中是 6 个字节。',
        ),
      };
    }
    case 'body-never-ended': {
      const err = p.ending;
      return {
        kind: kindOf(err),
        summary:
          err.kind === 'timeout'
            ? t(
                `${what.en}: the response has no Content-Length, so its body ends only when the server closes the connection — and ${formatMs(timeoutMs)} later it had not (${p.received} body bytes so far)`,
                `${what.zh}：响应没有 Content-Length，所以正文要等服务器关闭连接才算结束——可是 ${formatMs(timeoutMs)} 之后连接仍然开着（目前收到 ${p.received} 字节正文）`,
              )
            : t(`${what.en}: ${err.text.en}`, `${what.zh}：${err.text.zh}`),
        expected: t('a Content-Length header with the body size in bytes', '一个 Content-Length 头部，值为正文的字节数'),
        hint: t('Send Content-Length: the client then knows where the body ends without waiting for the connection to close.', '发送 Content-Length：客户端就能知道正文在哪里结束，而不必等待连接关闭。'),
      };
    }
    case 'chunked-cut-short':
      return {
        kind: kindOf(p.ending),
        summary: t(`${what.en}: the chunked body stopped before its last chunk (0) — ${p.ending.text.en}`, `${what.zh}：分块正文在最后一块（0）之前就断了——${p.ending.text.zh}`),
      };
    case 'chunked-malformed':
      return {
        summary: CHUNKED_MALFORMED(what),
        caret: {
          data: p.data,
          offset: p.offset,
          note:
            p.rule === 'bare-lf'
              ? BARE_LF(LINE['chunk-line'])
              : p.rule === 'chunk-size'
                ? t('expected a chunk size in hexadecimal', '这里应该是十六进制的块大小')
                : t('expected CRLF right after the chunk data', '块数据之后应该紧跟 CRLF'),
        },
      };
    case 'chunked-too-large':
      return { kind: 'flooded', summary: t(`${what.en}: the body is larger than ${p.limit} bytes`, `${what.zh}：正文超过 ${p.limit} 字节`) };
  }
}

/** The failure for a connection that ended, or went quiet, before the head was complete. */
function headCutShort(err: WireError, buf: Buffer, what: Text, timeoutMs: number): Omit<FailureInit, 'conn'> {
  const kind = kindOf(err);
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

/**
 * Reads one response from `conn`. Fails the check when the response is malformed, never arrives,
 * stops part-way, or is too large — each failure saying what came and what HTTP expects.
 */
export async function readResponse(conn: Conn, opts: ResponseOptions): Promise<HttpResponse> {
  const read = await receiveResponse(conn, opts);
  if (read.ok) return read.response;
  throw new CheckFailure(responseFailure(read.problem, conn, opts));
}

// ─── Exchanges and assertions ───────────────────────────────────────────────────────────────────

/** Bound on one small response from a working server (it takes a few milliseconds). */
export const REPLY_MS = 2000;

export interface Exchange {
  conn: Conn;
  res: HttpResponse;
  request: Buffer;
  /** "GET /style.css", for messages. */
  name: string;
  what: Text;
}

export const responseTo = (name: string): Text => t(`the response to ${name}`, `${name} 的响应`);

/** The hint for a server that does not answer at all, shared by every first check. */
export const HINT_NO_ANSWER = t(
  "Read the request until the empty line that ends its head (\"\\r\\n\\r\\n\"), then write the response: status line, headers, an empty line, the body. Check by hand: curl -v http://127.0.0.1:9000/",
  '先读取请求，直到结束请求头的空行（"\\r\\n\\r\\n"），再写出响应：状态行、头部、一个空行、正文。可以手动检查：curl -v http://127.0.0.1:9000/',
);

/** Connects, sends one request (in one write unless `parts` split it), reads one response. */
export async function exchange(
  ctx: CheckContext,
  init: RequestInit,
  opts: { label?: string | Text; timeoutMs?: number; hint?: Text; maxBodyBytes?: number } = {},
): Promise<Exchange> {
  const conn = await connectOrExplain(ctx, opts.label);
  const request = buildRequest(init);
  const name = requestName(init);
  const what = responseTo(name);
  await conn.send(request);
  const res = await readResponse(conn, { timeoutMs: opts.timeoutMs ?? REPLY_MS, method: init.method, what, hint: opts.hint ?? HINT_NO_ANSWER, maxBodyBytes: opts.maxBodyBytes });
  return { conn, res, request, name, what };
}

/** Reads the response to a request already sent on `conn`. */
export async function readExchange(conn: Conn, request: Buffer, name: string, what: Text, opts: { timeoutMs?: number; hint?: Text; method?: string } = {}): Promise<Exchange> {
  const res = await readResponse(conn, { timeoutMs: opts.timeoutMs ?? REPLY_MS, what, hint: opts.hint ?? HINT_NO_ANSWER, method: opts.method });
  return { conn, res, request, name, what };
}

/** Opens a connection; a refused one means the server is gone, and we say so plainly. */
export async function connectOrExplain(ctx: CheckContext, label?: string | Text, after?: Text): Promise<Conn> {
  try {
    return await ctx.connect(label);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    fail({
      kind: kindOf(err),
      summary: after ? t(`${after.en}, a new client could not connect: ${err.text.en}`, `${after.zh}，新的客户端连不上了：${err.text.zh}`) : err.text,
      expected: t('the server keeps accepting connections for as long as it runs', '服务器只要在运行，就一直接受新连接'),
      hint: t(
        "A server outlives its clients. Whatever one connection does — send nothing, send garbage, reset — handle it inside that connection's handlers; never process.exit() or server.close() because of it.",
        '服务器要比它的客户端活得久。不管某个连接做了什么——什么都不发、发乱码、重置——都只在这个连接的回调里处理；不要因此调用 process.exit() 或 server.close()。',
      ),
      conn: err.conn,
    });
  }
}

/** The status code, e.g. 200; or one of several. */
export function expectStatus(x: Exchange, want: number | readonly number[], hint?: Text, expected?: Text): void {
  const ok = typeof want === 'number' ? [want] : want;
  if (ok.includes(x.res.status)) return;
  const wanted = t(ok.join(' or '), ok.join(' 或 '));
  fail({
    summary: t(`${x.what.en}: the status is ${x.res.status} ${x.res.reason}, expected ${wanted.en}`, `${x.what.zh}：状态码是 ${x.res.status} ${x.res.reason}，应该是 ${wanted.zh}`),
    expected: expected ?? t(`status ${wanted.en}`, `状态码 ${wanted.zh}`),
    hint,
    conn: x.conn,
  });
}

/** `HTTP/1.1` in the status line (stage 2 demands it; stage 3 has a check of its own for it). */
export function expectVersion(x: Exchange): void {
  if (x.res.version === 'HTTP/1.1') return;
  fail({
    summary: t(`${x.what.en}: the status line says ${x.res.version}`, `${x.what.zh}：状态行写的是 ${x.res.version}`),
    expected: t('HTTP/1.1 at the start of the status line, e.g. HTTP/1.1 200 OK', '状态行以 HTTP/1.1 开头，例如 HTTP/1.1 200 OK'),
    hint: t('The version in a response is the version the server speaks. Write HTTP/1.1 — the client asked in HTTP/1.1 too.', '响应里的版本号表示服务器所用的协议版本。写 HTTP/1.1——客户端的请求用的也是 HTTP/1.1。'),
    caret: { data: x.res.head, offset: [...'HTTP/1.1'].findIndex((c, i) => x.res.head[i] !== c.charCodeAt(0)), note: t('HTTP/1.1 expected here', '这里应该是 HTTP/1.1') },
    conn: x.conn,
  });
}

/** Content-Type is one of `types` (parameters aside); with `charset`, that parameter too. */
export function expectContentType(x: Exchange, types: readonly string[], file: string, charset?: string): void {
  const raw = x.res.header('content-type');
  const mt = parseMediaType(raw);
  const want = types[0]! + (charset ? `; charset=${charset}` : '');
  const others = types.length > 1 ? t(` (or ${types.slice(1).join(', ')})`, `（或 ${types.slice(1).join('、')}）`) : t('', '');
  const hint = t(
    `The Content-Type tells the browser how to treat the bytes; pick it from the file's extension (${file}). A wrong type makes browsers ignore CSS and scripts or download pages instead of showing them.`,
    `Content-Type 告诉浏览器如何处理这些字节；请根据文件扩展名（${file}）来选择。类型不对，浏览器就会忽略 CSS 和脚本，或者把网页当成文件下载。`,
  );
  if (!mt) {
    fail({
      summary: t(`${x.what.en}: there is no Content-Type header`, `${x.what.zh}：没有 Content-Type 头部`),
      expected: t(`Content-Type: ${want}${others.en}`, `Content-Type: ${want}${others.zh}`),
      hint,
      conn: x.conn,
    });
  }
  if (!types.includes(mt.type)) {
    fail({
      summary: t(`${x.what.en}: Content-Type is "${raw}" for ${file}`, `${x.what.zh}：${file} 的 Content-Type 是 "${raw}"`),
      expected: t(`Content-Type: ${want}${others.en}`, `Content-Type: ${want}${others.zh}`),
      hint,
      conn: x.conn,
    });
  }
  if (charset && mt.params.charset?.toLowerCase() !== charset) {
    fail({
      summary: t(
        `${x.what.en}: Content-Type is "${raw}", without charset=${charset}`,
        `${x.what.zh}：Content-Type 是 "${raw}"，缺少 charset=${charset}`,
      ),
      expected: t(`Content-Type: ${want}`, `Content-Type: ${want}`),
      hint: t(
        'Without a charset, a browser may guess the encoding of the page wrong and show its Chinese text as mojibake. Say that the bytes are UTF-8: text/html; charset=utf-8.',
        '不写 charset，浏览器可能猜错网页的编码，把中文显示成乱码。明确说明这些字节是 UTF-8：text/html; charset=utf-8。',
      ),
      conn: x.conn,
    });
  }
}

/** The body is exactly `expected` (the bytes of `file`), delimited by a correct Content-Length. */
export async function expectBody(x: Exchange, expected: Buffer, file: string, extraHint?: Text): Promise<void> {
  const { res, conn } = x;
  if (res.framing !== 'content-length') {
    fail({
      summary:
        res.framing === 'close'
          ? t(
              `${x.what.en}: there is no Content-Length header — the client could only find the end of the body because the server closed the connection`,
              `${x.what.zh}：没有 Content-Length 头部——客户端之所以能找到正文的结尾，只是因为服务器关闭了连接`,
            )
          : t(`${x.what.en}: the body is sent with Transfer-Encoding: ${res.header('transfer-encoding')} instead of a Content-Length`, `${x.what.zh}：正文用的是 Transfer-Encoding: ${res.header('transfer-encoding')}，而不是 Content-Length`),
      expected: t(`Content-Length: ${expected.length} (the size of ${file} in bytes)`, `Content-Length: ${expected.length}（${file} 的字节数）`),
      hint: t(
        'Send Content-Length with the body size in bytes. Without it, a client must wait for the connection to close, so the connection can never be reused — and a truncated body looks complete.',
        '发送 Content-Length，值为正文的字节数。没有它，客户端只能等连接关闭，连接就没法复用——而且被截断的正文看起来也像是完整的。',
      ),
      conn,
    });
  }
  if (res.body.equals(expected)) return;
  const announced = res.body.length;
  const charCount = [...expected.toString('utf8')].length;
  const utf16Count = expected.toString('utf8').length;
  if (announced !== expected.length) {
    // The body we read is as long as Content-Length said; what follows it tells the story.
    const more = Buffer.concat([takeLeftover(conn), await conn.drainFor(100)]);
    const counted = announced === charCount || announced === utf16Count;
    fail({
      summary: t(
        `${x.what.en}: Content-Length is ${announced}, but ${file} is ${expected.length} bytes` + (more.length ? `; ${more.length} more bytes followed the body` : ''),
        `${x.what.zh}：Content-Length 是 ${announced}，但 ${file} 有 ${expected.length} 字节` + (more.length ? `；正文之后还跟着 ${more.length} 字节` : ''),
      ),
      expected: t(`Content-Length: ${expected.length}, then exactly the ${expected.length} bytes of ${file}`, `Content-Length: ${expected.length}，然后正好是 ${file} 的 ${expected.length} 个字节`),
      ...(firstDifference(expected, Buffer.concat([res.body, more])) >= 0 ? { diff: { expected, actual: Buffer.concat([res.body, more]) } } : {}),
      hint: counted
        ? t(
            `${announced} is the number of characters in ${file}, not bytes. Chinese characters take 3 bytes each in UTF-8: use Buffer.byteLength(text), or better, read the file as a Buffer and use buffer.length.`,
            `${announced} 是 ${file} 的字符数，而不是字节数。每个中文字符在 UTF-8 中占 3 个字节：用 Buffer.byteLength(text)，更好的做法是把文件读成 Buffer，再用 buffer.length。`,
          )
        : t('Content-Length must be the exact size of the body in bytes: take it from the Buffer you send (buffer.length) or from fs.stat().size.', 'Content-Length 必须正好等于正文的字节数：从你要发送的 Buffer 取（buffer.length），或者用 fs.stat().size。'),
      conn,
    });
  }
  fail({
    summary: t(`${x.what.en}: the body is not the bytes of ${file}`, `${x.what.zh}：正文不是 ${file} 的字节`),
    expected: t(`the ${expected.length} bytes of ${file}: ${escapeBytes(expected, 60)}`, `${file} 的 ${expected.length} 个字节：${escapeBytes(expected, 60)}`),
    diff: { expected, actual: res.body },
    hint: extraHint ?? t('Send the file exactly as it is on disk: read it as a Buffer (no encoding argument) and write that Buffer.', '把文件原样发送：以 Buffer 读取（不要传编码参数），然后写出这个 Buffer。'),
    conn,
  });
}

/** After a complete response, nothing else may arrive (waits `ms`, or until the server closes). */
export async function expectNothingAfter(x: Exchange, ms: number): Promise<void> {
  const extra = Buffer.concat([takeLeftover(x.conn), await x.conn.drainFor(ms)]);
  if (extra.length === 0) return;
  fail({
    summary: t(
      `${x.what.en}: after the ${x.res.body.length} body bytes that Content-Length announced, ${extra.length} more bytes arrived: ${escapeBytes(extra, 60)}`,
      `${x.what.zh}：在 Content-Length 声明的 ${x.res.body.length} 字节正文之后，又来了 ${extra.length} 字节：${escapeBytes(extra, 60)}`,
    ),
    expected: t('nothing after the body: a client reads exactly Content-Length bytes, and anything more would be taken as the start of the next response', '正文之后什么都不应该有：客户端正好读取 Content-Length 个字节，多出来的内容会被当成下一个响应的开头'),
    hint: t('Write the head, then the body, and nothing else — no extra "\\r\\n" after the body.', '先写头部，再写正文，别的什么都不要写——正文之后也不要再加 "\\r\\n"。'),
    conn: x.conn,
  });
}

/**
 * Sends `parts` with `pauseMs` between them and fails if any answer (or a close) comes before the
 * last part: a server must wait for the whole head. Returns when the last part is sent.
 */
export async function sendWithoutEarlyAnswer(ctx: CheckContext, conn: Conn, parts: readonly Buffer[], pauseMs: number, hint: Text): Promise<void> {
  const total = parts.reduce((n, p) => n + p.length, 0);
  let sent = 0;
  for (let i = 0; i < parts.length; i++) {
    try {
      await conn.send(parts[i]!);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      earlyAnswer(conn, sent, total, parts, pauseMs, hint);
    }
    sent += parts[i]!.length;
    if (i === parts.length - 1) break;
    await ctx.sleep(pauseMs);
    if (conn.buffered > 0 || conn.closed) earlyAnswer(conn, sent, total, parts, pauseMs, hint);
  }
}

export function earlyAnswer(conn: Conn, sent: number, total: number, parts: readonly Buffer[], pauseMs: number, hint: Text): never {
  const got = conn.peek();
  const how = got.length > 0 ? t(`answered (${got.length} bytes: ${escapeBytes(got, 40)})`, `就作出了回应（${got.length} 字节：${escapeBytes(got, 40)}）`) : t(conn.closed === 'reset' ? 'reset the connection' : 'closed the connection', conn.closed === 'reset' ? '就重置了连接' : '就关闭了连接');
  fail({
    kind: got.length > 0 ? 'wrong' : kindOf(conn.closed ?? 'closed'),
    summary: t(
      `after only ${sent} of the request's ${total} bytes, before the empty line that ends its head, the server ${how.en}`,
      `请求共 ${total} 字节，服务器只收到前 ${sent} 字节、还没等到结束请求头的空行，${how.zh}`,
    ),
    expected: t('no answer until the whole head has arrived (up to and including "\\r\\n\\r\\n")', '在整个请求头（直到并包括 "\\r\\n\\r\\n"）到达之前不作回应'),
    hint,
    conn,
    reproduce: reproduceInParts(parts, Math.max(pauseMs, 200)),
  });
}

export const HINT_WHOLE_HEAD = t(
  "One 'data' event is not one request: TCP may deliver the head in many pieces (or one byte at a time). Keep a buffer per connection, append each chunk (Buffer.concat), and only answer once it contains \"\\r\\n\\r\\n\". This is exactly what the seed's single recv(4096) gets wrong.",
  "一次 'data' 事件不等于一个请求：TCP 可能把请求头分成很多块送来（甚至一次一个字节）。给每个连接准备一个缓冲区，把每一块追加进去（Buffer.concat），等它包含 \"\\r\\n\\r\\n\" 之后才回应。种子代码里只调用一次 recv(4096)，错就错在这里。",
);

/**
 * An over-long request line or header section: the server may answer 4xx or close, but must not
 * crash or keep buffering forever. Then a normal request must still work.
 */
export async function expectOversizedRejected(ctx: CheckContext, target: () => string): Promise<void> {
  const filler = 'a'.repeat(1000);
  const cases = [
    {
      label: 'client 1 (over-long request line)',
      describe: t('a request line of 100 KiB with no end', '长达 100 KiB、没有结尾的请求行'),
      bytes: Buffer.from(`GET /${'a'.repeat(100 * 1024)}`),
      reproduce: nodeCommand(['"GET /"+"a".repeat(102400)'], { halfClose: false }),
    },
    {
      label: 'client 2 (oversized headers)',
      describe: t('a request line and 200 header lines of 1000 bytes, with no empty line', '一个请求行加上 200 行各 1000 字节的头部，没有空行'),
      bytes: Buffer.from(`GET / HTTP/1.1\r\nHost: localhost\r\n` + Array.from({ length: 200 }, (_, i) => `X-Filler-${i}: ${filler}\r\n`).join('')),
      reproduce: nodeCommand(['"GET / HTTP/1.1\\r\\nHost: localhost\\r\\n"+Array.from({length:200},(_,i)=>"X-Filler-"+i+": "+"a".repeat(1000)+"\\r\\n").join("")'], { halfClose: false }),
    },
  ];
  for (const c of cases) {
    const conn = await connectOrExplain(ctx, c.label);
    for (let off = 0; off < c.bytes.length && !conn.closed; off += 16 * 1024) {
      try {
        await conn.send(c.bytes.subarray(off, off + 16 * 1024));
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        break; // the server stopped listening to us: that is allowed
      }
    }
    const bound = 2500;
    const read = await receiveResponse(conn, { timeoutMs: bound });
    if (!read.ok) {
      if (conn.closed === 'fin' || conn.closed === 'reset') {
        conn.abort();
        continue; // closing is an answer too (and a half-written response before it is forgiven)
      }
      fail({
        kind: 'hung',
        summary: t(
          `we sent ${c.describe.en} (${c.bytes.length} bytes); ${formatMs(bound)} later the server had neither answered nor closed the connection — it is still waiting for the head to end, buffering all the while`,
          `我们发送了${c.describe.zh}（${c.bytes.length} 字节）；${formatMs(bound)} 之后服务器既没有回应也没有关闭连接——它还在等请求头结束，同时一直在缓冲`,
        ),
        expected: t('a 4xx answer (400, 414 or 431) or a closed connection, as soon as the head passes a size limit', '请求头一超过大小上限，就回应 4xx（400、414 或 431）或者关闭连接'),
        hint: t(
          'Cap the head: if the buffer passes a limit (8 KiB–64 KiB is usual) without "\\r\\n\\r\\n", answer 400 Bad Request (or 431) and close. Otherwise one client can make your server hold any amount of memory.',
          '给请求头设一个上限：如果缓冲区超过上限（通常是 8 KiB 到 64 KiB）还没有出现 "\\r\\n\\r\\n"，就回应 400 Bad Request（或 431）并关闭连接。否则任何一个客户端都能让你的服务器占用任意多的内存。',
        ),
        conn,
        reproduce: c.reproduce,
      });
    }
    const res = read.response;
    if (res.status < 400 || res.status > 499) {
      fail({
        summary: t(`the answer to ${c.describe.en} was ${res.status} ${res.reason}`, `对${c.describe.zh}的回应是 ${res.status} ${res.reason}`),
        expected: t('a 4xx status (400, 414 or 431), or closing the connection', '4xx 状态码（400、414 或 431），或者关闭连接'),
        hint: t('That head never ended, so there is no request to answer with a success. Reject it: 400 Bad Request (or 431) when the head grows past your limit.', '这个请求头根本没有结束，所以谈不上成功处理。拒绝它：请求头超过上限时回应 400 Bad Request（或 431）。'),
        conn,
        reproduce: c.reproduce,
      });
    }
    conn.abort();
  }
  const after = t('after two clients sent oversized heads', '在两个客户端发送了超大的请求头之后');
  const conn = await connectOrExplain(ctx, 'client 3', after);
  const init = { target: target() };
  await conn.send(buildRequest(init));
  const res = await readResponse(conn, { timeoutMs: REPLY_MS, what: t(`${after.en}, ${responseTo(requestName(init)).en}`, `${after.zh}，${responseTo(requestName(init)).zh}`) });
  if (res.status !== 200) {
    fail({
      summary: t(`${after.en}, GET ${init.target} was answered ${res.status} ${res.reason}`, `${after.zh}，GET ${init.target} 得到的是 ${res.status} ${res.reason}`),
      expected: t('200 OK: what happened on other connections does not matter to this one', '200 OK：其他连接上发生的事和这个连接无关'),
      conn,
    });
  }
}

