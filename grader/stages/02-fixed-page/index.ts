/**
 * Stage 2 — a fixed page over HTTP. Every request, however its bytes arrive, gets
 * `HTTP/1.1 200 OK` with index.html from the document root, a Content-Type and a Content-Length
 * counted in bytes.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSite, readSiteFile } from '../../site/site.ts';
import { CheckFailure, fail } from '../../failure.ts';
import { t, type Text } from '../../i18n.ts';
import { defineStage } from '../../stage.ts';
import type { Check, CheckContext } from '../../types.ts';
import { type Conn, WireError, formatMs } from '../../wire/conn.ts';
import { buildRequest, receiveResponse, requestName, type RequestInit } from '../../wire/http.ts';
import { browserRequest } from '../../wire/requests.ts';
import { readInBursts, stayQuiet, stopReading } from '../../wire/adversary.ts';
import { splitRandomly } from '../../expect/bytes.ts';
import { kindOf } from '../../expect/kinds.ts';
import { HINT_NO_ANSWER, HINT_WHOLE_HEAD, REPLY_MS, type Exchange, connectOrExplain, exchange, expectBody, expectContentType, expectNothingAfter, expectOversizedRejected, expectStatus, expectVersion, earlyAnswer, readExchange, responseFailure, sendWithoutEarlyAnswer } from '../../expect/http.ts';


const INDEX = 'index.html';

const HINT_STATIC_DIR = t(
  'Serve the file from the folder in the STATIC_DIR environment variable — the grader makes a new one with random content every run: path.join(process.env.STATIC_DIR ?? "static", "index.html").',
  '从环境变量 STATIC_DIR 指定的文件夹里读取文件——评测器每次运行都会新建一个、内容随机：path.join(process.env.STATIC_DIR ?? "static", "index.html")。',
);

const indexBytes = (ctx: CheckContext): Buffer => readSiteFile(loadSite(ctx.root), INDEX);

/** The largest request head the contract promises to answer, in bytes up to and including the empty line. */
const BIGGEST_HEAD = 8192;
/** How long the end of a browser's head comes after the rest in 2.12: long enough to be read apart. */
const HEAD_GAP_MS = 150;
/** How long a client stays quiet in 2.13: beyond any short timeout. */
const PAUSE_MS = 1200;

const HINT_BIG_HEAD = t(
  `A browser's request head is several KB: a dozen headers and every cookie of the site. Collect the head until "\\r\\n\\r\\n" however long it is, and set your size limit well above ${BIGGEST_HEAD} bytes (16 KiB is usual); a limit of 1 or 4 KiB turns real visitors away.`,
  `浏览器的请求头有好几 KB：十几个头部，再加上这个网站的所有 Cookie。不管请求头多长，都要一直收集到 "\\r\\n\\r\\n"，并把大小上限设得远高于 ${BIGGEST_HEAD} 字节（通常是 16 KiB）；1 KiB 或 4 KiB 的上限会把真正的访客拒之门外。`,
);

const HINT_IDLE = t(
  "A client may stay quiet for seconds — a browser opens connections before it needs them, a person types slowly. Don't close a connection for being quiet for a second (socket.setTimeout with destroy()); if you want a timeout against clients that never finish, make it generous: 30 s or more.",
  '客户端可能会沉默好几秒——浏览器会提前打开用得着的连接，人打字也慢。不要因为连接安静了一秒就关闭它（socket.setTimeout 加 destroy()）；如果想防范永远发不完请求的客户端，超时要设得宽松：30 秒或更长。',
);

const HINT_OWN_STATE = t(
  "Each connection needs its own buffer and must be answered on its own socket. Keep per-connection state in variables inside the connection handler — a variable outside it (one buffer, one \"current client\") is shared by every client, and a client that pauses loses its bytes to another.",
  '每个连接都要有自己的缓冲区，并且在自己的 socket 上得到回应。把每个连接的状态放在连接处理函数内部的变量里——放在外面的变量（一个缓冲区、一个“当前客户端”）会被所有客户端共用，停顿的客户端的字节就会被别人拿走。',
);

const HINT_CLOSE_GENTLY = t(
  "The response was cut off: the server closed before the whole page was sent. socket.write() only queues the bytes; socket.destroy() right after it throws away whatever the kernel has not taken yet — a few MiB at most, so only big pages show it. Close with socket.end() (or socket.end(response)): it sends the FIN after the last byte.",
  '响应被截断了：服务器在整个页面发完之前就关闭了连接。socket.write() 只是把字节排进队列；紧接着调用 socket.destroy() 会丢掉内核还没接走的部分——最多也就几 MiB，所以只有大页面才看得出来。用 socket.end()（或 socket.end(response)）关闭：它会在最后一个字节之后才发送 FIN。',
);

/**
 * Reads the response to a request for a page far larger than the socket buffers. A body cut short
 * by a close is the server closing too early, whatever Content-Length said: the hint says so.
 */
async function readBigResponse(conn: Conn, request: Buffer, what: Text, hint = HINT_NO_ANSWER, timeoutMs = 8000): Promise<Exchange> {
  const read = await receiveResponse(conn, { timeoutMs });
  if (read.ok) return { conn, res: read.response, request, name: 'GET /', what };
  const init = responseFailure(read.problem, conn, { timeoutMs, what, hint });
  if (read.problem.problem === 'body-cut-short' && read.problem.ending.kind !== 'timeout') init.hint = HINT_CLOSE_GENTLY;
  throw new CheckFailure(init);
}

const HINT_NOT_BLOCKED = t(
  "One client that does not read its response must not hold up the others. Hand the whole response to socket.end() and move on — Node sends it as the client reads; never wait for one client (a blocking send in a single thread, a shared queue that waits for one socket's 'drain') before serving the next.",
  '一个不读取响应的客户端不能耽误其他客户端。把整个响应交给 socket.end() 就去处理别的事——Node 会随着客户端的读取把它发出去；不要为了某一个客户端而等待（单线程里的阻塞发送、等某一个 socket 的 \'drain\' 的共享队列），再去服务下一个。',
);

/** Replaces a file the way an editor saves it: write a copy, then rename it over the old one. */
function replaceFile(file: string, bytes: Buffer): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}

/** An HTML page of about `size` bytes (UTF-8, Chinese text included), made fast. */
function bigPage(rng: CheckContext['rng'], size: number): Buffer {
  const paragraphs = Array.from({ length: 64 }, () => `${Array.from({ length: 12 }, () => rng.word()).join(' ')} —— 这是一个很长的页面，用来测试大文件。`);
  const parts = [`<!doctype html>\n<html lang="zh-CN">\n<head><meta charset="utf-8"><title>大页面 ${rng.word()}</title></head>\n<body>\n`];
  let length = Buffer.byteLength(parts[0]!);
  for (let i = 0; length < size - 32; i++) {
    const p = `<p id="p${i}">${paragraphs[i % paragraphs.length]}</p>\n`;
    parts.push(p);
    length += Buffer.byteLength(p);
  }
  parts.push('</body>\n</html>\n');
  return Buffer.from(parts.join(''));
}

/** A request like a browser's: a few headers, so a head is more than one short line. */
const get = (target: string): RequestInit => ({
  target,
  headers: [
    ['User-Agent', 'socklab-grader'],
    ['Accept', 'text/html,*/*;q=0.8'],
    ['Accept-Language', 'zh-CN,en;q=0.5'],
  ],
});

const checks: Check[] = [
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
      const original = readFileSync(path.join(site.root, INDEX));
      replaceFile(path.join(site.root, INDEX), updated);
      // The other checks share this site (and this one may run again): the page goes back when the
      // check ends, however it ends (the engine aborts every check's signal then).
      ctx.signal.addEventListener('abort', () => replaceFile(path.join(site.root, INDEX), original), { once: true });
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
      // gets this wrong still manages to answer depends on timing: whether the FIN is there when it
      // reads the request, or comes only after its file read completes. So the server is stopped
      // while our clients connect and send: when it runs again, each request is waiting with its FIN
      // right behind it, on every run. (Where it cannot be stopped, forty clients give it many
      // chances; they cannot make it certain.)
      const hint = t(
        "Our FIN only says we have nothing more to send; we are still reading. By default Node ends your side of the socket as soon as the client's FIN arrives — before your fs.readFile callback runs, so its write fails. Create the server with net.createServer({ allowHalfOpen: true }, …) and end the socket yourself after the response.",
        "我们的 FIN 只表示我们不再发送了，但仍然在读取。Node 默认在收到客户端的 FIN 后立刻关闭你这一侧的 socket——这发生在 fs.readFile 的回调运行之前，于是回调里的写入就失败了。用 net.createServer({ allowHalfOpen: true }, …) 创建服务器，并在发完响应之后自己结束 socket。",
      );
      const request = buildRequest(get('/'));
      const expected = indexBytes(ctx);
      // Stopped, one batch of four is certain; otherwise five batches of eight.
      let thaw = await ctx.freezeServer();
      const tries = thaw ? 4 : 40;
      const batch = thaw ? 4 : 8;
      for (let first = 1; first <= tries; first += batch) {
        const conns: Conn[] = [];
        try {
          // A stopped server's kernel still completes the handshake and takes what we send.
          for (let i = first; i < first + batch; i++) conns.push(await connectOrExplain(ctx, `client ${i}`));
          for (const conn of conns) conn.sendAndEnd(request);
          if (thaw) for (const conn of conns) await conn.finHandedOver(REPLY_MS);
        } finally {
          thaw?.();
          thaw = undefined;
        }
        for (const [k, conn] of conns.entries()) {
          const i = first + k;
          const x = await readExchange(conn, request, 'GET /', t(`the response to GET /, sent with our FIN right behind it (try ${i} of ${tries})`, `紧跟着 FIN 发送的 GET / 的响应（第 ${i}/${tries} 次）`), { hint });
          expectStatus(x, 200);
          await expectBody(x, expected, INDEX, hint);
          conn.abort();
        }
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
      // and leave. The README's Python server exits on the first one.
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
          "A connection that closes before sending anything is normal. When 'end' comes with no request in the buffer, just let that socket go — the Python server at the top of this stage's README breaks out of its accept loop here (if not data: break), which stops the whole server.",
          "连接在发送任何内容之前就关闭是很正常的。如果收到 'end' 时缓冲区里没有请求，放掉这个 socket 就行——本关 README 开头那个 Python 服务器在这里跳出了 accept 循环（if not data: break），结果整个服务器都停了。",
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
      // Client 1 sends all of its head but the last 1–3 bytes (inside the final "\r\n\r\n") and
      // stalls while the others are served; then the rest. A server that serves one connection at
      // a time fails the others; one that keeps client 1's bytes anywhere but with its connection
      // (one buffer for everyone, emptied whenever someone's head is complete) never finds the end
      // of client 1's head, whatever the order of the others.
      const staller = await connectOrExplain(ctx, 'client 1 (stalls mid-head)');
      const held = request.length - ctx.rng.int(1, 3);
      const half = ctx.rng.int(10, held - 10);
      const parts = [request.subarray(0, half), request.subarray(half, held), request.subarray(held)];
      await staller.send(parts[0]!);
      await ctx.sleep(5);
      await staller.send(parts[1]!);
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
          const x = await readExchange(conn, request, 'GET /', t(`the response to client ${k + 2} (its request in 3 pieces, interleaved with 7 other clients, while client 1 sat on an unfinished request)`, `给客户端 ${k + 2} 的响应（它的请求分 3 段发送，与另外 7 个客户端交错，同时客户端 1 的请求还没发完）`), { hint });
          expectStatus(x, 200, hint);
          await expectBody(x, expected, INDEX, hint);
        }),
      );
      if (staller.buffered > 0 || staller.closed) earlyAnswer(staller, held, request.length, parts, 200, hint);
      await staller.send(parts[2]!);
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
  {
    id: '2.12',
    title: t("a browser's request: a head of several KB, cookies and all", '浏览器式的请求：几 KB 的请求头，带着 Cookie 等等'),
    points: 1,
    timeoutMs: 5000,
    async run(ctx) {
      // What Chrome or Firefox sends: a dozen header fields and the site's cookies — one of a usual
      // size, and one of exactly the largest size the contract promises to answer. Over a real
      // network a head this long arrives in pieces; here the last few bytes come a moment later,
      // so a server that gives up on a head of a few KB shows it.
      const clients = await Promise.all(
        [undefined, BIGGEST_HEAD].map(async (headBytes, i) => {
          const init = browserRequest(i === 0 ? '/' : `/${ctx.rng.word()}/${ctx.rng.word()}.html`, ctx.rng, headBytes ? { headBytes } : {});
          const request = buildRequest(init);
          const cut = request.length - ctx.rng.int(20, 200);
          return { init, request, parts: [request.subarray(0, cut), request.subarray(cut)], headBytes, conn: await connectOrExplain(ctx, `client ${i + 1}`) };
        }),
      );
      for (const c of clients) await c.conn.send(c.parts[0]!);
      await ctx.sleep(HEAD_GAP_MS);
      for (const c of clients) {
        c.conn.note(t(`paused ${formatMs(HEAD_GAP_MS)} after byte ${c.parts[0]!.length} of ${c.request.length}`, `发完 ${c.request.length} 字节中的前 ${c.parts[0]!.length} 字节后停顿 ${formatMs(HEAD_GAP_MS)}`));
        if (c.conn.buffered > 0 || c.conn.closed) earlyAnswer(c.conn, c.parts[0]!.length, c.request.length, c.parts, HEAD_GAP_MS, HINT_BIG_HEAD);
      }
      for (const c of clients) await c.conn.send(c.parts[1]!);
      for (const c of clients) {
        const name = requestName(c.init);
        const what = t(
          `the response to a browser's ${name}, its head ${c.request.length} bytes long` + (c.headBytes ? ' (the largest head the contract promises to answer)' : ''),
          `浏览器式的 ${name} 的响应，请求头长 ${c.request.length} 字节` + (c.headBytes ? '（约定里承诺必须回应的最大请求头）' : ''),
        );
        const x = await readExchange(c.conn, c.request, name, what, { hint: HINT_BIG_HEAD });
        expectStatus(x, 200, HINT_BIG_HEAD, t(`200 OK: a head of ${c.request.length} bytes is an ordinary request (up to ${BIGGEST_HEAD} bytes must be answered)`, `200 OK：${c.request.length} 字节的请求头是普通的请求（${BIGGEST_HEAD} 字节以内都必须回应）`));
        await expectBody(x, indexBytes(ctx), INDEX);
      }
    },
  },
  {
    id: '2.13',
    title: t('clients that pause for over a second: before their request, and inside its head', '停顿超过一秒的客户端：在请求之前，以及在请求头中间'),
    points: 2,
    timeoutMs: 8000,
    background: true,
    async run(ctx) {
      const request = buildRequest(get('/'));
      const expected = indexBytes(ctx);
      // Client 1 is a browser's spare connection: open now, its request comes later. Client 2 stops
      // one byte short of the end of its head. Both stay quiet for longer than a short timeout.
      const quiet = await connectOrExplain(ctx, 'client 1 (quiet before its request)');
      const pausing = await connectOrExplain(ctx, 'client 2 (pauses inside its head)');
      const parts = [request.subarray(0, request.length - 1), request.subarray(request.length - 1)];
      await pausing.send(parts[0]!);
      const started = Date.now();
      const quieting = stayQuiet(quiet, PAUSE_MS);
      pausing.note(t(`paused ${formatMs(PAUSE_MS)} after byte ${parts[0]!.length} of ${request.length}, one byte before the end of the head`, `发完 ${request.length} 字节中的前 ${parts[0]!.length} 字节（离请求头结束只差一个字节）后停顿 ${formatMs(PAUSE_MS)}`));
      // Half-way through the pauses, a third client is served from start to end: bytes of clients
      // 1 and 2 that a server keeps in one shared buffer, or answers sent to the newest
      // connection, show in what clients 1 and 2 get afterwards.
      await ctx.sleep(PAUSE_MS / 2);
      const third = await exchange(ctx, get('/'), { label: t('client 3 (while 1 and 2 pause)', '客户端 3（在 1 和 2 停顿期间）'), hint: HINT_OWN_STATE });
      expectStatus(third, 200, HINT_OWN_STATE);
      await expectBody(third, expected, INDEX, HINT_OWN_STATE);
      await ctx.sleep(Math.max(0, PAUSE_MS - (Date.now() - started)));
      await quieting;
      for (const conn of [quiet, pausing]) {
        if (conn.buffered > 0 && conn === pausing) earlyAnswer(pausing, parts[0]!.length, request.length, parts, PAUSE_MS, HINT_WHOLE_HEAD);
        if (conn.closed) {
          fail({
            kind: kindOf(conn.closed === 'reset' ? 'reset' : 'closed'),
            summary: t(
              `${conn.label} stayed quiet for ${formatMs(PAUSE_MS)} ${conn === quiet ? 'before sending its request' : 'one byte before the end of its head'}, and meanwhile the server ${conn.closed === 'reset' ? 'reset' : 'closed'} the connection`,
              `${conn.label.replace(/^client (\d+).*/, '客户端 $1')}${conn === quiet ? '在发送请求之前' : '在请求头只差一个字节时'}沉默了 ${formatMs(PAUSE_MS)}，其间服务器${conn.closed === 'reset' ? '重置' : '关闭'}了连接`,
            ),
            expected: t('the connection still open, waiting for the rest of the request', '连接仍然开着，等待请求的其余部分'),
            hint: HINT_IDLE,
            conn,
          });
        }
      }
      await quiet.send(request);
      await pausing.send(parts[1]!);
      for (const [conn, what] of [
        [quiet, t(`the response to client 1's GET /, sent after ${formatMs(PAUSE_MS)} of silence`, `客户端 1 沉默 ${formatMs(PAUSE_MS)} 之后发送的 GET / 的响应`)],
        [pausing, t(`the response to client 2's GET /, whose head paused ${formatMs(PAUSE_MS)} one byte before its end`, `客户端 2 的 GET / 的响应（请求头在只差一个字节时停顿了 ${formatMs(PAUSE_MS)}）`)],
      ] as const) {
        const read = await receiveResponse(conn, { timeoutMs: REPLY_MS });
        if (!read.ok) {
          const init = responseFailure(read.problem, conn, { timeoutMs: REPLY_MS, what, hint: HINT_OWN_STATE });
          // Closed without a word: the server gave up on the quiet connection (its timer may fire
          // only as the request arrives, on a busy machine).
          if (conn.closed && conn.closed !== 'aborted' && conn.receivedTotal === 0) init.hint = HINT_IDLE;
          throw new CheckFailure(init);
        }
        const x = { conn, res: read.response, request, name: 'GET /', what };
        expectStatus(x, 200, HINT_OWN_STATE);
        await expectBody(x, expected, INDEX, HINT_OWN_STATE);
      }
    },
  },
  {
    id: '2.14',
    title: t('a 10 MiB page, to a client that stops reading for a while', '10 MiB 的页面，发给一个暂时停止读取的客户端'),
    points: 2,
    timeoutMs: 15000,
    async run(ctx) {
      // index.html grows far beyond what the kernel's buffers hold. Whatever the server has not
      // handed to the kernel when it closes is lost: socket.destroy() right after write() shows.
      const file = path.join(loadSite(ctx.root).root, INDEX);
      const original = readFileSync(file);
      const page = bigPage(ctx.rng, 10 * 1024 * 1024 + ctx.rng.int(0, 4095));
      replaceFile(file, page);
      try {
        const request = buildRequest(get('/'));
        const slow = await connectOrExplain(ctx, 'client 1 (stops reading)');
        await slow.send(request);
        // Client 1 stops reading once its response has begun, so the server is surely in the middle
        // of sending it. (If nothing comes, the read below says so.)
        await slow.waitFor(1, REPLY_MS).catch((err: unknown) => {
          if (!(err instanceof WireError)) throw err;
        });
        const silent = stopReading(slow);
        // While client 1 is not reading, another client is served the same page at full speed.
        const other = await connectOrExplain(ctx, 'client 2');
        await other.send(request);
        const x2 = await readBigResponse(
          other,
          request,
          t(`the response to client 2's GET / (${page.length} bytes of page), sent while client 1 was not reading`, `客户端 2 的 GET / 的响应（页面 ${page.length} 字节，发送时客户端 1 没有在读取）`),
          HINT_NOT_BLOCKED,
          5000,
        );
        expectStatus(x2, 200);
        await expectBody(x2, page, INDEX, HINT_CLOSE_GENTLY);
        await ctx.sleep(Math.max(0, 150 - (Date.now() - silent.since)));
        silent.resume();
        const reader = readInBursts(slow, 1024 * 1024, 20);
        const what = t(`the response to client 1's GET / (${page.length} bytes of page), read after a pause and then in bursts`, `客户端 1 的 GET / 的响应（页面 ${page.length} 字节），先停了一会儿，然后一阵一阵地读取`);
        const x = await readBigResponse(slow, request, what);
        reader.stop();
        expectStatus(x, 200);
        await expectBody(x, page, INDEX, HINT_CLOSE_GENTLY);
      } finally {
        try {
          replaceFile(file, original);
        } catch {
          /* the run's folder is gone already */
        }
      }
    },
  },
];


/** Hints for `npm run hint 2`, gentlest first: each gives a little more away. */
const hints: Text[] = [
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
      "Don't answer on the first 'data' event: that is the single recv(4096) of the Python server in this stage's README, in Node clothes. Keep a Buffer per connection (a variable inside the connection handler), append every chunk with Buffer.concat, and answer once it includes \"\\r\\n\\r\\n\". If it grows past 16 KiB without one, answer 400 Bad Request and close.",
      "不要在第一次 'data' 事件时就回应：那就是本关 README 里那个 Python 服务器只调用一次 recv(4096) 的 Node 版。给每个连接准备一个 Buffer（连接处理函数里的一个变量），每来一块就用 Buffer.concat 追加进去，等它包含 \"\\r\\n\\r\\n\" 时再回应。如果超过 16 KiB 还没有出现，就回应 400 Bad Request 并关闭连接。",
    ),
    t(
      "Clients come and go: keep net.createServer({ allowHalfOpen: true }, …) so a client's FIN right after its request (a client calling socket.end(request) does that) does not end your side before you have answered; in 'end', call socket.end() if no request arrived; close with socket.end(response) after answering; and keep the socket.on('error', …) listener from stage 1.",
      "客户端来来去去：保留 net.createServer({ allowHalfOpen: true }, …)，这样客户端在请求之后立刻发来 FIN（socket.end(request) 就是这样）时，你这一侧不会在回应之前就被关闭；在 'end' 里，如果还没收到完整请求，就调用 socket.end()；回应时用 socket.end(response) 发完即关；还有第 1 关学过的 socket.on('error', …) 监听器也要留着。",
    ),
];

export default defineStage(import.meta.url, {
  title: t('A fixed page over HTTP', '用 HTTP 返回固定页面'),
  checks,
  hints,
  site: { features: [] },
});
