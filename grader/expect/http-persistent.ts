/**
 * Persistent HTTP/1.1 connections from the client's side. A real client on a kept-alive connection
 * reads a response *exactly*: the head, then as many body bytes as Content-Length says, and not one
 * byte more — whatever follows is the start of the next response. `readExact` reads that way (it
 * takes bytes from the connection only as it needs them, so the rest stays queued on the `Conn`),
 * and when something goes wrong it says so in the words of keep-alive: which response of how many,
 * on a connection that had already carried which requests.
 *
 * On top of it: a request `Step` with what its response must be, running steps one after another
 * or pipelined (`runSteps`), the end of a connection (`expectClosedAfter`), and the adversarial
 * client keep-alive needs (`readSlowly`).
 */
import { CheckFailure, fail, type FailureInit } from '../failure.ts';
import { t, type Text } from '../i18n.ts';
import type { CheckContext } from '../types.ts';
import { type Conn, WireError, formatMs } from '../wire/conn.ts';
import { escapeBytes } from '../wire/escape.ts';
import { buildRequest, reproduceInParts, requestName, scanResponseHead, type HeaderField, type HttpResponse, type RequestInit } from '../wire/http.ts';
import { expectBody, expectContentType, expectStatus, headProblem, type Exchange } from './http.ts';
import { kindOf } from './kinds.ts';

// ─── Hints shared by the checks of persistent connections ────────────────────────────────────────

export const HINT_KEEP_OPEN = t(
  'HTTP/1.1 connections are persistent: after a response, leave the socket open and keep reading it for the next request. Close only when the client says Connection: close, for an HTTP/1.0 client that did not ask for keep-alive, or after a malformed request. (Careful: socket.end() after each response closes it, and so does pipeline(file, socket), which ends the socket when the file ends.)',
  'HTTP/1.1 的连接是持久的：发完一个响应之后，保持 socket 打开，继续从它读取下一个请求。只有在客户端说 Connection: close、HTTP/1.0 客户端没有要求 keep-alive、或者收到格式错误的请求时才关闭。（注意：每个响应之后调用 socket.end() 会关闭连接；pipeline(file, socket) 也会，它在文件读完时结束 socket。）',
);

export const HINT_LOOP = t(
  "One 'data' event may carry several requests, or a piece of one. Keep a buffer per connection; after each chunk, take out every complete head it holds — in a loop — and keep the bytes after a head in the buffer: they are the start of the next request.",
  "一次 'data' 事件可能带来好几个请求，也可能只是一个请求的一部分。每个连接维护一个缓冲区；每收到一块，就循环取出其中所有完整的请求头，并把请求头之后的字节留在缓冲区里：它们是下一个请求的开头。",
);

export const HINT_CONTENT_LENGTH = t(
  'On a connection that stays open, Content-Length is the only way the client knows where a body ends — the end of the connection no longer marks it. Send it on every response that has a body (errors included), with the size in bytes.',
  '在保持打开的连接上，Content-Length 是客户端知道正文在哪里结束的唯一办法——连接的结束不再标志正文的结束。每个带正文的响应（包括错误响应）都要发送它，值为字节数。',
);

// ─── Reading one response exactly ────────────────────────────────────────────────────────────────

/** The response before this one on the same connection, so failures can speak of keep-alive. */
export interface Previous {
  /** "GET /a.css" */
  name: string;
  /** Its 1-based position among the responses on this connection. */
  index: number;
  /** For a HEAD: the body a GET would have carried (bytes a wrong server may send anyway). */
  headBody?: Buffer;
}

export interface ReadExactOptions {
  /** The request's method: a response to HEAD has no body. */
  method?: string;
  /** "the response to GET /a.css (request 2 of 4)" */
  what: Text;
  timeoutMs: number;
  hint?: Text;
  previous?: Previous;
  /** How the requests were sent, for messages about missing answers: "the 4 requests were sent in one write". */
  context?: Text;
  reproduce?: string;
}


const finSeen = (conn: Conn): boolean => conn.events.some((e) => e.kind === 'fin-received');

/**
 * Reads one response and nothing after it. Content-Length is required for a body (this is a
 * persistent connection: there is no other way to find its end); responses to HEAD, and 1xx, 204
 * and 304 responses, have none.
 */
export async function readExact(conn: Conn, o: ReadExactOptions): Promise<HttpResponse> {
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  const failWith = (init: Omit<FailureInit, 'conn'>): never => fail({ hint: o.hint, reproduce: o.reproduce, ...init, conn });
  const context = o.context ? t(` (${o.context.en})`, `（${o.context.zh}）`) : t('', '');
  let firstByteMs = -1;

  // The head: wait for bytes until the scan is complete, consuming nothing yet.
  let scan: ReturnType<typeof scanResponseHead>;
  for (;;) {
    const buf = conn.peek();
    scan = scanResponseHead(buf);
    if (scan.state === 'complete') break;
    if (scan.state === 'error') failWith(badHead(buf, { offset: scan.offset, ...headProblem(scan.rule, scan.line) }, o));
    if (buf.length > 64 * 1024) {
      failWith({
        kind: 'flooded',
        summary: t(`${o.what.en}: ${buf.length} bytes arrived and the head had still not ended with an empty line`, `${o.what.zh}：已经收到 ${buf.length} 字节，头部仍然没有以空行结束`),
        expected: t('a head of a few hundred bytes that ends with "\\r\\n\\r\\n"', '几百字节、以 "\\r\\n\\r\\n" 结尾的头部'),
      });
    }
    try {
      await conn.waitFor(buf.length + 1, Math.max(0, deadline - Date.now()));
      if (firstByteMs < 0) firstByteMs = Date.now() - started;
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      failWith(noHead(conn, err, buf, o, context));
    }
  }
  const head = await conn.read(scan.length, 0);
  const fields = scan.fields;
  const header = (name: string): string | undefined => {
    const found = fields.filter((f) => f.name.toLowerCase() === name.toLowerCase());
    return found.length ? found.map((f) => f.value).join(', ') : undefined;
  };
  const base = { version: scan.version, status: scan.status, reason: scan.reason, fields, header, head };
  const done = (framing: HttpResponse['framing'], body: Buffer): HttpResponse => ({ ...base, framing, body, firstByteMs: Math.max(0, firstByteMs), totalMs: Date.now() - started });

  const noBody = o.method === 'HEAD' || (scan.status >= 100 && scan.status < 200) || scan.status === 204 || scan.status === 304;
  if (noBody) return done('none', Buffer.alloc(0));

  const te = header('transfer-encoding');
  const cl = fields.filter((f) => f.name.toLowerCase() === 'content-length');
  if (te !== undefined || cl.length === 0) {
    failWith({
      summary: te !== undefined
        ? t(`${o.what.en}: the body is sent with Transfer-Encoding: ${te} instead of a Content-Length`, `${o.what.zh}：正文用的是 Transfer-Encoding: ${te}，而不是 Content-Length`)
        : t(
            `${o.what.en}: there is no Content-Length header — on a connection that stays open, the client cannot tell where this body ends and the next response begins`,
            `${o.what.zh}：没有 Content-Length 头部——在保持打开的连接上，客户端无法知道这个正文在哪里结束、下一个响应从哪里开始`,
          ),
      expected: t('Content-Length: the size of the body in bytes, on every response that has a body', 'Content-Length：正文的字节数，每个带正文的响应都要有'),
      caret: { data: head, offset: Math.max(0, head.length - 2), note: t('Content-Length belongs among these headers', 'Content-Length 应该出现在这些头部之中') },
      hint: HINT_CONTENT_LENGTH,
    });
  }
  const length = contentLength(head, cl, failWith, o.what);
  try {
    const body = length > 0 ? await conn.read(length, Math.max(0, deadline - Date.now())) : Buffer.alloc(0);
    return done('content-length', body);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    const got = conn.buffered;
    return failWith({
      kind: kindOf(err),
      summary:
        err.kind === 'closed' || err.kind === 'reset'
          ? t(`${o.what.en}: Content-Length announced ${length} body bytes, but the server ${err.kind === 'reset' ? 'reset' : 'closed'} the connection after ${got}`, `${o.what.zh}：Content-Length 声明正文有 ${length} 字节，但服务器只发了 ${got} 字节就${err.kind === 'reset' ? '重置' : '关闭'}了连接`)
          : err.kind === 'timeout'
            ? t(`${o.what.en}: Content-Length announced ${length} body bytes, but only ${got} arrived within ${formatMs(o.timeoutMs)}`, `${o.what.zh}：Content-Length 声明正文有 ${length} 字节，但 ${formatMs(o.timeoutMs)} 内只收到 ${got} 字节`)
            : t(`${o.what.en}: ${err.text.en}`, `${o.what.zh}：${err.text.zh}`),
      expected: t(`exactly ${length} bytes after the empty line, as Content-Length says`, `空行之后正好 ${length} 字节，和 Content-Length 一致`),
    });
  }
}

/** The one Content-Length value (digits only; repeats must agree), or a failure pointing at it. */
function contentLength(head: Buffer, cl: HeaderField[], failWith: (init: Omit<FailureInit, 'conn'>) => never, what: Text): number {
  const values = new Set<string>();
  for (const f of cl) {
    for (const part of f.value.split(',')) {
      const v = part.trim();
      if (!/^\d+$/.test(v)) {
        failWith({
          summary: t(`${what.en}: Content-Length is not a number of bytes: "${f.value}"`, `${what.zh}：Content-Length 不是一个字节数："${f.value}"`),
          caret: { data: head, offset: f.valueOffset, note: t('Content-Length is digits only: the body size in bytes', 'Content-Length 只能是数字：正文的字节数') },
        });
      }
      values.add(v.replace(/^0+(?=\d)/, ''));
    }
  }
  if (values.size > 1) {
    failWith({
      summary: t(`${what.en}: conflicting Content-Length values (${[...values].join(' and ')})`, `${what.zh}：Content-Length 的值互相矛盾（${[...values].join(' 和 ')}）`),
      caret: { data: head, offset: cl[cl.length - 1]!.valueOffset, note: t('send Content-Length once, with the body size in bytes', 'Content-Length 只发送一次，值为正文的字节数') },
    });
  }
  return Number([...values][0]);
}

/** Where the next response should start, something else is: usually the tail of the previous one. */
function badHead(buf: Buffer, scan: { offset: number; note: Text; summary: Text }, o: ReadExactOptions): Omit<FailureInit, 'conn'> {
  const p = o.previous;
  if (p && scan.offset < 5) {
    const headBody = p.headBody && p.headBody.length > 0 && buf.subarray(0, Math.min(buf.length, 16)).equals(p.headBody.subarray(0, Math.min(buf.length, 16)));
    return {
      summary: headBody
        ? t(
            `${o.what.en}: where it should begin, the bytes that arrived look like the body of ${p.name.replace(/^HEAD /, '')} — the response to ${p.name} was followed by a body, which the client took as the start of the next response: ${escapeBytes(buf, 50)}`,
            `${o.what.zh}：本该是它开头的地方，到达的字节看起来是 ${p.name.replace(/^HEAD /, '')} 的正文——${p.name} 的响应后面跟了正文，客户端把它当成了下一个响应的开头：${escapeBytes(buf, 50)}`,
          )
        : t(
            `${o.what.en}: after response ${p.index} (to ${p.name}) ended where its Content-Length said, the next bytes are not a status line: ${escapeBytes(buf, 50)}`,
            `${o.what.zh}：第 ${p.index} 个响应（${p.name} 的响应）在它的 Content-Length 所说的位置结束之后，接下来的字节不是状态行：${escapeBytes(buf, 50)}`,
          ),
      caret: { data: buf, offset: scan.offset, note: scan.note },
      expected: t('the next response, starting with its status line (HTTP/1.1 …) right after the previous one', '下一个响应紧跟在上一个之后，以状态行（HTTP/1.1 …）开头'),
      hint: headBody
        ? t(
            'A response to HEAD is the head only: the same status line and headers as GET (Content-Length included), then the empty line — and nothing after it. On a kept-alive connection any bytes you send anyway are read as the start of the next response.',
            'HEAD 的响应只有头部：和 GET 一样的状态行和头部（包括 Content-Length），然后是空行——之后什么都没有。在保持打开的连接上，你多发的任何字节都会被当成下一个响应的开头。',
          )
        : t(
            'Each response must be exactly its head plus Content-Length bytes of body, and nothing else: no extra "\\r\\n" after a body, and a Content-Length that counts bytes, not characters. The client reads the next response right where the previous one ends.',
            '每个响应必须正好是它的头部加上 Content-Length 个字节的正文，别的什么都没有：正文后面不要多加 "\\r\\n"，Content-Length 要按字节而不是字符计算。客户端会从上一个响应结束的地方开始读下一个响应。',
          ),
    };
  }
  return {
    summary: t(`${o.what.en}: ${scan.summary.en}`, `${o.what.zh}：${scan.summary.zh}`),
    caret: { data: buf, offset: scan.offset, note: scan.note },
    expected: t('HTTP/1.1 200 OK\\r\\n, then one "Name: value\\r\\n" line per header, then "\\r\\n", then the body', 'HTTP/1.1 200 OK\\r\\n，然后每个头部一行 "Name: value\\r\\n"，接着是 "\\r\\n"，最后是正文'),
    hint: t(
      'The head of a response is lines of text, each ending in CR LF ("\\r\\n"): the status line, one line per header, then an empty line. Only then the body.',
      '响应的头部由若干行文本组成，每行都以 CR LF（"\\r\\n"）结尾：先是状态行，然后每个头部一行，再是一个空行。之后才是正文。',
    ),
  };
}

/** No complete head arrived: the connection ended or went quiet. Keep-alive failures are named as such. */
function noHead(conn: Conn, err: WireError, buf: Buffer, o: ReadExactOptions, context: Text): Omit<FailureInit, 'conn'> {
  const p = o.previous;
  const ended = err.kind === 'closed' || err.kind === 'reset';
  if (buf.length === 0 && p && ended) {
    // A server that closes after each response: its FIN may come before or after our next request
    // (then the kernel answers that request with a reset). Either way it closed after response p:
    // one kind for both.
    const how = finSeen(conn) ? t('closed', '关闭了') : t('reset', '重置了');
    return {
      kind: 'closed-early',
      summary: t(
        `${o.what.en}: the server ${how.en} the connection after response ${p.index} (to ${p.name}) instead of reading the next request on it${context.en}`,
        `${o.what.zh}：服务器在第 ${p.index} 个响应（${p.name} 的响应）之后就${how.zh}连接，没有在这个连接上继续读取下一个请求${context.zh}`,
      ),
      expected: t('the connection stays open after a response, and the next request on it is answered', '响应之后连接保持打开，连接上的下一个请求也会得到回应'),
      hint: HINT_KEEP_OPEN,
    };
  }
  if (buf.length === 0 && p && err.kind === 'timeout') {
    return {
      kind: 'hung',
      summary: t(
        `${o.what.en}: nothing came within ${formatMs(o.timeoutMs)} after response ${p.index} (to ${p.name}); the connection stayed open${context.en}`,
        `${o.what.zh}：在第 ${p.index} 个响应（${p.name} 的响应）之后 ${formatMs(o.timeoutMs)} 内什么都没有收到，连接一直开着${context.zh}`,
      ),
      expected: t('a response to every request sent on the connection, in order', '连接上发送的每个请求都按顺序得到响应'),
      hint: o.hint ?? HINT_LOOP,
    };
  }
  if (buf.length === 0) {
    return {
      ...(err.kind === 'timeout'
        ? {
            hint: o.hint ?? t(
              'Nothing came back on this connection. Is the server reading it? Every connection must be served at once: one must never wait for another client, even one whose connection stays open or is closing.',
              '这个连接上什么都没有回来。服务器在读取它吗？每个连接都必须同时得到服务：一个连接绝不能等另一个客户端，即使那个客户端的连接一直开着或正在关闭。',
            ),
          }
        : {}),
      kind: kindOf(err),
      summary:
        err.kind === 'closed'
          ? t(`${o.what.en}: the server closed the connection without sending any response`, `${o.what.zh}：服务器什么响应都没发就关闭了连接`)
          : err.kind === 'timeout'
            ? t(`${o.what.en}: nothing came back within ${formatMs(o.timeoutMs)}`, `${o.what.zh}：${formatMs(o.timeoutMs)} 内什么都没有收到`)
            : t(`${o.what.en}: ${err.text.en}`, `${o.what.zh}：${err.text.zh}`),
      expected: t('a response starting with a status line such as HTTP/1.1 200 OK', '一个以状态行（例如 HTTP/1.1 200 OK）开头的响应'),
    };
  }
  const how = err.kind === 'closed' ? t('the server closed the connection', '服务器关闭了连接') : err.kind === 'timeout' ? t(`nothing more came within ${formatMs(o.timeoutMs)}`, `${formatMs(o.timeoutMs)} 内没有再收到任何数据`) : err.text;
  return {
    kind: kindOf(err),
    summary: t(`${o.what.en}: the head stopped after ${buf.length} bytes, before the empty line that ends it — ${how.en}`, `${o.what.zh}：头部只收到 ${buf.length} 字节就断了，没有等到结束头部的空行——${how.zh}`),
    caret: { data: buf, offset: buf.length, note: t('the head ends with an empty line', '头部以一个空行结束') },
  };
}

// ─── Requests with what their responses must be ──────────────────────────────────────────────────

export interface Expectation {
  status: number | readonly number[];
  /** The body of the response to GET (for HEAD: the body GET carries, whose size Content-Length must be). */
  body?: Buffer;
  /** What the body is, for messages: "style.css", "error.html". */
  file?: string;
  /** Acceptable Content-Types (parameters aside). */
  types?: readonly string[];
}

export interface Step {
  init: RequestInit;
  /** "GET /a.css" */
  name: string;
  request: Buffer;
  expect: Expectation;
}

export function step(init: RequestInit, expect: Expectation): Step {
  return { init, name: requestName(init), request: buildRequest(init), expect };
}

const method = (s: Step): string => s.init.method ?? 'GET';

/** "1st", "2nd" … in English; the Chinese uses 第 N 个. */
const ordinal = (n: number): string => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;

/** Does `res` look like the answer to `s` (status and body)? Used to tell a wrong answer from a misplaced one. */
function answers(res: HttpResponse, s: Step): boolean {
  const ok = typeof s.expect.status === 'number' ? [s.expect.status] : s.expect.status;
  if (!ok.includes(res.status)) return false;
  if (s.expect.body === undefined) return true;
  return method(s) === 'HEAD' ? res.body.length === 0 && res.header('content-length') === String(s.expect.body.length) : res.body.equals(s.expect.body);
}

/** Checks one response against its step: order first (is it another request's answer?), then status, type, body. */
export async function expectAnswer(x: Exchange, steps: readonly Step[], i: number, hint?: Text): Promise<void> {
  const s = steps[i]!;
  if (!answers(x.res, s)) {
    const other = steps.findIndex((o, j) => j !== i && o.expect.body !== undefined && method(o) === 'GET' && x.res.body.length > 0 && answers(x.res, o));
    if (other >= 0) {
      fail({
        summary: t(
          `${x.what.en}: it is the answer to ${steps[other]!.name}, the ${ordinal(other + 1)} request — the responses came out of order`,
          `${x.what.zh}：它其实是第 ${other + 1} 个请求 ${steps[other]!.name} 的回应——响应的顺序乱了`,
        ),
        expected: t(`the answer to ${s.name} here: responses come in the order of the requests`, `这里应该是 ${s.name} 的回应：响应的顺序必须和请求的顺序一致`),
        hint: t(
          'Answer the requests of a connection strictly one after another: start writing response 2 only after response 1 has been written completely (its whole file, too). A promise chain per connection does it: chain = chain.then(() => respond(request)). A file you stream without awaiting its end lets the next response overtake it.',
          '一个连接上的请求必须严格依次回应：只有在响应 1 完整写出（包括整个文件）之后，才开始写响应 2。每个连接一条 Promise 链就能做到：chain = chain.then(() => respond(request))。如果你以流的方式发送文件却不等它结束，下一个响应就会抢到它前面。',
        ),
        conn: x.conn,
      });
    }
  }
  const wanted = typeof s.expect.status === 'number' ? [s.expect.status] : s.expect.status;
  if (x.res.status === 400 && !wanted.includes(400)) {
    // Our request is well-formed: a 400 means the server read it from the wrong place.
    fail({
      summary: t(
        `${x.what.en}: the status is 400 Bad Request, but that request was well-formed (${escapeBytes(s.request, 60)}) — the server must have parsed it from the wrong bytes: part of it lost, or bytes of another request taken as part of it`,
        `${x.what.zh}：状态码是 400 Bad Request，可这个请求的格式是正确的（${escapeBytes(s.request, 60)}）——服务器一定是从错误的字节开始解析它的：要么丢了它的一部分，要么把别的请求的字节当成了它的一部分`,
      ),
      expected: t(`status ${wanted.join(' or ')}`, `状态码 ${wanted.join(' 或 ')}`),
      hint: hint ?? HINT_LOOP,
      conn: x.conn,
    });
  }
  expectStatus(x, s.expect.status, hint);
  if (method(s) === 'HEAD') {
    if (s.expect.body !== undefined && x.res.header('content-length') !== String(s.expect.body.length)) {
      fail({
        summary: t(`${x.what.en}: Content-Length is ${JSON.stringify(x.res.header('content-length') ?? null)}, but GET would send ${s.expect.body.length} bytes`, `${x.what.zh}：Content-Length 是 ${JSON.stringify(x.res.header('content-length') ?? null)}，而 GET 会发送 ${s.expect.body.length} 字节`),
        expected: t(`Content-Length: ${s.expect.body.length} — the headers GET would send, without the body`, `Content-Length: ${s.expect.body.length}——和 GET 一样的头部，只是没有正文`),
        hint: t('Answer HEAD with exactly the head GET would send — Content-Length included — and no body.', '对 HEAD 的回应正好是 GET 会发送的头部——包括 Content-Length——但没有正文。'),
        conn: x.conn,
      });
    }
    return;
  }
  if (s.expect.types && s.expect.file) expectContentType(x, s.expect.types, s.expect.file);
  const want = s.expect.body;
  if (want !== undefined && !x.res.body.equals(want)) {
    // Another response's head inside this body: it was written while this file was still going out.
    const at = x.res.body.indexOf('HTTP/1.');
    if (at >= 0 && want.indexOf('HTTP/1.', Math.max(0, at - 16)) !== at) {
      fail({
        summary: t(
          `${x.what.en}: at byte ${at} of its body, the head of another response begins (${escapeBytes(x.res.body.subarray(at), 40)}) — a later response was written while the file of this one was still being sent`,
          `${x.what.zh}：在正文的第 ${at} 字节处，出现了另一个响应的头部（${escapeBytes(x.res.body.subarray(at), 40)}）——后面的响应在这个文件还没发完时就写出去了`,
        ),
        expected: t(`the ${want.length} bytes of ${s.expect.file ?? 'the file'}, whole, and only then the next response: responses come in order, one at a time`, `先是 ${s.expect.file ?? '文件'} 完整的 ${want.length} 个字节，然后才是下一个响应：响应按顺序、一个一个地发送`),
        diff: { expected: want, actual: x.res.body },
        hint: t(
          'Wait until a file has been written completely before you start the next response: await the end of the copy (for await … of the read stream, waiting for drain), inside one promise chain per connection. Writing response 2 while response 1 is still streaming mixes their bytes.',
          '等一个文件完整写出之后，再开始下一个响应：等待复制结束（用 "for await (const chunk of stream)" 逐块写出，写满时等 "drain"），放在每个连接一条的 Promise 链里。在响应 1 还在以流发送时就写响应 2，两者的字节就会混在一起。',
        ),
        conn: x.conn,
      });
    }
  }
  if (want !== undefined) await expectBody(x, want, s.expect.file ?? 'the page', hint);
}

// ─── Running steps on one connection ─────────────────────────────────────────────────────────────

export interface RunOptions {
  /** One after another (each sent when the previous answer is in), or all sent first. */
  mode: 'one-by-one' | 'pipelined';
  /** Pipelined only: the bytes of all requests as the writes to make (default: one write). */
  writes?: readonly Buffer[];
  /** Pause between those writes. */
  pauseMs?: number;
  /** Bound on each response (default 2 s); a step's own bound may be larger (`slowSteps`). */
  timeoutMs?: number;
  /** Bounds for particular steps (a large file read slowly). */
  timeoutFor?: (i: number) => number | undefined;
  hint?: Text;
  /** Responses read before these steps on the same connection (so messages can count them). */
  before?: Previous;
  /** How the requests were sent, for messages ("the 4 requests were sent in one write"). */
  context?: Text;
  /** How many requests the connection carries in all, when more are sent than read here. */
  of?: number;
  /** The command to replay this, when the default (every write 300 ms apart) would not do. */
  reproduce?: string;
}

/** Where in the sequence a response is: "the response to GET /a (request 2 of 4)". */
export function whatFor(s: Step, i: number, n: number, offset = 0): Text {
  return n + offset > 1
    ? t(`the response to ${s.name} (request ${i + 1 + offset} of ${n + offset} on this connection)`, `${s.name} 的响应（这个连接上 ${n + offset} 个请求中的第 ${i + 1 + offset} 个）`)
    : t(`the response to ${s.name}`, `${s.name} 的响应`);
}

/** Runs `fn`; a failure without a replay command of its own gets `reproduce`. */
export async function withReproduce<T>(reproduce: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // The transcript's default replay (everything in one write, then FIN) is not what happened on
    // a persistent connection: give ours.
    if (err instanceof CheckFailure && !err.init.reproduce) throw new CheckFailure({ ...err.init, reproduce });
    throw err;
  }
}

/** What we have written on `conn` so far, write by write. */
const sentSoFar = (conn: Conn): Buffer[] => conn.events.flatMap((e) => (e.kind === 'send' ? [e.bytes] : []));

/**
 * A command that replays a connection against a server run by hand on port 9000 and prints what
 * comes back: the writes made so far, then `more`, `pauseMs` apart. It leaves the connection open,
 * as our client does, so the server's own closing (or not) shows.
 */
export function reproduceConn(conn: Conn, more: readonly Buffer[] = [], pauseMs = 300): string {
  return reproduceInParts([...sentSoFar(conn), ...more], pauseMs);
}

/** The replay of `steps` on `conn`, as `runSteps` is about to send them. */
function reproduceSteps(conn: Conn, steps: readonly Step[], o: RunOptions): string {
  if (o.reproduce) return o.reproduce;
  if (o.mode === 'one-by-one') return reproduceConn(conn, steps.map((s) => s.request));
  return reproduceConn(conn, o.writes ?? [Buffer.concat(steps.map((s) => s.request))], sentSoFar(conn).length ? 300 : Math.max(o.pauseMs ?? 0, 50));
}

/** Sends `writes` with `pauseMs` between them; stops quietly if the server closes meanwhile (reading will say what happened). */
export async function sendWrites(ctx: CheckContext, conn: Conn, writes: readonly Buffer[], pauseMs: number): Promise<void> {
  for (let i = 0; i < writes.length; i++) {
    if (conn.closed) return;
    try {
      await conn.send(writes[i]!);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      return;
    }
    if (i < writes.length - 1 && pauseMs > 0) await ctx.sleep(pauseMs);
  }
}

/**
 * Runs `steps` on `conn` and checks each response against its step, in order. One by one: each
 * request is sent when the previous response is complete. Pipelined: all requests go out first (in
 * the writes given), then the responses are read. Returns the exchanges.
 */
export async function runSteps(ctx: CheckContext, conn: Conn, steps: readonly Step[], o: RunOptions): Promise<Exchange[]> {
  const reproduce = reproduceSteps(conn, steps, o);
  const offset = o.before?.index ?? 0;
  if (o.mode === 'pipelined') await sendWrites(ctx, conn, o.writes ?? [Buffer.concat(steps.map((s) => s.request))], o.pauseMs ?? 0);
  const out: Exchange[] = [];
  let previous = o.before;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (o.mode === 'one-by-one') {
      // A moment for a FIN that follows the previous response to arrive, so a server that closes
      // after each response is seen closing (not resetting our next request): same verdict every run.
      if (i > 0 || previous) await ctx.sleep(3);
      await sendWrites(ctx, conn, [s.request], 0);
    }
    const what = whatFor(s, i, o.of ? o.of - offset : steps.length, offset);
    const res = await readExact(conn, {
      method: method(s),
      what,
      timeoutMs: o.timeoutFor?.(i) ?? o.timeoutMs ?? 2000,
      hint: o.hint,
      previous,
      context: o.context,
      reproduce,
    });
    const x: Exchange = { conn, res, request: s.request, name: s.name, what };
    await withReproduce(reproduce, () => expectAnswer(x, steps, i, o.hint));
    out.push(x);
    previous = { name: s.name, index: i + 1 + offset, ...(method(s) === 'HEAD' && s.expect.body ? { headBody: s.expect.body } : {}) };
  }
  return out;
}

// ─── The end of a connection ─────────────────────────────────────────────────────────────────────

/** The tokens of the response's Connection header, lower-cased: "Keep-Alive, close" → ["keep-alive", "close"]. */
export function connectionTokens(res: HttpResponse): string[] {
  return (res.header('connection') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
}

/** The response carries `Connection: <token>` (case-insensitive, among others). */
export function expectConnectionHeader(x: Exchange, token: 'close' | 'keep-alive', why: Text, hint: Text): void {
  if (connectionTokens(x.res).includes(token)) return;
  const got = x.res.header('connection');
  fail({
    summary: t(
      `${x.what.en}: ${got === undefined ? 'there is no Connection header' : `the Connection header is "${got}"`}, but ${why.en}`,
      `${x.what.zh}：${got === undefined ? '没有 Connection 头部' : `Connection 头部是 "${got}"`}，但是${why.zh}`,
    ),
    expected: t(`Connection: ${token} among the headers`, `头部中有 Connection: ${token}`),
    caret: { data: x.res.head, offset: Math.max(0, x.res.head.length - 2), note: t(`Connection: ${token} belongs here`, `这里应该有 Connection: ${token}`) },
    hint,
    conn: x.conn,
    reproduce: reproduceConn(x.conn),
  });
}

/**
 * After the response that should be the connection's last: nothing more arrives, and the server
 * closes (FIN, or a reset — the response is complete either way) within `ms`.
 */
export async function expectClosedAfter(x: Exchange, ms: number, why: Text, hint: Text): Promise<void> {
  const { data, how } = await x.conn.readToEnd(ms);
  if (data.length > 0) {
    const looksLikeResponse = data.subarray(0, 5).toString('latin1') === 'HTTP/';
    fail({
      summary: looksLikeResponse
        ? t(
            `${x.what.en} should have been the last on this connection (${why.en}), but another response followed: ${escapeBytes(data, 60)}`,
            `${x.what.zh}应该是这个连接上的最后一个响应（${why.zh}），后面却又来了一个响应：${escapeBytes(data, 60)}`,
          )
        : t(
            `${x.what.en} should have been the last on this connection (${why.en}), but ${data.length} more bytes followed: ${escapeBytes(data, 60)}`,
            `${x.what.zh}应该是这个连接上的最后一个响应（${why.zh}），后面却又来了 ${data.length} 字节：${escapeBytes(data, 60)}`,
          ),
      expected: t('nothing after that response, then the server closes the connection', '那个响应之后什么都没有，然后服务器关闭连接'),
      hint,
      conn: x.conn,
      reproduce: reproduceConn(x.conn),
    });
  }
  if (how === 'open') {
    fail({
      kind: 'not-closed',
      summary: t(
        `${x.what.en}: the server should close the connection after it (${why.en}), but ${formatMs(ms)} later the connection was still open`,
        `${x.what.zh}：服务器应该在它之后关闭连接（${why.zh}），可是 ${formatMs(ms)} 之后连接仍然开着`,
      ),
      expected: t('the server closes the connection right after this response (FIN)', '服务器在这个响应之后立即关闭连接（FIN）'),
      hint,
      conn: x.conn,
      reproduce: reproduceConn(x.conn),
    });
  }
}

/**
 * Waits for clients that run at once, and throws the failure of the first of them (in the order
 * given) that fails: the same report every run, and no waiting for the others once an earlier one
 * has failed.
 */
export async function firstFailureInOrder(clients: readonly Promise<void>[]): Promise<void> {
  for (const c of clients) c.catch(() => {}); // the ones left running when an earlier one fails
  for (const c of clients) await c;
}

// ─── The adversarial client ──────────────────────────────────────────────────────────────────────

/**
 * A slow reader: reads for `burstMs`, stops reading for `pauseMs`, again and again, until stopped
 * or the connection ends. While it does not read, the kernel's buffers fill and the server's writes
 * must wait (backpressure). Returns the function that stops it (reading resumes normally).
 */
export function readSlowly(conn: Conn, o: { burstMs: number; pauseMs: number; firstPauseMs?: number }): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const cycle = (reading: boolean): void => {
    if (stopped || conn.closed) return;
    if (reading) conn.resumeReading();
    else conn.holdReading();
    timer = setTimeout(() => cycle(!reading), reading ? o.burstMs : o.pauseMs);
  };
  conn.holdReading();
  timer = setTimeout(() => cycle(true), o.firstPauseMs ?? o.pauseMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
    conn.resumeReading();
  };
}
