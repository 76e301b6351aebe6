/**
 * Stage 2 — a fixed page over HTTP. Every request, however its bytes arrive, gets
 * `HTTP/1.1 200 OK` with index.html from the document root, a Content-Type and a Content-Length
 * counted in bytes. The helpers at the top are the HTTP assertions the later stages share.
 */
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSite, prepareSite, readSiteFile } from '../docroot.ts';
import { CheckFailure, fail } from '../failure.ts';
import { t, type Text } from '../i18n.ts';
import type { Rng } from '../rng.ts';
import type { Check, CheckContext } from '../types.ts';
import { type Conn, WireError, formatMs } from '../wire/conn.ts';
import { escapeBytes, firstDifference } from '../wire/escape.ts';
import { buildRequest, parseMediaType, readResponse, reproduceInParts, requestName, takeLeftover, type HttpResponse, type RequestInit } from '../wire/http.ts';
import { splitRandomly } from './expect.ts';

// ─── Shared HTTP assertions ─────────────────────────────────────────────────────────────────────

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
  opts: { label?: string; timeoutMs?: number; hint?: Text; maxBodyBytes?: number } = {},
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
export async function connectOrExplain(ctx: CheckContext, label?: string, after?: Text): Promise<Conn> {
  try {
    return await ctx.connect(label);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    fail({
      kind: err.kind === 'refused' ? 'crashed' : 'hung',
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
  const wanted = ok.join(' or ');
  fail({
    summary: t(`${x.what.en}: the status is ${x.res.status} ${x.res.reason}, expected ${wanted}`, `${x.what.zh}：状态码是 ${x.res.status} ${x.res.reason}，应该是 ${wanted}`),
    expected: expected ?? t(`status ${wanted}`, `状态码 ${wanted}`),
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

function earlyAnswer(conn: Conn, sent: number, total: number, parts: readonly Buffer[], pauseMs: number, hint: Text): never {
  const got = conn.peek();
  const how = got.length > 0 ? t(`answered (${got.length} bytes: ${escapeBytes(got, 40)})`, `就作出了回应（${got.length} 字节：${escapeBytes(got, 40)}）`) : t(conn.closed === 'reset' ? 'reset the connection' : 'closed the connection', conn.closed === 'reset' ? '就重置了连接' : '就关闭了连接');
  fail({
    kind: got.length > 0 ? 'wrong' : conn.closed === 'reset' ? 'reset' : 'closed-early',
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
      reproduce: `{ printf 'GET /'; head -c 102400 /dev/zero | tr '\\0' a; } | nc 127.0.0.1 9000`,
    },
    {
      label: 'client 2 (oversized headers)',
      describe: t('a request line and 200 header lines of 1000 bytes, with no empty line', '一个请求行加上 200 行各 1000 字节的头部，没有空行'),
      bytes: Buffer.from(`GET / HTTP/1.1\r\nHost: localhost\r\n` + Array.from({ length: 200 }, (_, i) => `X-Filler-${i}: ${filler}\r\n`).join('')),
      reproduce: `{ printf 'GET / HTTP/1.1\\r\\nHost: localhost\\r\\n'; for i in $(seq 200); do printf 'X-Filler-%s: %s\\r\\n' $i $(head -c 1000 /dev/zero | tr '\\0' a); done; } | nc 127.0.0.1 9000`,
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
    let res: HttpResponse | undefined;
    try {
      res = await readResponse(conn, { timeoutMs: bound, what: t(`the answer to ${c.describe.en}`, `对${c.describe.zh}的回应`) });
    } catch (err) {
      if (!(err instanceof CheckFailure)) throw err;
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

// ─── Stage 2 ─────────────────────────────────────────────────────────────────────────────────────

const INDEX = 'index.html';

const HINT_STATIC_DIR = t(
  'Serve the file from the folder in the STATIC_DIR environment variable — the grader makes a new one with random content every run: path.join(process.env.STATIC_DIR ?? "static", "index.html").',
  '从环境变量 STATIC_DIR 指定的文件夹里读取文件——评测器每次运行都会新建一个、内容随机：path.join(process.env.STATIC_DIR ?? "static", "index.html")。',
);

const indexBytes = (ctx: CheckContext): Buffer => readSiteFile(loadSite(ctx.root), INDEX);

/** A request like a browser's: a few headers, so a head is more than one short line. */
const get = (target: string): RequestInit => ({
  target,
  headers: [
    ['User-Agent', 'socklab-grader'],
    ['Accept', 'text/html,*/*;q=0.8'],
    ['Accept-Language', 'zh-CN,en;q=0.5'],
  ],
});

export const checks: Check[] = [
  {
    id: '2.1',
    title: t('GET / is answered HTTP/1.1 200 OK', 'GET / 得到 HTTP/1.1 200 OK'),
    points: 2,
    timeoutMs: 4000,
    async run(ctx) {
      const x = await exchange(ctx, get('/'));
      expectVersion(x);
      expectStatus(x, 200, t('Every request gets the page in this stage, so the status line is always HTTP/1.1 200 OK.', '这一关每个请求都得到这个页面，所以状态行总是 HTTP/1.1 200 OK。'));
    },
  },
  {
    id: '2.2',
    title: t('Content-Type: text/html; charset=utf-8', 'Content-Type: text/html; charset=utf-8'),
    points: 1,
    timeoutMs: 4000,
    async run(ctx) {
      const x = await exchange(ctx, get('/'));
      expectContentType(x, ['text/html'], INDEX, 'utf-8');
    },
  },
  {
    id: '2.3',
    title: t('the body is index.html, with Content-Length in bytes', '正文是 index.html，Content-Length 按字节计'),
    points: 2,
    timeoutMs: 4000,
    async run(ctx) {
      const x = await exchange(ctx, get('/'));
      await expectBody(x, indexBytes(ctx), INDEX, HINT_STATIC_DIR);
      await expectNothingAfter(x, 60);
    },
  },
  {
    id: '2.4',
    title: t('index.html is read afresh for every request', '每个请求都重新读取 index.html'),
    points: 1,
    timeoutMs: 5000,
    async run(ctx) {
      const first = await exchange(ctx, get('/'), { label: 'client 1' });
      await expectBody(first, indexBytes(ctx), INDEX, HINT_STATIC_DIR);
      // Change the page the way an author would, then ask again.
      const site = loadSite(ctx.root);
      const updated = Buffer.from(`<!doctype html>\n<html lang="zh-CN">\n<head><meta charset="utf-8"><title>已更新 ${ctx.rng.word()}</title></head>\n<body><p>页面刚刚改过 ✍️ ${ctx.rng.word()} ${ctx.rng.word()}</p></body>\n</html>\n`);
      const tmp = path.join(site.root, `.${INDEX}.${ctx.rng.word()}`);
      writeFileSync(tmp, updated);
      renameSync(tmp, path.join(site.root, INDEX));
      const second = await exchange(ctx, get('/'), { label: 'client 2' });
      if (second.res.body.equals(first.res.body) && !first.res.body.equals(updated)) {
        fail({
          summary: t(
            `we changed ${INDEX} between two requests, but the second response still carried the old page (${first.res.body.length} bytes)`,
            `我们在两次请求之间修改了 ${INDEX}，可是第二次响应仍然是旧页面（${first.res.body.length} 字节）`,
          ),
          expected: t(`the new ${INDEX} (${updated.length} bytes)`, `新的 ${INDEX}（${updated.length} 字节）`),
          hint: t(
            'Read the file inside the connection handler, for every request — not once when the server starts. Then whoever edits the site sees the change without restarting the server.',
            '在连接的处理函数里、每个请求都读取一次文件——而不是在服务器启动时只读一次。这样修改网站的人不用重启服务器就能看到变化。',
          ),
          conn: second.conn,
        });
      }
      await expectBody(second, updated, INDEX);
    },
  },
  {
    id: '2.5',
    title: t('any path gets the same page', '任何路径都得到同一个页面'),
    points: 1,
    timeoutMs: 4000,
    async run(ctx) {
      const target = `/${ctx.rng.word()}/${ctx.rng.word()}.html?${ctx.rng.word()}=${ctx.rng.int(1, 99)}`;
      const x = await exchange(ctx, get(target));
      expectStatus(x, 200, t('In this stage the path does not matter: every request gets index.html with 200 OK. (Routing comes in stage 3.)', '这一关不看路径：每个请求都得到 index.html 和 200 OK。（路由是第 3 关的内容。）'));
      await expectBody(x, indexBytes(ctx), INDEX);
    },
  },
  {
    id: '2.6',
    title: t('a request that arrives one byte at a time', '一次只到一个字节的请求'),
    points: 2,
    timeoutMs: 6000,
    async run(ctx) {
      const conn = await connectOrExplain(ctx);
      const request = buildRequest(get('/'));
      const bytes = [...request].map((b) => Buffer.from([b]));
      await sendWithoutEarlyAnswer(ctx, conn, bytes, 1, HINT_WHOLE_HEAD);
      const x = await readExchange(conn, request, 'GET /', t(`the response to GET /, sent in ${bytes.length} one-byte writes`, `分 ${bytes.length} 次、每次一个字节发送的 GET / 的响应`), { hint: HINT_WHOLE_HEAD });
      expectStatus(x, 200);
      await expectBody(x, indexBytes(ctx), INDEX);
    },
  },
  {
    id: '2.7',
    title: t('a request in two parts: no answer before the empty line', '分两段到达的请求：空行之前不作回应'),
    points: 2,
    timeoutMs: 5000,
    async run(ctx) {
      const conn = await connectOrExplain(ctx);
      const request = buildRequest(get('/'));
      // Cut somewhere in the headers, so the first part looks like a request but is not all of it.
      const firstLineEnd = request.indexOf('\r\n') + 2;
      const cut = ctx.rng.int(firstLineEnd, request.length - 5);
      const parts = [request.subarray(0, cut), request.subarray(cut)];
      await sendWithoutEarlyAnswer(ctx, conn, parts, 300, HINT_WHOLE_HEAD);
      const x = await readExchange(conn, request, 'GET /', t(`the response to GET /, sent as ${cut} + ${request.length - cut} bytes 300 ms apart`, `分两段（${cut} + ${request.length - cut} 字节，间隔 300 毫秒）发送的 GET / 的响应`), { hint: HINT_WHOLE_HEAD });
      expectStatus(x, 200);
      await expectBody(x, indexBytes(ctx), INDEX);
    },
  },
  {
    id: '2.8',
    title: t("a request followed at once by the client's FIN", '请求之后紧跟着客户端的 FIN'),
    points: 1,
    timeoutMs: 5000,
    async run(ctx) {
      // printf '…' | nc -N does exactly this: the request, then "I have nothing more to send". The
      // client still wants its answer — half-close closes one direction only. Whether a server that
      // gets this wrong still manages to answer depends on timing, so we ask several times.
      const hint = t(
        "Our FIN only says we have nothing more to send; we are still reading. By default Node ends your side of the socket as soon as the client's FIN arrives — before your fs.readFile callback runs, so its write fails. Create the server with net.createServer({ allowHalfOpen: true }, …) and end the socket yourself after the response.",
        "我们的 FIN 只表示我们不再发送了，但仍然在读取。Node 默认在收到客户端的 FIN 后立刻关闭你这一侧的 socket——这发生在 fs.readFile 的回调运行之前，于是回调里的写入就失败了。用 net.createServer({ allowHalfOpen: true }, …) 创建服务器，并在发完响应之后自己结束 socket。",
      );
      const request = buildRequest(get('/'));
      const expected = indexBytes(ctx);
      const tries = 8;
      for (let i = 1; i <= tries; i++) {
        const conn = await connectOrExplain(ctx, `client ${i}`);
        await conn.send(request);
        conn.end();
        const x = await readExchange(conn, request, 'GET /', t(`the response to GET /, sent with our FIN right behind it (try ${i} of ${tries})`, `紧跟着 FIN 发送的 GET / 的响应（第 ${i}/${tries} 次）`), { hint });
        expectStatus(x, 200);
        await expectBody(x, expected, INDEX, hint);
        conn.abort();
      }
    },
  },
  {
    id: '2.9',
    title: t('connections that send nothing and close', '什么都不发就关闭的连接'),
    points: 1,
    timeoutMs: 5000,
    async run(ctx) {
      // A browser opens spare connections and drops them; port scanners and health checks connect
      // and leave. The seed's Python server exits on the first one.
      const quiet = await connectOrExplain(ctx, 'client 1 (sends nothing, closes)');
      quiet.end();
      const rude = await connectOrExplain(ctx, 'client 2 (sends nothing, resets)');
      rude.reset();
      const slow = await connectOrExplain(ctx, 'client 3 (sends nothing, closes later)');
      await ctx.sleep(40);
      slow.end();
      await ctx.sleep(60);
      const after = t('after three clients connected and left without sending a byte', '在三个客户端连上之后一个字节都没发就离开了之后');
      const conn = await connectOrExplain(ctx, 'client 4', after);
      const request = buildRequest(get('/'));
      await conn.send(request);
      const x = await readExchange(conn, request, 'GET /', t(`${after.en}, the response to GET /`, `${after.zh}，GET / 的响应`), {
        hint: t(
          "A connection that closes before sending anything is normal. When 'end' comes with no request in the buffer, just let that socket go — the seed's Python server breaks out of its accept loop here (if not data: break), which stops the whole server.",
          "连接在发送任何内容之前就关闭是很正常的。如果收到 'end' 时缓冲区里没有请求，放掉这个 socket 就行——种子代码里的 Python 服务器在这里跳出了 accept 循环（if not data: break），结果整个服务器都停了。",
        ),
      });
      expectStatus(x, 200);
      await expectBody(x, indexBytes(ctx), INDEX);
    },
  },
  {
    id: '2.10',
    title: t('several clients at once, their requests interleaved', '多个客户端同时访问，请求交错到达'),
    points: 2,
    timeoutMs: 6000,
    async run(ctx) {
      const request = buildRequest(get('/'));
      const expected = indexBytes(ctx);
      // Client 1 sends half a head and stalls: a server that serves one connection at a time, or
      // mixes up whose bytes are whose, fails the others.
      const staller = await connectOrExplain(ctx, 'client 1 (stalls mid-head)');
      const half = ctx.rng.int(10, request.length - 10);
      await staller.send(request.subarray(0, half));
      const others = await Promise.all(Array.from({ length: 8 }, (_, k) => connectOrExplain(ctx, `client ${k + 2}`)));
      const pieces = others.map(() => splitRandomly(request, 3, ctx.rng));
      for (let round = 0; round < 3; round++) {
        for (let k = 0; k < others.length; k++) await others[k]!.send(pieces[k]![round]!);
        await ctx.sleep(5);
      }
      const hint = t(
        "Each connection needs its own buffer and must be answered on its own socket. Keep per-connection state in variables inside the connection handler — a variable outside it (one buffer, one \"current client\") is shared by every client.",
        '每个连接都要有自己的缓冲区，并且在自己的 socket 上得到回应。把每个连接的状态放在连接处理函数内部的变量里——放在外面的变量（一个缓冲区、一个“当前客户端”）会被所有客户端共用。',
      );
      await Promise.all(
        others.map(async (conn, k) => {
          const x = await readExchange(conn, request, 'GET /', t(`the response to client ${k + 2} (its request in 3 pieces, interleaved with 7 other clients', while client 1 sat on half a request)`, `给客户端 ${k + 2} 的响应（它的请求分 3 段发送，与另外 7 个客户端交错，同时客户端 1 只发了半个请求）`), { hint });
          expectStatus(x, 200, hint);
          await expectBody(x, expected, INDEX, hint);
        }),
      );
      if (staller.buffered > 0 || staller.closed) {
        earlyAnswer(staller, half, request.length, [request.subarray(0, half), request.subarray(half)], 200, hint);
      }
      await staller.send(request.subarray(half));
      const x = await readExchange(staller, request, 'GET /', t('the response to client 1, once it finished its request', '客户端 1 发完请求之后得到的响应'), { hint });
      expectStatus(x, 200, hint);
      await expectBody(x, expected, INDEX, hint);
    },
  },
  {
    id: '2.11',
    title: t('an over-long request line or header section is refused', '过长的请求行或头部会被拒绝'),
    points: 1,
    timeoutMs: 9000,
    async run(ctx) {
      await expectOversizedRejected(ctx, () => '/');
    },
  },
];

export function prepareRoot(dir: string, rng: Rng): Promise<string> {
  return prepareSite(dir, rng, false);
}

/** Hints for `npm run hint 2`, gentlest first: each gives a little more away. */
export const hints: Text[] = [
    t(
      "Watch it misbehave first: run PORT=9000 npx tsx exercises/02-fixed-page/server.ts in one terminal and curl -v http://127.0.0.1:9000/ in another. curl shows the request it sends (lines starting with >) and what came back (<). The skeleton hangs up at once — that socket.end() is the line to replace.",
      '先亲眼看看它哪里不对：在一个终端运行 PORT=9000 npx tsx exercises/02-fixed-page/server.ts，在另一个终端运行 curl -v http://127.0.0.1:9000/。curl 会显示它发出的请求（以 > 开头的行）和收到的内容（以 < 开头的行）。骨架代码一连上就挂断了——要替换的就是那行 socket.end()。',
    ),
    t(
      'A response is text lines, each ending in "\\r\\n", then the body: "HTTP/1.1 200 OK\\r\\n" + "Content-Type: text/html; charset=utf-8\\r\\n" + "Content-Length: N\\r\\n" + "\\r\\n", followed by the page. The empty line (the second "\\r\\n" in a row) is what tells the client the headers are over.',
      '响应由若干行文本组成，每行以 "\\r\\n" 结尾，后面跟着正文："HTTP/1.1 200 OK\\r\\n" + "Content-Type: text/html; charset=utf-8\\r\\n" + "Content-Length: N\\r\\n" + "\\r\\n"，再接上页面内容。那个空行（连续的第二个 "\\r\\n"）告诉客户端：头部到此结束。',
    ),
    t(
      "Content-Length counts bytes, and the page has Chinese in it (3 bytes a character in UTF-8). Read the file without an encoding — fs.readFile(file, (err, page) => …) gives a Buffer — and use page.length. Read it inside the handler, for every request, from path.join(process.env.STATIC_DIR ?? 'static', 'index.html').",
      "Content-Length 计算的是字节数，而页面里有中文（UTF-8 中每个字 3 个字节）。读文件时不要指定编码——fs.readFile(file, (err, page) => …) 得到的是 Buffer——然后用 page.length。在处理函数里、每个请求都从 path.join(process.env.STATIC_DIR ?? 'static', 'index.html') 读一次。",
    ),
    t(
      "Don't answer on the first 'data' event: that is the seed's single recv(4096) in Node clothes. Keep a Buffer per connection (a variable inside the connection handler), append every chunk with Buffer.concat, and answer once it includes \"\\r\\n\\r\\n\". If it grows past 16 KiB without one, answer 400 Bad Request and close.",
      "不要在第一次 'data' 事件时就回应：那就是种子代码里只调用一次 recv(4096) 的 Node 版。给每个连接准备一个 Buffer（连接处理函数里的一个变量），每来一块就用 Buffer.concat 追加进去，等它包含 \"\\r\\n\\r\\n\" 时再回应。如果超过 16 KiB 还没有出现，就回应 400 Bad Request 并关闭连接。",
    ),
    t(
      "Clients come and go: keep net.createServer({ allowHalfOpen: true }, …) so a client's FIN right after its request (printf … | nc -N) does not end your side before you have answered; in 'end', call socket.end() if no request arrived; close with socket.end(response) after answering; and keep the socket.on('error', …) listener from stage 1.",
      "客户端来来去去：保留 net.createServer({ allowHalfOpen: true }, …)，这样客户端在请求之后立刻发来 FIN（printf … | nc -N 就是这样）时，你这一侧不会在回应之前就被关闭；在 'end' 里，如果还没收到完整请求，就调用 socket.end()；回应时用 socket.end(response) 发完即关；还有第 1 关学过的 socket.on('error', …) 监听器也要留着。",
    ),
];
