/**
 * Stage 6 — the routing server, persistent. Stage 3's file server must now keep each connection
 * open: answer request after request on it, pipelined requests in order however the bytes are cut,
 * HEAD without a body, close when HTTP says so (Connection: close, HTTP/1.0, a malformed request),
 * keep idle connections usable for a while, and not let idle clients crowd out new ones. Every
 * response is read the way a real client reads it on a kept-alive connection: exactly
 * Content-Length bytes of body, and whatever follows is the next response.
 */
import { fail, CheckFailure } from '../../failure.ts';
import { t, type Text } from '../../i18n.ts';
import { loadSite, readSiteFile, typesFor, type Site, type SiteFile } from '../../site/site.ts';
import { defineStage } from '../../stage.ts';
import type { Check, CheckContext } from '../../types.ts';
import { type Conn, formatMs } from '../../wire/conn.ts';
import { escapeBytes } from '../../wire/escape.ts';
import { reproduceInParts, type RequestInit } from '../../wire/http.ts';
import { connectOrExplain, earlyAnswer, expectNothingAfter, type Exchange } from '../../expect/http.ts';
import {
  HINT_CONTENT_LENGTH,
  HINT_KEEP_OPEN,
  HINT_LOOP,
  expectAnswer,
  expectClosedAfter,
  expectConnectionHeader,
  firstFailureInOrder,
  readExact,
  readSlowly,
  reproduceConn,
  withReproduce,
  runSteps,
  step,
  whatFor,
  type Step,
} from '../../expect/http-persistent.ts';

// ─── The requests ────────────────────────────────────────────────────────────────────────────────

/** Files whose answers are small and tell each other apart (every one has different bytes). */
const SMALL_ROLES: SiteFile['role'][] = ['text', 'binary', 'nested', 'spaced', 'unicode', 'unknown-type'];

const byRole = (site: Site, ...roles: SiteFile['role'][]): SiteFile[] => site.files.filter((f) => roles.includes(f.role));

/** `n` different small files of the site, in a seeded order. */
const smallFiles = (ctx: CheckContext, site: Site, n: number): SiteFile[] => ctx.rng.shuffle(byRole(site, ...SMALL_ROLES)).slice(0, n);

const BROWSER_HEADERS: [string, string][] = [
  ['User-Agent', 'socklab-grader (keep-alive)'],
  ['Accept', '*/*'],
];

/**
 * The steps with a GET of the site's large file put in at a seeded place, never last. A file that
 * takes many reads to send is what tells a server that waits for each response to go out from one
 * that starts the next while a file is still streaming: with small files only, that race is won or
 * lost by a few microseconds, so the verdict would change from run to run.
 */
function withLarge(ctx: CheckContext, site: Site, steps: Step[]): Step[] {
  const at = ctx.rng.int(0, steps.length - 1);
  return [...steps.slice(0, at), fileStep(site, byRole(site, 'large')[0]!), ...steps.slice(at)];
}

/** GET (or HEAD) a file of the site: 200, its Content-Type, its bytes. */
function fileStep(site: Site, f: SiteFile, o: { method?: string; headers?: [string, string][]; version?: string } = {}): Step {
  const init: RequestInit = { method: o.method ?? 'GET', target: f.url, headers: o.headers ?? BROWSER_HEADERS, ...(o.version ? { version: o.version } : {}) };
  return step(init, { status: 200, body: readSiteFile(site, f), file: f.file, types: typesFor(f.file) });
}

/** GET (or HEAD) a missing file: 404 with the bytes of error.html. */
function missingStep(site: Site, target: string, method = 'GET'): Step {
  return step({ method, target, headers: BROWSER_HEADERS }, { status: 404, body: readSiteFile(site, 'error.html'), file: 'error.html', types: ['text/html'] });
}

/** A request the server must refuse with 400: its request line has four parts where three belong. */
function malformedStep(ctx: CheckContext, site: Site): Step {
  const spaced = byRole(site, 'spaced')[0]!;
  const line = ctx.rng.pick([
    `GET /${spaced.file} HTTP/1.1`, // a space left unencoded: what a careless client sends
    `GET / ${ctx.rng.word()} HTTP/1.1`,
    `GET /${ctx.rng.word()}.html HTTP/1.1 ${ctx.rng.word()}`,
  ]);
  const request = Buffer.from(`${line}\r\nHost: localhost\r\nAccept: */*\r\n\r\n`, 'latin1');
  return { init: { target: '/' }, name: JSON.stringify(line), request, expect: { status: 400 } };
}

const prev = (x: Exchange, index: number) => ({ name: x.name, index });

// ─── Hints ───────────────────────────────────────────────────────────────────────────────────────

const HINT_ORDER_SPLIT = t(
  `${HINT_LOOP.en} A head can be cut anywhere — even between the "\\r\\n" of its last header and the "\\r\\n" of the empty line — so search the whole buffer, not the chunk that just arrived.`,
  `${HINT_LOOP.zh}请求头可能在任何位置被切开——甚至在最后一个头部的 "\\r\\n" 和空行的 "\\r\\n" 之间——所以要在整个缓冲区里查找，而不是只在刚到的那一块里找。`,
);

const HINT_CLOSE = t(
  'Read the Connection header of each request (a list of tokens, case-insensitive). If it contains "close", answer with Connection: close, end the socket after that response, and read nothing more from it — requests that follow on the connection are not answered.',
  '读取每个请求的 Connection 头部（一组以逗号分隔的标记，不区分大小写）。如果其中有 "close"，回应时带上 Connection: close，在这个响应之后结束 socket，并且不再从中读取——连接上后面的请求都不再回应。',
);

const HINT_HTTP10 = t(
  'HTTP/1.0 turns the default around: its connections close after the response unless the request says Connection: keep-alive. Then answer with Connection: keep-alive (the client assumes a close otherwise) and keep the connection open; without it, end the socket after the response.',
  'HTTP/1.0 的默认行为正好相反：除非请求里写了 Connection: keep-alive，否则响应之后连接就关闭。如果写了，回应时带上 Connection: keep-alive（否则客户端会以为你要关闭）并保持连接打开；如果没写，就在响应之后结束 socket。',
);

const HINT_BAD_REQUEST = t(
  'After a malformed request you cannot know where the next request would begin, so nothing after it can be trusted: answer 400 Bad Request (with Content-Length, and Connection: close), end the socket, and ignore the rest of the buffer.',
  '收到格式错误的请求之后，你无法知道下一个请求从哪里开始，所以它之后的内容都不可信：回应 400 Bad Request（带 Content-Length 和 Connection: close），结束 socket，并忽略缓冲区里剩下的内容。',
);

const HINT_IDLE = t(
  'A client may stay quiet for a while between requests — a browser keeps connections around for the next page. Keep an idle connection open for several seconds (socket.setTimeout(5000, …) is a good timer: it fires only after 5 s without a byte either way), and never time out a head that is merely arriving slowly.',
  '客户端在两个请求之间可能会安静一段时间——浏览器会留着连接等下一个页面用。空闲的连接至少要保持几秒（socket.setTimeout(5000, …) 是个合适的计时器：只有在 5 秒内两个方向都没有任何字节时才触发），也不要因为请求头来得慢就超时。',
);

const HINT_MANY_IDLE = t(
  'Idle keep-alive connections cost a socket each and nothing else: the event loop serves any number of them at once. Never handle connections one at a time, and don\'t cap them low (server.maxConnections): 50 idle clients must not lock out the 51st.',
  '空闲的 keep-alive 连接每个只占一个 socket，别的什么都不占：事件循环可以同时服务任意多个连接。绝不能一次只处理一个连接，也不要把连接数上限设得很低（server.maxConnections）：50 个空闲客户端不能把第 51 个挡在门外。',
);

const HINT_BODY = t(
  "A request may carry a body: Content-Length bytes right after its head (a POST). Even when you refuse the request (405), skip exactly that many bytes before you look for the next head — or answer with Connection: close and close. Never read a body as if it were the next request.",
  '请求可能带有正文：紧跟在请求头之后的 Content-Length 个字节（例如 POST）。即使你拒绝这个请求（405），也要先跳过正好这么多字节，再去找下一个请求头——或者回应 Connection: close 并关闭连接。绝不能把正文当成下一个请求来读。',
);

// ─── The checks ──────────────────────────────────────────────────────────────────────────────────

const checks: Check[] = [
  {
    id: '6.1',
    title: t('several requests, one after another, on one connection', '一个连接上依次发送多个请求'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const n = ctx.rng.int(4, 8);
      const files = smallFiles(ctx, site, n);
      // A GET first; then a 404, a HEAD and more GETs in a seeded order.
      const rest: Step[] = [missingStep(site, site.missing[ctx.rng.int(0, 2)]!), fileStep(site, files[1]!, { method: 'HEAD' })];
      for (let i = 2; i < n - 1; i++) rest.push(fileStep(site, files[i]!));
      const steps = [fileStep(site, files[0]!), ...ctx.rng.shuffle(rest)];
      const conn = await connectOrExplain(ctx);
      await runSteps(ctx, conn, steps, {
        mode: 'one-by-one',
        hint: t(
          'After a response, go back to reading the same socket: the next request must be found and answered exactly like the first. Reset what belongs to one request (the parsed head), not what belongs to the connection (the buffer).',
          '发完一个响应之后，回到同一个 socket 上继续读：下一个请求要像第一个一样被找到并回应。重置属于单个请求的状态（已解析的请求头），而不是属于连接的状态（缓冲区）。',
        ),
      });
    },
  },
  {
    id: '6.2',
    title: t('pipelining: several requests in one write, answered in order', '管线化：一次写入多个请求，按顺序回应'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const n = ctx.rng.int(3, 6);
      const steps = withLarge(ctx, site, smallFiles(ctx, site, n).map((f) => fileStep(site, f)));
      steps.splice(ctx.rng.int(1, n), 0, missingStep(site, site.missing[ctx.rng.int(0, 2)]!));
      const conn = await connectOrExplain(ctx);
      const xs = await runSteps(ctx, conn, steps, {
        mode: 'pipelined',
        hint: HINT_LOOP,
        context: t(`the ${steps.length} requests were sent in one write`, `这 ${steps.length} 个请求是一次写入发送的`),
      });
      await expectNothingAfter(xs[xs.length - 1]!, 100);
    },
  },
  {
    id: '6.3',
    title: t('pipelined requests cut at random bytes', '管线化的请求在随机字节处被切开'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const n = ctx.rng.int(3, 5);
      const small = smallFiles(ctx, site, n).map((f) => fileStep(site, f));
      small.splice(ctx.rng.int(1, n), 0, missingStep(site, site.missing[ctx.rng.int(0, 2)]!));
      // A large file first, and no cut after the end of its head until the end of the next one: the
      // server has both requests from one read, so one that starts the second response while the
      // file is still going out shows it on every run (the 15 ms pauses would give it time otherwise).
      const steps = [fileStep(site, byRole(site, 'large')[0]!), ...small];
      const all = Buffer.concat(steps.map((s) => s.request));
      const ends: number[] = [];
      for (const s of steps) ends.push((ends[ends.length - 1] ?? 0) + s.request.length);
      const allowed = (c: number): boolean => c < ends[0]! || c >= ends[1]!;
      const cuts = new Set<number>();
      // Between the "\r\n" of the last header and the "\r\n" of the empty line (or one byte either
      // side), in some request and in the last: the cut that a server looking for the end of a head
      // in the newest chunk only misses.
      cuts.add(ctx.rng.pick([ends[0]!, ...ends.slice(2, -1)]) - ctx.rng.pick([1, 2, 3]));
      cuts.add(ends[steps.length - 1]! - ctx.rng.pick([1, 2, 3]));
      // Exactly between two requests, and a piece of one byte.
      cuts.add(ends[ctx.rng.int(1, steps.length - 2)]!);
      const single = ctx.rng.int(ends[1]!, all.length - 3);
      cuts.add(single).add(single + 1);
      const pieces = ctx.rng.int(8, 14);
      while (cuts.size < pieces - 1) {
        const c = ctx.rng.int(1, all.length - 1);
        if (allowed(c)) cuts.add(c);
      }
      const sorted = [...cuts].filter((c) => c > 0 && c < all.length).sort((a, b) => a - b);
      const writes = [0, ...sorted].map((from, i) => all.subarray(from, sorted[i] ?? all.length));
      const pauseMs = 15;
      const conn = await connectOrExplain(ctx);
      await runSteps(ctx, conn, steps, {
        mode: 'pipelined',
        writes,
        pauseMs,
        hint: HINT_ORDER_SPLIT,
        context: t(
          `the ${steps.length} requests were sent in ${writes.length} pieces cut at random bytes, ${pauseMs} ms apart (${writes.map((w) => w.length).join(' + ')} bytes)`,
          `这 ${steps.length} 个请求在随机字节处被切成 ${writes.length} 段发送，每段间隔 ${pauseMs} 毫秒（${writes.map((w) => w.length).join(' + ')} 字节）`,
        ),
      });
    },
  },
  {
    id: '6.4',
    title: t('HEAD in the middle of a pipeline: no body, the next response follows at once', '管线中间的 HEAD：没有正文，下一个响应紧随其后'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const files = smallFiles(ctx, site, 4);
      // GET, HEAD, GET, then perhaps a HEAD for a missing file (its 404 has no body either), GET.
      // The first GET is a large file: the HEAD's answer must wait until its last byte has gone out.
      const steps = [fileStep(site, byRole(site, 'large')[0]!), fileStep(site, files[0]!, { method: 'HEAD' }), fileStep(site, files[1]!)];
      if (ctx.rng.int(0, 1)) steps.push(missingStep(site, site.missing[0]!, 'HEAD'));
      else steps.push(fileStep(site, files[2]!, { method: 'HEAD' }));
      steps.push(fileStep(site, files[3]!));
      const conn = await connectOrExplain(ctx);
      await runSteps(ctx, conn, steps, {
        mode: 'pipelined',
        hint: t(
          'Answer HEAD with the head GET would send — Content-Length included — and nothing after the empty line. Then go straight on to the next request in the buffer.',
          '对 HEAD 回应 GET 会发送的头部——包括 Content-Length——空行之后什么都不发。然后直接处理缓冲区里的下一个请求。',
        ),
        context: t(`the ${steps.length} requests were sent in one write`, `这 ${steps.length} 个请求是一次写入发送的`),
      });
    },
  },
  {
    id: '6.5',
    title: t('a large file first in a pipeline, read slowly: the small answers wait their turn', '管线中先请求一个大文件并慢慢读取：小文件的响应要排队等候'),
    points: 2,
    timeoutMs: 15000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const large = byRole(site, 'large')[0]!;
      const small = smallFiles(ctx, site, 3);
      const steps = [fileStep(site, large), fileStep(site, small[0]!), missingStep(site, site.missing[1]!), fileStep(site, small[1]!), fileStep(site, small[2]!, { method: 'HEAD' })];
      const conn = await connectOrExplain(ctx, 'client (reads slowly)');
      // The client reads nothing for 300 ms, then in short bursts with pauses: the server's writes
      // back up, and the small responses are ready long before the large one has gone out.
      const stop = readSlowly(conn, { firstPauseMs: 300, burstMs: 5, pauseMs: 30 });
      try {
        await runSteps(ctx, conn, steps, {
          mode: 'pipelined',
          timeoutFor: (i) => (i === 0 ? 10_000 : undefined),
          hint: t(
            'Responses go out in the order of the requests, each written completely before the next begins — however long a file takes to send to a slow reader. One promise chain per connection; inside it, copy the file chunk by chunk, waiting for "drain" whenever write() returns false.',
            '响应按请求的顺序发出，每个完整写完之后才开始下一个——不管一个文件发给慢吞吞的读者要花多久。每个连接一条 Promise 链；在链里一块一块地复制文件，每当 write() 返回 false 就等待 "drain"。',
          ),
          context: t(
            `the ${steps.length} requests were sent in one write, and the client read slowly: nothing for 300 ms, then 5 ms of reading every 35 ms`,
            `这 ${steps.length} 个请求是一次写入发送的，客户端读得很慢：先 300 毫秒什么都不读，之后每 35 毫秒只读 5 毫秒`,
          ),
        });
      } finally {
        stop();
      }
    },
  },
  {
    id: '6.6',
    title: t('Connection: close is answered with Connection: close, then the server closes', 'Connection: close 得到带 Connection: close 的回应，然后服务器关闭连接'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const files = smallFiles(ctx, site, 5);
      const closeHeader: [string, string] = [ctx.rng.pick(['Connection', 'connection', 'CONNECTION']), ctx.rng.pick(['close', 'Close', 'CLOSE'])];
      const withClose = (f: SiteFile): Step => fileStep(site, f, { headers: [...BROWSER_HEADERS, closeHeader] });
      const why = t(`the request said ${closeHeader.join(': ')}`, `请求里写了 ${closeHeader.join(': ')}`);

      // One after another: a kept-alive request, then one that asks to close.
      const a = await connectOrExplain(ctx, 'client 1');
      const first = await runSteps(ctx, a, [fileStep(site, files[0]!)], { mode: 'one-by-one' });
      const [x] = await runSteps(ctx, a, [withClose(files[1]!)], { mode: 'one-by-one', before: prev(first[0]!, 1) });
      expectConnectionHeader(x!, 'close', t(`the request said ${closeHeader.join(': ')}, so this is the connection's last response and must say so`, `请求里写了 ${closeHeader.join(': ')}，所以这是连接上的最后一个响应，必须说明这一点`), HINT_CLOSE);
      await expectClosedAfter(x!, 1000, why, HINT_CLOSE);

      // Pipelined: the request after the one that said close is never answered. A large file
      // first: the close comes after its last byte, not while it is still going out — and a server
      // that does not wait for a file to be sent before it answers the next request shows it on
      // every run, not only when a small file happens to be read in time.
      const b = await connectOrExplain(ctx, 'client 2');
      const steps = [fileStep(site, byRole(site, 'large')[0]!), withClose(files[3]!)];
      const after = fileStep(site, files[4]!);
      const xs = await runSteps(ctx, b, steps, {
        mode: 'pipelined',
        of: 3,
        timeoutFor: (i) => (i === 0 ? 3000 : undefined),
        writes: [Buffer.concat([...steps.map((s) => s.request), after.request])],
        context: t(`3 requests were sent in one write; the 2nd said ${closeHeader.join(': ')}`, `3 个请求一次写入发送，第 2 个写了 ${closeHeader.join(': ')}`),
      });
      expectConnectionHeader(xs[1]!, 'close', why, HINT_CLOSE);
      await expectClosedAfter(xs[1]!, 1000, t(`${why.en}; the ${after.name} after it must not be answered`, `${why.zh}；它之后的 ${after.name} 不应该得到回应`), HINT_CLOSE);
    },
  },
  {
    id: '6.7',
    title: t('HTTP/1.0: closed after the response, unless it asks for keep-alive', 'HTTP/1.0：响应之后关闭，除非请求要求 keep-alive'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const files = smallFiles(ctx, site, 4);
      const keep: [string, string][] = [...BROWSER_HEADERS, [ctx.rng.pick(['Connection', 'connection']), ctx.rng.pick(['keep-alive', 'Keep-Alive'])]];
      const asked = t('the HTTP/1.0 request asked for Connection: keep-alive', 'HTTP/1.0 请求要求了 Connection: keep-alive');

      // Two HTTP/1.0 requests that ask to keep the connection, then one that does not.
      const a = await connectOrExplain(ctx, 'client 1 (HTTP/1.0)');
      let before: { name: string; index: number } | undefined;
      for (let i = 0; i < 2; i++) {
        const [x] = await runSteps(ctx, a, [fileStep(site, files[i]!, { version: 'HTTP/1.0', headers: keep })], { mode: 'one-by-one', before, hint: HINT_HTTP10 });
        expectConnectionHeader(x!, 'keep-alive', t(`${asked.en} — without Connection: keep-alive in the answer, an HTTP/1.0 client assumes the connection will close`, `${asked.zh}——回应里没有 Connection: keep-alive 的话，HTTP/1.0 客户端会认为连接将被关闭`), HINT_HTTP10);
        before = prev(x!, i + 1);
      }
      const why = t('an HTTP/1.0 request without Connection: keep-alive is the last on its connection', '没有 Connection: keep-alive 的 HTTP/1.0 请求是连接上的最后一个请求');
      const [last] = await runSteps(ctx, a, [fileStep(site, files[2]!, { version: 'HTTP/1.0' })], { mode: 'one-by-one', before, hint: HINT_HTTP10 });
      await expectClosedAfter(last!, 1000, why, HINT_HTTP10);

      // And the plain HTTP/1.0 client: one request, one response, closed.
      const b = await connectOrExplain(ctx, 'client 2 (HTTP/1.0)');
      const [only] = await runSteps(ctx, b, [fileStep(site, files[3]!, { version: 'HTTP/1.0' })], { mode: 'one-by-one', hint: HINT_HTTP10 });
      await expectClosedAfter(only!, 1000, why, HINT_HTTP10);
    },
  },
  {
    id: '6.8',
    title: t('a 404 keeps the connection open', '404 不会关闭连接'),
    points: 1,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const files = smallFiles(ctx, site, 2);
      const steps = [missingStep(site, site.missing[0]!), fileStep(site, files[0]!), missingStep(site, site.missing[ctx.rng.int(1, 2)]!), fileStep(site, files[1]!)];
      const conn = await connectOrExplain(ctx);
      await runSteps(ctx, conn, steps, {
        mode: 'one-by-one',
        hint: t(
          `A missing file is an ordinary answer, not a broken connection: send the 404 (with Content-Length) and keep reading. ${HINT_CONTENT_LENGTH.en}`,
          `文件不存在只是一个普通的回应，连接并没有坏：发送 404（带 Content-Length），然后继续读取。${HINT_CONTENT_LENGTH.zh}`,
        ),
      });
    },
  },
  {
    id: '6.9',
    title: t('a malformed request gets 400, then the connection closes', '格式错误的请求得到 400，然后连接关闭'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const files = smallFiles(ctx, site, 3);
      const bad = malformedStep(ctx, site);
      const why = t(`${bad.name} is not a valid request line, so nothing after it on the connection can be trusted`, `${bad.name} 不是合法的请求行，所以连接上它之后的内容都不可信`);

      // One after another: a 200 and a 404 that keep the connection, then the malformed request.
      const a = await connectOrExplain(ctx, 'client 1');
      const xs = await runSteps(ctx, a, [fileStep(site, files[0]!), missingStep(site, site.missing[0]!), bad], { mode: 'one-by-one', hint: HINT_BAD_REQUEST });
      await expectClosedAfter(xs[2]!, 1000, why, HINT_BAD_REQUEST);

      // Pipelined: a good request after the malformed one is not answered.
      const b = await connectOrExplain(ctx, 'client 2');
      const after = fileStep(site, files[2]!);
      const ys = await runSteps(ctx, b, [fileStep(site, files[1]!), bad], {
        mode: 'pipelined',
        of: 3,
        writes: [Buffer.concat([fileStep(site, files[1]!).request, bad.request, after.request])],
        hint: HINT_BAD_REQUEST,
        context: t(`3 requests were sent in one write; the 2nd is malformed`, `3 个请求一次写入发送，第 2 个格式错误`),
      });
      await expectClosedAfter(ys[1]!, 1000, t(`${why.en}: the ${after.name} after it must not be answered`, `${why.zh}：它之后的 ${after.name} 不应该得到回应`), HINT_BAD_REQUEST);
    },
  },
  {
    id: '6.10',
    title: t('a request with a body (POST): 405, and its body is not read as a request', '带正文的请求（POST）：405，而且正文不会被当成请求'),
    points: 1,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const [f1, f2, f3] = smallFiles(ctx, site, 3) as [SiteFile, SiteFile, SiteFile];
      const body = `${ctx.rng.word()}=${ctx.rng.word()}&${ctx.rng.word()}=${ctx.rng.word(10, 30)}`;
      const post = step(
        { method: 'POST', target: f2.url, headers: [...BROWSER_HEADERS, ['Content-Type', 'application/x-www-form-urlencoded']], body },
        { status: [405, 501] },
      );
      const first = fileStep(site, f1);
      const last = fileStep(site, f3);
      const conn = await connectOrExplain(ctx);
      const context = t(`3 requests were sent in one write; the 2nd is a POST with a ${body.length}-byte body`, `3 个请求一次写入发送，第 2 个是带 ${body.length} 字节正文的 POST`);
      const xs = await runSteps(ctx, conn, [first, post], { mode: 'pipelined', of: 3, writes: [Buffer.concat([first.request, post.request, last.request])], hint: HINT_BODY, context });
      const refused = xs[1]!;
      let x: Exchange;
      try {
        const what = whatFor(last, 2, 3);
        x = { conn, res: await readExact(conn, { what, timeoutMs: 2000, hint: HINT_BODY, previous: prev(refused, 2), context }), request: last.request, name: last.name, what };
      } catch (err) {
        // Closing after the 405 is allowed: the client will send its next request on a new connection.
        if (err instanceof CheckFailure && (conn.closed === 'fin' || conn.closed === 'reset') && conn.buffered === 0 && err.init.kind !== 'wrong') return;
        throw err;
      }
      if (x.res.status !== 200) {
        fail({
          summary: t(
            `after the ${refused.res.status} to POST ${f2.url}, whose ${body.length}-byte body (${JSON.stringify(body)}) came right after its head, ${last.name} was answered ${x.res.status} ${x.res.reason} — the server read the POST's body as the start of the next request`,
            `POST ${f2.url} 得到 ${refused.res.status} 之后（它的 ${body.length} 字节正文 ${JSON.stringify(body)} 紧跟在请求头后面），${last.name} 得到的却是 ${x.res.status} ${x.res.reason}——服务器把 POST 的正文当成了下一个请求的开头`,
          ),
          expected: t(`200 and the bytes of ${f3.file}: skip the ${body.length} body bytes that Content-Length announced, then read the next request`, `200 和 ${f3.file} 的字节：跳过 Content-Length 声明的 ${body.length} 字节正文，再读取下一个请求`),
          hint: HINT_BODY,
          conn,
          reproduce: reproduceConn(conn),
        });
      }
      await withReproduce(reproduceConn(conn), () => expectAnswer(x, [first, post, last], 2, HINT_BODY));
    },
  },
  {
    id: '6.11',
    title: t('quiet clients: a connection idle for 2.2 s is reused; a head paused for 1.2 s is answered', '安静的客户端：空闲 2.2 秒的连接可以复用；中途停顿 1.2 秒的请求头也能得到回应'),
    points: 2,
    timeoutMs: 9000,
    background: true,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const files = smallFiles(ctx, site, 4);
      const idleMs = 2200;
      const pauseMs = 1200;

      // Client 1: one request, 2.2 s of silence, then the next request on the same connection.
      const idle = async (): Promise<void> => {
        const conn = await connectOrExplain(ctx, 'client 1 (idle for 2.2 s)');
        const [x] = await runSteps(ctx, conn, [fileStep(site, files[0]!)], { mode: 'one-by-one' });
        const quietFrom = Date.now();
        const during = await conn.drainFor(idleMs);
        const quiet = Date.now() - quietFrom;
        if (conn.closed) {
          fail({
            kind: 'closed-early',
            summary: t(
              `after its response to ${x!.name}, the server ${conn.closed === 'reset' ? 'reset' : 'closed'} the connection when it had been idle for only ${formatMs(quiet)}`,
              `在回应 ${x!.name} 之后，连接才空闲了 ${formatMs(quiet)}，服务器就${conn.closed === 'reset' ? '重置' : '关闭'}了它`,
            ),
            expected: t(`an idle connection stays usable for at least 2 s (we waited ${formatMs(idleMs)}, then sent the next request)`, `空闲的连接至少 2 秒内仍然可用（我们等了 ${formatMs(idleMs)}，然后发送下一个请求）`),
            hint: HINT_IDLE,
            conn,
            reproduce: reproduceInParts([x!.request, fileStep(site, files[1]!).request], idleMs),
          });
        }
        if (during.length > 0) {
          fail({
            summary: t(`while the connection was idle after the response to ${x!.name}, ${during.length} bytes arrived: ${escapeBytes(during, 60)}`, `在回应 ${x!.name} 之后、连接空闲期间，又收到了 ${during.length} 字节：${escapeBytes(during, 60)}`),
            expected: t('nothing while the client is quiet: a server only ever answers requests', '客户端安静时什么都不会收到：服务器只回应请求'),
            hint: HINT_IDLE,
            conn,
          });
        }
        const next = fileStep(site, files[1]!);
        await runSteps(ctx, conn, [next], {
          mode: 'one-by-one',
          before: prev(x!, 1),
          hint: HINT_IDLE,
          reproduce: reproduceInParts([x!.request, next.request], idleMs),
          context: t(`sent after the connection had been idle for ${formatMs(idleMs)}`, `在连接空闲 ${formatMs(idleMs)} 之后发送`),
        });
      };

      // Client 2: one request, then the next one byte by byte, pausing 1.2 s in the middle of its head.
      const paused = async (): Promise<void> => {
        const conn = await connectOrExplain(ctx, 'client 2 (pauses inside a head)');
        const [x] = await runSteps(ctx, conn, [fileStep(site, files[2]!)], { mode: 'one-by-one' });
        const next = fileStep(site, files[3]!, { headers: [...BROWSER_HEADERS, ['Accept-Language', 'zh-CN,zh;q=0.9,en;q=0.5']] });
        const bytes = [...next.request].map((b) => Buffer.from([b]));
        const at = ctx.rng.int(Math.floor(bytes.length / 3), Math.floor((2 * bytes.length) / 3));
        const hint = t(`${HINT_IDLE.en} Until the empty line arrives, the head is not complete: keep the bytes and wait.`, `${HINT_IDLE.zh}在空行到达之前，请求头还不完整：保留已收到的字节，继续等待。`);
        const reproduce = reproduceInParts([next.request.subarray(0, at), next.request.subarray(at)], pauseMs);
        for (let i = 0; i < bytes.length; i++) {
          if (conn.closed || conn.buffered > 0) earlyAnswer(conn, i, bytes.length, bytes, 3, hint);
          await conn.send(bytes[i]!).catch(() => undefined);
          if (i === at - 1) {
            await ctx.sleep(pauseMs);
            if (conn.closed) {
              fail({
                kind: conn.closed === 'reset' ? 'reset' : 'closed-early',
                summary: t(
                  `the second request on the connection came byte by byte; after ${at} of its ${bytes.length} bytes the client paused for ${formatMs(pauseMs)}, and meanwhile the server ${conn.closed === 'reset' ? 'reset' : 'closed'} the connection`,
                  `连接上的第二个请求逐字节发送；发到它 ${bytes.length} 字节中的第 ${at} 字节时客户端停顿了 ${formatMs(pauseMs)}，服务器就在这期间${conn.closed === 'reset' ? '重置' : '关闭'}了连接`,
                ),
                expected: t('the server waits for the rest of the head (a pause of a second or so is normal on a real network)', '服务器等待请求头的剩余部分（在真实网络上停顿一秒左右很正常）'),
                hint,
                conn,
                reproduce,
              });
            }
          } else await new Promise((r) => setTimeout(r, 3));
        }
        const what = t(
          `the response to ${next.name}, the second request on the connection, whose head came byte by byte with a ${formatMs(pauseMs)} pause after byte ${at}`,
          `${next.name} 的响应（连接上的第二个请求，它的请求头逐字节到达，在第 ${at} 字节之后停顿了 ${formatMs(pauseMs)}）`,
        );
        const res = await readExact(conn, { what, timeoutMs: 2000, hint, previous: prev(x!, 1), reproduce });
        await withReproduce(reproduce, () => expectAnswer({ conn, res, request: next.request, name: next.name, what }, [next], 0, hint));
      };

      // Both at once: one wait of 2.2 s covers both.
      await firstFailureInOrder([idle(), paused()]);
    },
  },
  {
    id: '6.12',
    title: t('50 idle keep-alive connections do not stop a new client', '50 个空闲的 keep-alive 连接不会挡住新客户端'),
    points: 2,
    timeoutMs: 12000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const pool = byRole(site, ...SMALL_ROLES);
      const clients = 50;
      const around = (k: number, err: unknown, what: Text): never => {
        if (!(err instanceof CheckFailure)) throw err;
        const init = err.init;
        fail({
          ...init,
          kind: init.kind === 'reset' ? 'closed-early' : init.kind,
          summary: t(`${what.en}: ${init.summary.en}`, `${what.zh}：${init.summary.zh}`),
          hint: init.kind === 'hung' || init.kind === 'reset' || init.kind === 'closed-early' ? HINT_MANY_IDLE : init.hint,
        });
      };
      // 50 clients, each with one request answered and its connection left open.
      const conns: { conn: Conn; x: Exchange }[] = await Promise.all(
        Array.from({ length: clients }, async (_, k) => {
          const conn = await connectOrExplain(ctx, `client ${k + 1} of ${clients + 1}`);
          const s = fileStep(site, pool[k % pool.length]!);
          try {
            const [x] = await runSteps(ctx, conn, [s], { mode: 'one-by-one' });
            return { conn, x: x! };
          } catch (err) {
            return around(k, err, t(`client ${k + 1} of ${clients}, while the others kept their connections open`, `第 ${k + 1}/${clients} 个客户端（其他客户端的连接都开着）`));
          }
        }),
      );
      await ctx.sleep(100);
      const gone = conns.filter((c) => c.conn.closed);
      if (gone.length > 0) {
        fail({
          kind: 'closed-early',
          summary: t(
            `${gone.length} of the ${clients} clients had their connections closed within 100 ms of their responses (e.g. ${gone[0]!.conn.label}, after ${gone[0]!.x.name})`,
            `${clients} 个客户端中有 ${gone.length} 个的连接在收到响应后 100 毫秒内就被关闭了（例如 ${gone[0]!.conn.name.zh}，在 ${gone[0]!.x.name} 之后）`,
          ),
          expected: t('keep-alive connections stay open while idle (for at least 2 s)', 'keep-alive 连接在空闲时保持打开（至少 2 秒）'),
          hint: HINT_KEEP_OPEN,
          conn: gone[0]!.conn,
          reproduce: reproduceConn(gone[0]!.conn, [gone[0]!.x.request]),
        });
      }
      // The 51st client must be served promptly.
      const newcomer = await connectOrExplain(ctx, `client ${clients + 1} (new)`, t(`with ${clients} idle keep-alive connections open`, `在 ${clients} 个空闲 keep-alive 连接都开着的情况下`));
      const index = site.files.find((f) => f.role === 'index')!;
      // As prompt as any first answer (the bound every HTTP check uses): a correct server answers in
      // milliseconds, one that waits for an idle client to leave takes seconds.
      const promptMs = 2000;
      try {
        await runSteps(ctx, newcomer, [fileStep(site, { ...index, url: '/' })], { mode: 'one-by-one', timeoutMs: promptMs });
      } catch (err) {
        around(clients, err, t(`with ${clients} idle keep-alive connections open, a new client asked for GET / and expected an answer within ${formatMs(promptMs)}`, `在 ${clients} 个空闲 keep-alive 连接都开着的情况下，一个新客户端请求 GET /，应该在 ${formatMs(promptMs)} 内得到回应`));
      }
      // And the 50 connections are still usable.
      await Promise.all(
        conns.map(async ({ conn, x }, k) => {
          try {
            await runSteps(ctx, conn, [fileStep(site, pool[(k + 7) % pool.length]!)], { mode: 'one-by-one', before: prev(x, 1) });
          } catch (err) {
            around(k, err, t(`client ${k + 1} of ${clients}, reusing its idle connection after client ${clients + 1} was served`, `第 ${k + 1}/${clients} 个客户端在第 ${clients + 1} 个客户端得到服务之后复用它空闲的连接`));
          }
        }),
      );
    },
  },
];

/** Hints for `npm run hint 6`, gentlest first: each gives a little more away. */
const hints: Text[] = [
  t(
    'Watch a real client reuse a connection: curl -v http://127.0.0.1:9000/ http://127.0.0.1:9000/style.css asks for both on one connection if it can ("Re-using existing connection"). Against the skeleton, which closes after each response, curl has to connect twice.',
    '观察真实的客户端如何复用连接：curl -v http://127.0.0.1:9000/ http://127.0.0.1:9000/style.css 会尽量在一个连接上请求两个地址（输出里有 "Re-using existing connection"）。骨架代码每次响应后都关闭连接，所以 curl 只能连接两次。',
  ),
  t(
    'Find what closes the connection after a response and make it conditional: socket.end() after each answer, and pipeline(file, socket), which ends the socket when the file ends. Copy files yourself instead: for await (const chunk of stream) { if (!socket.write(chunk)) await the "drain" event }.',
    '找出响应之后是什么关闭了连接，让它变成有条件的：每次回应后的 socket.end()，还有 pipeline(file, socket)——它会在文件结束时结束 socket。改为自己复制文件：for await (const chunk of stream) { 如果 socket.write(chunk) 返回 false，就等待 "drain" 事件 }。',
  ),
  t(
    "Keep one buffer per connection. After every 'data' event, loop: while the buffer holds \"\\r\\n\\r\\n\", cut that head off the front, handle it, and keep the rest — it is the next request (or part of it). Several requests can arrive in one chunk, and one request in many.",
    "每个连接一个缓冲区。每次 'data' 事件之后循环：只要缓冲区里有 \"\\r\\n\\r\\n\"，就从前面切下这个请求头并处理，剩下的留着——那是下一个请求（或它的一部分）。一块数据里可能有好几个请求，一个请求也可能分成好几块。",
  ),
  t(
    'Answer strictly in order: let chain = Promise.resolve() per connection, and for each request chain = chain.then(() => respond(request)). respond must resolve only when its response has been written completely, file included — otherwise a small answer overtakes a big one.',
    '严格按顺序回应：每个连接一个 let chain = Promise.resolve()，每个请求 chain = chain.then(() => respond(request))。respond 只有在响应（包括文件）完整写出之后才能 resolve——否则小的响应会抢到大的前面。',
  ),
  t(
    'When to close: the request says Connection: close; an HTTP/1.0 request does not say Connection: keep-alive (when it does, answer Connection: keep-alive); the request is malformed (400). Then write Connection: close in the response, end the socket after it, and ignore what else is in the buffer. Every response carries Content-Length.',
    '什么时候关闭：请求里写了 Connection: close；HTTP/1.0 请求没有写 Connection: keep-alive（如果写了，就回应 Connection: keep-alive）；请求格式错误（400）。这时在响应里写上 Connection: close，响应之后结束 socket，并忽略缓冲区里的其他内容。每个响应都带 Content-Length。',
  ),
  t(
    'Idle connections: socket.setTimeout(5000, () => socket.end()) closes a connection after 5 s without a byte either way — long enough for a client to come back, short enough that idle clients do not pile up. A POST body: skip Content-Length bytes before looking for the next head.',
    '空闲连接：socket.setTimeout(5000, () => socket.end()) 会在两个方向 5 秒都没有任何字节时关闭连接——足够客户端回来继续使用，又不会让空闲客户端越积越多。POST 的正文：先跳过 Content-Length 个字节，再找下一个请求头。',
  ),
];

export default defineStage(import.meta.url, {
  title: t('Keep-alive: persistent connections and pipelining', 'Keep-alive：持久连接与管线化'),
  checks,
  hints,
  site: { features: ['media-types', 'binary', 'large', 'unknown-type', 'folder-index', 'nested', 'spaced', 'unicode'] },
});
