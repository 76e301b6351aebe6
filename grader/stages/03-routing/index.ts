/**
 * Stage 3 — routing. `GET /path` serves the file at STATIC_DIR/path with a Content-Type from its
 * extension; directories serve their index.html; a missing file is 404 with error.html; HEAD, other
 * methods and malformed request lines get the right status; nothing outside the document root is
 * ever served, however the path is encoded. The document root is random for every seed, with file
 * names from every character a file system allows and a file bigger than the kernel's buffers,
 * which a client stops reading and then reads slowly while others are served.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadSite, readSiteFile, typesFor, type Oddity, type Site, type SiteFile } from '../../site/site.ts';
import { fail } from '../../failure.ts';
import { t, type Text } from '../../i18n.ts';
import { defineStage } from '../../stage.ts';
import type { Check, CheckContext } from '../../types.ts';
import { type Conn, formatMs } from '../../wire/conn.ts';
import { escapeBytes } from '../../wire/escape.ts';
import { buildRequest, receiveResponse, requestName, takeLeftover, type RequestInit } from '../../wire/http.ts';
import { readSlowly, stopReading, untilUnreadArrives } from '../../wire/adversary.ts';
import { browserRequest } from '../../wire/requests.ts';
import { kindOf } from '../../expect/kinds.ts';
import {
  REPLY_MS,
  HINT_WHOLE_HEAD,
  connectOrExplain,
  exchange,
  expectBody,
  expectContentType,
  expectOversizedRejected,
  expectStatus,
  readExchange,
  responseFailure,
  responseTo,
  sendWithoutEarlyAnswer,
  type Exchange,
} from '../../expect/http.ts';
import { splitRandomly } from '../../expect/bytes.ts';

const get = (target: string, method = 'GET'): RequestInit => ({ method, target });

/** GET a file of the site and require 200, its Content-Type and its exact bytes. */
async function expectServed(ctx: CheckContext, site: Site, f: SiteFile, opts: { target?: string; hint?: Text; label?: string } = {}): Promise<Exchange> {
  const x = await exchange(ctx, get(opts.target ?? f.url), { label: opts.label, timeoutMs: f.role === 'large' || f.role === 'huge' ? 6000 : REPLY_MS });
  expectStatus(
    x,
    200,
    opts.hint ?? t(`${f.file} exists in STATIC_DIR, so ${x.name} should find it.`, `${f.file} 就在 STATIC_DIR 里，所以 ${x.name} 应该能找到它。`),
  );
  expectContentType(x, typesFor(f.file), f.file);
  await expectBody(x, readSiteFile(site, f), f.file, opts.hint);
  return x;
}

const byRole = (site: Site, ...roles: SiteFile['role'][]): SiteFile[] => site.files.filter((f) => roles.includes(f.role));

const HINT_DECODE = t(
  'Decode the path before you look for the file: decodeURIComponent turns %20 into a space and %E7%AC%94 into 笔. Decode once, after cutting off the query string — and catch the URIError it throws for a malformed escape such as %zz (answer 400).',
  '先解码路径，再去找文件：decodeURIComponent 会把 %20 变成空格，把 %E7%AC%94 变成“笔”。在去掉查询字符串之后解码一次——并且要捕获它在遇到 %zz 这类错误转义时抛出的 URIError（回应 400）。',
);

const HINT_404 = t(
  'When the file does not exist (fs.stat or open fails with ENOENT, or the path is a folder without index.html), answer 404 Not Found with the bytes of STATIC_DIR/error.html as the body.',
  '文件不存在时（fs.stat 或 open 报 ENOENT，或者路径是一个没有 index.html 的文件夹），回应 404 Not Found，正文是 STATIC_DIR/error.html 的字节。',
);

/** Everything a connection received, whatever shape it was in. */
const allReceived = (conn: Conn): Buffer => Buffer.concat(conn.events.flatMap((e) => (e.kind === 'recv' ? [e.bytes] : [])));

const checks: Check[] = [
  {
    id: '3.1',
    title: t('GET / serves index.html', 'GET / 返回 index.html'),
    points: 1,
    timeoutMs: 4000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      await expectServed(ctx, site, site.files.find((f) => f.role === 'index')!, {
        target: '/',
        hint: t('A path that ends in "/" names a folder: serve the index.html inside it. For "/", that is STATIC_DIR/index.html.', '以 "/" 结尾的路径表示一个文件夹：返回其中的 index.html。对 "/" 来说就是 STATIC_DIR/index.html。'),
      });
    },
  },
  {
    id: '3.2',
    title: t('files by path, with Content-Type from the extension', '按路径返回文件，Content-Type 取决于扩展名'),
    points: 2,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      for (const f of byRole(site, 'text')) await expectServed(ctx, site, f);
    },
  },
  {
    id: '3.3',
    title: t('images and other binary files, byte for byte', '图片等二进制文件逐字节一致'),
    points: 2,
    timeoutMs: 10000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const hint = t(
        'Binary files must go out untouched: read them as Buffers (no "utf8" argument, no toString()) or stream them with fs.createReadStream(file).pipe(socket), and end the socket with end(), never destroy(), so the last bytes are not cut off.',
        '二进制文件必须原封不动地发出去：以 Buffer 读取（不要传 "utf8"，不要 toString()），或者用 fs.createReadStream(file).pipe(socket) 以流的方式发送；结束时用 end() 而不是 destroy()，以免截掉最后的字节。',
      );
      for (const f of byRole(site, 'binary', 'large')) await expectServed(ctx, site, f, { hint });
    },
  },
  {
    id: '3.4',
    title: t('unknown extensions are application/octet-stream', '未知扩展名用 application/octet-stream'),
    points: 1,
    timeoutMs: 4000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      for (const f of byRole(site, 'unknown-type')) await expectServed(ctx, site, f);
    },
  },
  {
    id: '3.5',
    title: t('nested folders, and index.html for paths ending in /', '嵌套文件夹，以及以 / 结尾的路径返回 index.html'),
    points: 2,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      for (const f of byRole(site, 'nested')) await expectServed(ctx, site, f);
      const hint = t(
        'A path that ends in "/" names a folder: serve the index.html inside it (/docs/ → STATIC_DIR/docs/index.html).',
        '以 "/" 结尾的路径表示一个文件夹：返回其中的 index.html（/docs/ → STATIC_DIR/docs/index.html）。',
      );
      for (const f of byRole(site, 'dir-index')) await expectServed(ctx, site, f, { target: f.url.slice(0, -'index.html'.length), hint });
    },
  },
  {
    id: '3.6',
    title: t('percent-encoded names: spaces and Chinese', '百分号编码的文件名：空格和中文'),
    points: 2,
    timeoutMs: 5000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      for (const f of byRole(site, 'spaced', 'unicode')) await expectServed(ctx, site, f, { hint: HINT_DECODE });
      // Any character may be percent-encoded, not only the ones that must be.
      const plain = byRole(site, 'text')[0]!;
      const name = path.posix.basename(plain.file);
      const i = ctx.rng.int(0, name.indexOf('.') - 1);
      const target = '/' + name.slice(0, i) + '%' + name.charCodeAt(i).toString(16).toUpperCase() + name.slice(i + 1);
      await expectServed(ctx, site, plain, { target, hint: HINT_DECODE });
      // Every byte of every segment encoded, in lower-case hex (RFC 3986 §2.1: both cases mean the same).
      const deep = byRole(site, 'nested').find((f) => f.file.split('/').length >= 3) ?? byRole(site, 'nested')[0]!;
      const everyByte = '/' + deep.file.split('/').map((seg) => [...Buffer.from(seg)].map((b) => '%' + b.toString(16).padStart(2, '0')).join('')).join('/');
      await expectServed(ctx, site, deep, {
        target: everyByte,
        hint: t(
          `${HINT_DECODE.en} Any byte may be percent-encoded, and the hex digits may be lower case (%2e is %2E): decodeURIComponent handles both.`,
          `${HINT_DECODE.zh}任何字节都可以用百分号编码，十六进制数字也可以是小写（%2e 和 %2E 相同）：decodeURIComponent 两种都能处理。`,
        ),
      });
    },
  },
  {
    id: '3.7',
    title: t('the query string and fragment are ignored', '忽略查询字符串和片段'),
    points: 1,
    timeoutMs: 5000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const hint = t(
        'The request-target is path?query. Cut it at the first "?" (and at a "#", which some clients send) before you decode it and look for the file.',
        '请求目标的格式是 路径?查询。先在第一个 "?" 处截断（还有 "#"，有些客户端会把它发过来），然后再解码、再去找文件。',
      );
      const css = byRole(site, 'text').find((f) => f.file.endsWith('.css'))!;
      const spaced = byRole(site, 'spaced')[0]!;
      await expectServed(ctx, site, css, { target: `${css.url}?v=${ctx.rng.int(1, 999)}&${ctx.rng.word()}=${ctx.rng.word()}`, hint });
      await expectServed(ctx, site, spaced, { target: `${spaced.url}?q=a%20b#${ctx.rng.word()}`, hint });
      await expectServed(ctx, site, site.files.find((f) => f.role === 'index')!, { target: `/?from=${ctx.rng.word()}`, hint });
      // A query is the client's business: escapes that do not decode, a lone "%", slashes, dots and
      // a second "?" in it change nothing about the file.
      const page = byRole(site, 'text').find((f) => f.file.endsWith('.html')) ?? css;
      const odd = `?q=100%&x=%zz&${ctx.rng.word()}=/../../${ctx.rng.word()}?a=b;c=+d`;
      await expectServed(ctx, site, page, {
        target: page.url + odd,
        hint: t(
          `${hint.en} Only the path is decoded: the query may hold anything, even escapes like %zz that decodeURIComponent would throw on, so cut first and decode the path alone.`,
          `${hint.zh}只解码路径：查询字符串里可以是任何东西，甚至是 decodeURIComponent 会报错的 %zz 这类转义，所以要先截断，再只解码路径部分。`,
        ),
      });
    },
  },
  {
    id: '3.8',
    title: t('a missing file is 404 Not Found', '不存在的文件返回 404 Not Found'),
    points: 1,
    timeoutMs: 5000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      for (const target of site.missing) {
        const x = await exchange(ctx, get(target));
        expectStatus(x, 404, HINT_404);
      }
    },
  },
  {
    id: '3.9',
    title: t('the 404 page is error.html', '404 页面是 error.html'),
    points: 1,
    timeoutMs: 4000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const x = await exchange(ctx, get(site.missing[0]!));
      expectStatus(x, 404, HINT_404);
      expectContentType(x, ['text/html'], 'error.html');
      await expectBody(x, readSiteFile(site, 'error.html'), 'error.html', HINT_404);
    },
  },
  {
    id: '3.10',
    title: t('HEAD: the same status and headers, no body', 'HEAD：状态和头部相同，没有正文'),
    points: 2,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const hint = t(
        'Answer HEAD exactly like GET — same status line, same Content-Type and Content-Length — but stop after the empty line that ends the head: no body. The client knows not to wait for one.',
        'HEAD 的回应和 GET 完全一样——相同的状态行、相同的 Content-Type 和 Content-Length——但在结束头部的空行之后就停下：没有正文。客户端知道不用等正文。',
      );
      const targets = [byRole(site, 'text')[0]!.url, byRole(site, 'binary')[0]!.url, site.missing[0]!];
      for (const target of targets) {
        const g = await exchange(ctx, get(target), { label: `client (GET ${target})` });
        const h = await exchange(ctx, get(target, 'HEAD'), { label: `client (HEAD ${target})`, hint });
        expectStatus(h, g.res.status, hint, t(`${g.res.status}, as for GET ${target}`, `${g.res.status}，和 GET ${target} 一样`));
        for (const name of ['Content-Type', 'Content-Length']) {
          if (h.res.header(name) === g.res.header(name)) continue;
          fail({
            summary: t(`${h.what.en}: ${name} is ${JSON.stringify(h.res.header(name) ?? null)}, but GET said ${JSON.stringify(g.res.header(name) ?? null)}`, `${h.what.zh}：${name} 是 ${JSON.stringify(h.res.header(name) ?? null)}，而 GET 的是 ${JSON.stringify(g.res.header(name) ?? null)}`),
            expected: t(`${name}: ${g.res.header(name)} — the headers GET would send`, `${name}: ${g.res.header(name)}——和 GET 发送的头部一样`),
            hint,
            conn: h.conn,
          });
        }
        const extra = Buffer.concat([takeLeftover(h.conn), await h.conn.drainFor(80)]);
        if (extra.length > 0) {
          fail({
            summary: t(`${h.what.en}: ${extra.length} bytes of body followed the head: ${escapeBytes(extra, 50)}`, `${h.what.zh}：头部之后跟着 ${extra.length} 字节正文：${escapeBytes(extra, 50)}`),
            expected: t('nothing after the empty line: a response to HEAD never has a body', '空行之后什么都没有：HEAD 的响应永远没有正文'),
            hint,
            conn: h.conn,
          });
        }
      }
    },
  },
  {
    id: '3.11',
    title: t('other methods: 405 with Allow: GET, HEAD (or 501)', '其他方法：405 加 Allow: GET, HEAD（或 501）'),
    points: 1,
    timeoutMs: 5000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const file = byRole(site, 'text')[0]!;
      const hint = t(
        'This server only reads: for any method other than GET and HEAD, answer 405 Method Not Allowed with an Allow: GET, HEAD header (or 501 Not Implemented for a method you don\'t know at all) — never serve the file.',
        '这个服务器只提供读取：除了 GET 和 HEAD 之外的任何方法，都回应 405 Method Not Allowed，并带上 Allow: GET, HEAD 头部（对于完全不认识的方法，也可以回应 501 Not Implemented）——绝不能返回文件。',
      );
      const requests: RequestInit[] = [
        { method: 'POST', target: file.url, headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: `${ctx.rng.word()}=${ctx.rng.word()}` },
        { method: ctx.rng.pick(['PUT', 'DELETE', 'PATCH']), target: file.url },
        { method: ctx.rng.pick(['BREW', 'PROPFIND', 'SOCKLAB']), target: '/' },
        // Methods are case-sensitive (RFC 9110 §9.1): "get" is not GET. nginx answers 400, Python 501.
        { method: ctx.rng.pick(['get', 'Get', 'gEt']), target: file.url },
      ];
      for (const init of requests) {
        const conn = await connectOrExplain(ctx);
        const request = buildRequest(init);
        await conn.send(request);
        const x = await readExchange(conn, request, requestName(init), responseTo(requestName(init)), { hint });
        if (init.method !== init.method!.toUpperCase()) {
          const caseHint = t(
            `Methods are case-sensitive: "${init.method}" is not GET. Compare the method as it is — no toUpperCase() — and answer a method you don't serve with 405 (or 501, or 400 as nginx does); never with the file.`,
            `方法名区分大小写："${init.method}" 不是 GET。按原样比较方法名——不要 toUpperCase()——对不提供的方法回应 405（或 501，也可以像 nginx 那样回应 400）；绝不能返回文件。`,
          );
          expectStatus(x, [400, 405, 501], caseHint, t(`400, 405 or 501: "${init.method}" is a method of its own, not GET`, `400、405 或 501："${init.method}" 是另一个方法，不是 GET`));
          continue;
        }
        expectStatus(x, [405, 501], hint, t('405 Method Not Allowed (with Allow: GET, HEAD), or 501 Not Implemented', '405 Method Not Allowed（带 Allow: GET, HEAD），或 501 Not Implemented'));
        if (x.res.status === 405) {
          const allow = (x.res.header('allow') ?? '').split(',').map((m) => m.trim()).filter(Boolean);
          if (!allow.includes('GET') || !allow.includes('HEAD') || allow.includes(init.method!)) {
            fail({
              summary: t(
                `${x.what.en}: 405, but ${x.res.header('allow') === undefined ? 'without an Allow header' : `with Allow: ${x.res.header('allow')}`}`,
                `${x.what.zh}：回应了 405，但${x.res.header('allow') === undefined ? '没有 Allow 头部' : `Allow 是 ${x.res.header('allow')}`}`,
              ),
              expected: t('Allow: GET, HEAD — a 405 must say which methods do work (RFC 9110 §15.5.6)', 'Allow: GET, HEAD——405 响应必须说明哪些方法可用（RFC 9110 §15.5.6）'),
              hint,
              conn,
            });
          }
        }
      }
    },
  },
  {
    id: '3.12',
    title: t('a malformed request line gets 400; the server keeps serving', '格式错误的请求行得到 400，服务器继续工作'),
    points: 2,
    timeoutMs: 9000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const hint = t(
        'A request line is exactly three parts separated by single spaces: method, request-target (starting with "/"), and HTTP/1.x. Anything else gets 400 Bad Request. Check the parts before you use them — an undefined target must not crash the server.',
        '请求行正好由三部分组成，用单个空格分隔：方法、请求目标（以 "/" 开头）、HTTP/1.x。其他任何形式都回应 400 Bad Request。使用之前先检查这几部分——目标是 undefined 时不能让服务器崩溃。',
      );
      const file = byRole(site, 'spaced')[0]!;
      // Four parts where three belong — what a client that forgets to encode a space sends. Every real
      // server answers these 400.
      const strict = [
        `GET /${path.posix.basename(file.file)} HTTP/1.1`,
        `GET / ${ctx.rng.word()} HTTP/1.1`,
      ];
      // Garbage: a server must survive these. (Python's http.server answers them the HTTP/0.9 way,
      // a bare error page, so here we only insist on an answer or a close, and no crash.)
      const lenient = [ctx.rng.word(), 'GET', `\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03${ctx.rng.word()}`, `GET /\x00 HTTP/1.1`];
      for (const line of strict) {
        const request = Buffer.from(`${line}\r\nHost: localhost\r\n\r\n`, 'latin1');
        const conn = await connectOrExplain(ctx, undefined, t('after earlier malformed requests', '在之前几个格式错误的请求之后'));
        await conn.send(request);
        const x = await readExchange(conn, request, JSON.stringify(line), t(`the response to the request line ${JSON.stringify(line)}`, `对请求行 ${JSON.stringify(line)} 的响应`), { hint });
        expectStatus(x, 400, hint, t('400 Bad Request', '400 Bad Request'));
        conn.abort();
      }
      for (const line of lenient) {
        const request = Buffer.from(`${line}\r\n\r\n`, 'latin1');
        const conn = await connectOrExplain(ctx, undefined, t('after earlier malformed requests', '在之前几个格式错误的请求之后'));
        await conn.send(request);
        const read = await receiveResponse(conn, { timeoutMs: REPLY_MS });
        if (!read.ok) {
          // A malformed answer, or none, is forgiven if the server at least closes the connection.
          const { how } = await conn.readToEnd(REPLY_MS);
          if (how !== 'fin' && how !== 'reset') {
            fail(responseFailure(read.problem, conn, { timeoutMs: REPLY_MS, what: t(`the response to the request line ${escapeBytes(line)}`, `对请求行 ${escapeBytes(line)} 的响应`), hint }));
          }
        }
        conn.abort();
      }
      const after = t('after 6 malformed requests', '在 6 个格式错误的请求之后');
      const conn = await connectOrExplain(ctx, 'client (after the malformed ones)', after);
      const request = buildRequest(get('/'));
      await conn.send(request);
      const x = await readExchange(conn, request, 'GET /', t(`${after.en}, the response to GET /`, `${after.zh}，GET / 的响应`), { hint });
      expectStatus(x, 200, hint);
    },
  },
  {
    id: '3.13',
    title: t('nothing outside the document root, however it is encoded', '无论怎样编码，都不返回文档根目录之外的文件'),
    points: 3,
    timeoutMs: 12000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const secrets = site.secrets.map((p) => ({ path: p, content: readFileSync(p) }));
      const [outside, sibling] = site.secrets as [string, string];
      const up = path.basename(outside);
      const beside = `${path.basename(site.root)}-private/${path.basename(sibling)}`;
      const abs = outside.slice(1);
      const dirUrl = '/' + site.someDir.split('/').map(encodeURIComponent).join('/');
      const depth = site.someDir.split('/').length + 1;
      const attempts: { target: string; leak: Text; closeIsFine?: boolean }[] = [
        { target: `/../${up}`, leak: HINT_RESOLVE },
        { target: `/%2e%2e/${up}`, leak: HINT_DECODE_FIRST },
        { target: `/%2E%2E/${up}`, leak: HINT_DECODE_FIRST },
        { target: `/.%2e/${up}`, leak: HINT_DECODE_FIRST },
        { target: `/..%2f${up}`, leak: HINT_DECODE_FIRST },
        { target: `/%2e%2e%2f${up}`, leak: HINT_DECODE_FIRST },
        { target: `/./../${up}`, leak: HINT_RESOLVE },
        { target: `${dirUrl}/${'../'.repeat(depth)}${up}`, leak: HINT_RESOLVE },
        { target: `${dirUrl}/${'..%2F'.repeat(depth)}${up}`, leak: HINT_DECODE_FIRST },
        { target: `/${'../'.repeat(16)}${abs}`, leak: HINT_RESOLVE },
        { target: `//${abs}`, leak: HINT_ABSOLUTE },
        { target: `/%2f${abs.replaceAll('/', '%2f')}`, leak: HINT_ABSOLUTE },
        { target: `/../${beside}`, leak: HINT_PREFIX },
        { target: `/%2e%2e/${beside}`, leak: HINT_PREFIX },
        { target: `/%252e%252e/${up}`, leak: HINT_DECODE_TWICE },
        { target: `/..%5c${up}`, leak: HINT_RESOLVE },
        { target: `/%c0%ae%c0%ae/${up}`, leak: HINT_RESOLVE },
        // Node's fs refuses paths with a NUL byte; Python's http.server just drops the connection.
        { target: `/..%00/${up}`, leak: HINT_RESOLVE, closeIsFine: true },
      ];
      for (const a of attempts) {
        const conn = await connectOrExplain(ctx, `client (GET ${a.target.length > 60 ? a.target.slice(0, 57) + '…' : a.target})`, t('after earlier path traversal attempts', '在之前几次路径穿越尝试之后'));
        const request = buildRequest(get(a.target));
        await conn.send(request);
        const read = await receiveResponse(conn, { timeoutMs: REPLY_MS });
        const got = allReceived(conn);
        const leaked = secrets.find((s) => got.includes(s.content.subarray(0, 40)));
        if (leaked) {
          fail({
            summary: t(
              `GET ${a.target} returned the contents of ${leaked.path}, a file OUTSIDE the document root ${site.root} — anyone could read any file on this machine`,
              `GET ${a.target} 返回了 ${leaked.path} 的内容，而这个文件在文档根目录 ${site.root} 之外——任何人都能读取这台机器上的任意文件`,
            ),
            expected: t('a 4xx answer (400, 403 or 404), never a file from outside STATIC_DIR', '4xx 回应（400、403 或 404），绝不返回 STATIC_DIR 之外的文件'),
            hint: a.leak,
            conn,
          });
        }
        if (!read.ok) {
          if (a.closeIsFine && conn.closed) continue;
          fail(responseFailure(read.problem, conn, { timeoutMs: REPLY_MS, what: responseTo(`GET ${a.target}`) }));
        }
        const res = read.response;
        if (res.status < 400 || res.status > 499) {
          fail({
            summary: t(`GET ${a.target}, which points outside the document root, was answered ${res.status} ${res.reason}`, `GET ${a.target} 指向文档根目录之外，得到的回应却是 ${res.status} ${res.reason}`),
            expected: t('a 4xx answer: 400 Bad Request, 403 Forbidden or 404 Not Found', '4xx 回应：400 Bad Request、403 Forbidden 或 404 Not Found'),
            hint: res.status >= 500 ? t('A path a client made up is the client\'s mistake, not the server\'s: answer 4xx, not 5xx. Catch the error (e.g. URIError from decodeURIComponent) and answer 400.', '客户端编造的路径是客户端的错，不是服务器的错：应该回应 4xx，而不是 5xx。捕获这个错误（例如 decodeURIComponent 抛出的 URIError），回应 400。') : a.leak,
            conn,
          });
        }
        conn.abort();
      }
    },
  },
  {
    id: '3.14',
    title: t('responses are HTTP/1.1', '响应使用 HTTP/1.1'),
    points: 1,
    timeoutMs: 4000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      for (const target of ['/', site.missing[0]!]) {
        const x = await exchange(ctx, get(target));
        if (x.res.version === 'HTTP/1.1') continue;
        fail({
          summary: t(`${x.what.en}: the status line says ${x.res.version}`, `${x.what.zh}：状态行写的是 ${x.res.version}`),
          expected: t('HTTP/1.1 at the start of every status line, errors included', '每个状态行（包括错误响应）都以 HTTP/1.1 开头'),
          hint: t('The version in a response is the version the server speaks; ours speaks HTTP/1.1, and the client asked in HTTP/1.1 too.', '响应里的版本号表示服务器所说的协议版本；我们的服务器说的是 HTTP/1.1，客户端的请求用的也是 HTTP/1.1。'),
          caret: { data: x.res.head, offset: Math.max(0, [...'HTTP/1.1'].findIndex((c, i) => x.res.head[i] !== c.charCodeAt(0))), note: t('HTTP/1.1 expected here', '这里应该是 HTTP/1.1') },
          conn: x.conn,
        });
      }
    },
  },
  {
    id: '3.15',
    title: t('a head dribbled over a second while others are served', '请求头用一秒多慢慢送达，同时其他客户端照常得到服务'),
    points: 2,
    timeoutMs: 8000,
    background: true,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const wanted = byRole(site, 'text')[0]!;
      const request = buildRequest({ target: wanted.url, headers: [['User-Agent', 'socklab-grader (a very slow client)'], ['Accept', '*/*'], ['Accept-Language', 'zh-CN,en;q=0.5']] });
      // 27 small pieces, 40 ms apart: just over a second for one head.
      const pieces = splitRandomly(request, 27, ctx.rng);
      const pause = 40;
      const slowHint = t(
        `${HINT_WHOLE_HEAD.en} A slow client is no reason to give up either: no short timeouts on the head.`,
        `${HINT_WHOLE_HEAD.zh}客户端慢也不是放弃的理由：不要给请求头设很短的超时。`,
      );
      const slow = await connectOrExplain(ctx, 'client 1 (slow)');
      let slowDone = false;
      const dribbling = sendWithoutEarlyAnswer(ctx, slow, pieces, pause, slowHint).finally(() => (slowDone = true));
      dribbling.catch(() => {});
      // Meanwhile, other clients must be served — before the slow one has finished, or they waited
      // for it. (Judged against the dribble, not the clock, so a loaded machine does not matter.)
      await ctx.sleep(120);
      // Five: with the slow one, six connections — what a listen backlog of 5 (Python's default)
      // holds even if the server accepts none of them for a while, so no SYN has to be retried.
      const others = ctx.rng.shuffle(byRole(site, 'text', 'binary', 'nested', 'spaced', 'unicode')).slice(0, 5);
      const hint = t(
        "One slow client must not hold up the others, nor mix its bytes with theirs. Keep each connection's state (its buffer) in variables inside the connection handler, and never block the event loop waiting for one socket.",
        '一个慢吞吞的客户端既不能拖住其他客户端，也不能让它的字节和别人的混在一起。把每个连接的状态（它的缓冲区）放在连接处理函数内部的变量里，也不要为了等某一个 socket 而阻塞事件循环。',
      );
      await Promise.all(
        others.map(async (f, k) => {
          const conn = await connectOrExplain(ctx, `client ${k + 2}`);
          const req = buildRequest(get(f.url));
          await conn.send(req);
          const what = t(`the response to GET ${f.url}, sent while client 1 was still sending its head`, `GET ${f.url} 的响应（发送时客户端 1 还在慢慢发送请求头）`);
          const x = await readExchange(conn, req, `GET ${f.url}`, what, { hint });
          if (slowDone) {
            fail({
              kind: 'hung',
              summary: t(
                `${what.en}: it came only after client 1 had finished its slow head (${formatMs(pause * (pieces.length - 1))}) — the server waited for the slow client`,
                `${what.zh}：直到客户端 1 慢慢发完请求头（用了 ${formatMs(pause * (pieces.length - 1))}）之后才到——服务器在等那个慢客户端`,
              ),
              expected: t('an answer within milliseconds, whatever other clients are doing', '几毫秒之内就得到回应，不管其他客户端在做什么'),
              hint,
              conn,
            });
          }
          expectStatus(x, 200, hint);
          await expectBody(x, readSiteFile(site, f), f.file, hint);
          conn.abort();
        }),
      );
      await dribbling;
      const x = await readExchange(slow, request, `GET ${wanted.url}`, t(`the response to GET ${wanted.url}, whose head took ${formatMs(pause * (pieces.length - 1))} to arrive in ${pieces.length} pieces`, `GET ${wanted.url} 的响应（它的请求头分 ${pieces.length} 段、用了 ${formatMs(pause * (pieces.length - 1))} 才送达）`), { hint: slowHint });
      expectStatus(x, 200, slowHint);
      await expectBody(x, readSiteFile(site, wanted), wanted.file, slowHint);
    },
  },
  {
    id: '3.16',
    title: t('empty connections and oversized heads do not stop the server', '空连接和超大请求头不会让服务器停下'),
    points: 1,
    timeoutMs: 10000,
    async run(ctx) {
      const quiet = await connectOrExplain(ctx, 'client (sends nothing, closes)');
      quiet.end();
      const rude = await connectOrExplain(ctx, 'client (sends nothing, resets)');
      rude.reset();
      await ctx.sleep(50);
      await expectOversizedRejected(ctx, () => '/');
    },
  },
  {
    id: '3.17',
    title: t('file names with any character a file system allows', '文件名可以包含文件系统允许的任何字符'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      // Status and bytes only: Content-Type has checks of its own, and "name.." has no extension
      // that servers agree on.
      for (const f of byRole(site, 'odd')) {
        const hint = HINT_ODD[f.oddity ?? 'any'];
        const x = await exchange(ctx, get(f.url), { hint });
        expectStatus(x, 200, hint, t(`200 OK and the bytes of ${JSON.stringify(f.file)}, a file in STATIC_DIR`, `200 OK 和 ${JSON.stringify(f.file)} 的字节（STATIC_DIR 里有这个文件）`));
        await expectBody(x, readSiteFile(site, f), f.file, hint);
      }
    },
  },
  {
    id: '3.18',
    title: t('a 6 MB file to a client that stops reading, then reads slowly; others served meanwhile', '把 6 MB 的文件发给一个先停止读取、再慢慢读的客户端；同时照常服务其他人'),
    points: 3,
    timeoutMs: 16000,
    background: true,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const huge = byRole(site, 'huge')[0]!;
      const content = readSiteFile(site, huge);
      const mb = (content.length / 1e6).toFixed(1);
      const slow = await connectOrExplain(ctx, 'client 1 (stops reading, then reads slowly)');
      stopReading(slow);
      const init = get(huge.url);
      const request = buildRequest(init);
      const name = requestName(init);
      await slow.send(request);
      // Start the others only once the server is answering client 1: from then on its answer is
      // backed up behind a client that reads nothing, and a server that serves one request at a
      // time is stuck with it.
      const answering = await untilUnreadArrives(slow, REPLY_MS);
      const silentSince = Date.now();
      if (answering) {
        const others = [ctx.rng.pick(byRole(site, 'text')), ctx.rng.pick(byRole(site, 'binary')), ctx.rng.pick(byRole(site, 'nested'))];
        await Promise.all(
          others.map(async (f, k) => {
            const conn = await connectOrExplain(ctx, `client ${k + 2}`);
            const req = buildRequest(get(f.url));
            await conn.send(req);
            const what = t(
              `the response to GET ${f.url}, sent while client 1 was not reading the ${mb} MB file it had asked for`,
              `GET ${f.url} 的响应（发送时客户端 1 没有在读取它请求的 ${mb} MB 文件）`,
            );
            const x = await readExchange(conn, req, `GET ${f.url}`, what, { hint: HINT_NOT_STUCK });
            expectStatus(x, 200, HINT_NOT_STUCK);
            await expectBody(x, readSiteFile(site, f), f.file, HINT_NOT_STUCK);
            conn.abort();
          }),
        );
        await ctx.sleep(Math.max(0, silentSince + SILENT_MS - Date.now()));
      }
      const reader = readSlowly(slow, SLOW_READ_GAP_MS);
      const what = t(
        `the response to ${name} (${content.length} bytes), for a client that read nothing for ${formatMs(SILENT_MS)} and then read at most ${SLOW_READ_KB} KiB at a time, ${SLOW_READ_GAP_MS} ms apart`,
        `${name}（${content.length} 字节）的响应；客户端先 ${formatMs(SILENT_MS)} 什么都不读，然后每次最多读 ${SLOW_READ_KB} KiB、每两次之间隔 ${SLOW_READ_GAP_MS} 毫秒`,
      );
      const read = await receiveResponse(slow, { timeoutMs: 12000 });
      await reader.stop();
      if (!read.ok) {
        const p = read.problem;
        if (p.problem === 'body-cut-short' && p.ending.kind !== 'timeout') {
          fail({
            kind: kindOf(p.ending),
            summary: t(
              `${what.en}: Content-Length announced ${p.announced} bytes, but the server ${p.ending.kind === 'reset' ? 'reset' : 'closed'} the connection after ${p.received} — before the client had read the rest`,
              `${what.zh}：Content-Length 声明了 ${p.announced} 字节，但服务器只发了 ${p.received} 字节就${p.ending.kind === 'reset' ? '重置' : '关闭'}了连接——客户端还没来得及读剩下的部分`,
            ),
            expected: t(`all ${p.announced} bytes, however long the client takes to read them`, `全部 ${p.announced} 字节，不管客户端读得多慢`),
            hint: HINT_FLUSH,
            conn: slow,
          });
        }
        fail(responseFailure(p, slow, { timeoutMs: 12000, what, hint: HINT_FLUSH }));
      }
      const x: Exchange = { conn: slow, res: read.response, request, name, what };
      expectStatus(x, 200, HINT_FLUSH);
      await expectBody(x, content, huge.file, HINT_FLUSH);
    },
  },
  {
    id: '3.19',
    title: t("a browser's request: 4–7 KiB of headers, cookies included", '浏览器的请求：4–7 KiB 的头部，带着 Cookie'),
    points: 1,
    timeoutMs: 5000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const index = site.files.find((f) => f.role === 'index')!;
      const css = byRole(site, 'text').find((f) => f.file.endsWith('.css'))!;
      const page = browserRequest('/', ctx.rng);
      const style = browserRequest(css.url, ctx.rng, { dest: 'style', referer: 'http://localhost/', headBytes: ctx.rng.int(6 * 1024, 7 * 1024) });
      for (const [init, f] of [[page, index], [style, css]] as const) {
        const size = buildRequest(init).length;
        const hint = t(
          `Browsers send a dozen header fields and every cookie the site has set: this head is ${size} bytes, and 8 KB is not unusual. Read until "\\r\\n\\r\\n" however many reads that takes, and put your limit well above that (16 KiB is common; nginx takes up to 32 KiB).`,
          `浏览器会发送十几个头部字段，外加这个网站设置过的所有 Cookie：这个请求头有 ${size} 字节，8 KB 也很常见。一直读到 "\\r\\n\\r\\n" 为止，不管要读几次；上限要远高于这个大小（常见的是 16 KiB，nginx 最多接受 32 KiB）。`,
        );
        const x = await exchange(ctx, init, { hint, label: `client (a ${size}-byte browser head)` });
        expectStatus(x, 200, hint, t(`200 OK: a ${size}-byte head is an ordinary browser request`, `200 OK：${size} 字节的请求头只是一个普通的浏览器请求`));
        await expectBody(x, readSiteFile(site, f), f.file, hint);
      }
    },
  },
];

/** How long client 1 of 3.18 reads nothing, and how it reads afterwards. */
const SILENT_MS = 1200;
const SLOW_READ_GAP_MS = 5;
const SLOW_READ_KB = 64;

const HINT_NOT_STUCK = t(
  "A client that does not read what you send must not hold up anyone else. Don't serve requests one after another through a queue that waits for each response to finish, and never wait for one socket's 'drain' outside that socket's own handlers — pipeline() waits for you, for that client only.",
  '一个不读取数据的客户端不能拖住其他任何人。不要把请求排成一队、等前一个响应发完再处理下一个；也不要在某个 socket 自己的处理逻辑之外等它的 \'drain\'——pipeline() 会替你等，而且只等那一个客户端。',
);
const HINT_FLUSH = t(
  "A big file cannot go out in one go: the kernel takes a few MB, the rest waits in your process until the client reads. socket.destroy() throws away whatever is still waiting, and so does a timeout that gives up on a slow reader. Stream with pipeline(handle.createReadStream(), socket, cb): it waits for 'drain', and ends the socket only after the last byte.",
  '大文件不可能一次发完：内核只收下几 MB，其余的留在你的进程里，等客户端读取。socket.destroy() 会把还在等待的数据全部丢掉，因为客户端读得慢就放弃的超时也一样。用 pipeline(handle.createReadStream(), socket, cb) 以流的方式发送：它会等待 \'drain\'，并且在最后一个字节之后才结束 socket。',
);

const HINT_ODD: Record<Oddity, Text> = {
  plus: t(
    "A '+' in a path is a plus sign: only form data (a query string from an HTML form) uses '+' for a space. decodeURIComponent leaves '+' alone — don't turn it into a space yourself, and don't decode paths with URLSearchParams.",
    "路径里的 '+' 就是加号：只有表单数据（HTML 表单生成的查询字符串）才用 '+' 表示空格。decodeURIComponent 不会动 '+'——不要自己把它换成空格，也不要用 URLSearchParams 解码路径。",
  ),
  'sub-delims': t(
    "& = ; ' ( ) ! ~ , @ may stand in a path as they are and mean nothing special there: they are part of the file name. Don't cut the path at ';' or '&', and don't refuse these characters.",
    "& = ; ' ( ) ! ~ , @ 可以原样出现在路径里，在那里没有任何特殊含义：它们就是文件名的一部分。不要在 ';' 或 '&' 处截断路径，也不要拒绝这些字符。",
  ),
  percent: t(
    'Decode exactly once: %2541 is the three characters "%41" and %25 is "%". Decoding a second time turns "%41" into "A" — a different file.',
    '只解码一次：%2541 是 "%41" 这三个字符，%25 是 "%"。再解码一次，"%41" 就变成了 "A"——那是另一个文件。',
  ),
  'hash-query': t(
    "'#' and '?' inside a name arrive encoded (%23, %3F). Cut the raw target at the first '?' or '#' before decoding, then decode with decodeURIComponent — decodeURI leaves %23 and %3F (and %2B, %26, …) undecoded.",
    "文件名里的 '#' 和 '?' 是编码后发来的（%23、%3F）。先在原始目标的第一个 '?' 或 '#' 处截断，再用 decodeURIComponent 解码——decodeURI 不会解码 %23 和 %3F（还有 %2B、%26 等）。",
  ),
  long: t(
    'A file name may be up to 255 bytes, and percent-encoded Chinese takes 9 bytes a character in the request line: this one is several hundred bytes long. Keep your request-line and head limits well above that (8 KiB or more).',
    '文件名最长可以有 255 字节，而百分号编码后的一个汉字在请求行里占 9 字节：这个请求行有好几百字节。请求行和请求头的上限要远高于此（8 KiB 或更多）。',
  ),
  dotfile: t(
    'GET /path serves STATIC_DIR/path whatever the name: a name starting with "." is a file like any other here.',
    'GET /path 返回 STATIC_DIR/path，不管它叫什么名字：以 "." 开头的文件在这里和其他文件一样。',
  ),
  dots: t(
    '".." only leads upwards when it is a whole path segment. "..notes.txt" and "notes.." are ordinary names: resolve the path (path.join) and check where it ends up (startsWith(root + path.sep)) instead of refusing every path that contains "..".',
    '".." 只有作为完整的一段路径时才表示上一级。"..notes.txt" 和 "notes.." 都是普通的文件名：先解析路径（path.join），再检查它最终落在哪里（startsWith(root + path.sep)），而不是拒绝所有包含 ".." 的路径。',
  ),
  any: t(
    'A file name may hold any character but "/". Cut the raw target at the first "?" or "#", decode what is left once with decodeURIComponent, and you have the name on disk.',
    '文件名可以包含除 "/" 以外的任何字符。在原始目标的第一个 "?" 或 "#" 处截断，把剩下的部分用 decodeURIComponent 解码一次，得到的就是磁盘上的文件名。',
  ),
};

const HINT_RESOLVE = t(
  'Never trust the path as written. Decode it, join it to the absolute root — const file = path.join(root, decoded), which also resolves every ".." — and refuse (403) unless file === root or file.startsWith(root + path.sep). Resolve first, then check: ".." only means something after resolving.',
  '不要相信路径字面上的样子。先解码，再把它拼接到根目录的绝对路径上——const file = path.join(root, decoded)，这一步也会把所有 ".." 解析掉——除非 file === root 或 file.startsWith(root + path.sep)，否则拒绝（403）。先解析、再检查：".." 只有在解析之后才看得出真正的含义。',
);
const HINT_DECODE_FIRST = t(
  `%2e%2e is ".." and %2f is "/" once decoded. Looking for ".." in the raw request is not enough: decode first, then resolve and check that the result is still inside the root. ${HINT_RESOLVE.en}`,
  `%2e%2e 解码后就是 ".."，%2f 就是 "/"。只在原始请求里找 ".." 是不够的：先解码，再解析，并检查结果仍在根目录之内。${HINT_RESOLVE.zh}`,
);
const HINT_DECODE_TWICE = t(
  '%252e is "%2e" after one decoding, and "." only after a second one. Decode exactly once; a file name may well contain "%2e".',
  '%252e 解码一次是 "%2e"，解码两次才变成 "."。只解码一次；文件名里本来就可能有 "%2e"。',
);
const HINT_ABSOLUTE = t(
  `path.resolve(root, "/etc/passwd") is "/etc/passwd": an argument that starts with "/" throws away everything before it. path.join(root, p) never does. ${HINT_RESOLVE.en}`,
  `path.resolve(root, "/etc/passwd") 的结果是 "/etc/passwd"：以 "/" 开头的参数会丢掉它前面的一切。path.join(root, p) 不会这样。${HINT_RESOLVE.zh}`,
);
const HINT_PREFIX = t(
  'file.startsWith(root) is not enough: "/srv/site-private/x" starts with "/srv/site" too. Compare against root + path.sep (and allow file === root itself).',
  'file.startsWith(root) 还不够："/srv/site-private/x" 也是以 "/srv/site" 开头的。要和 root + path.sep 比较（同时允许 file === root 本身）。',
);


/** Hints for `npm run hint 3`, gentlest first: each gives a little more away. */
const hints: Text[] = [
    t(
      "Start from your stage 2 server: copy its head-collecting code into exercises/03-routing/server.ts. Then ask by hand for what the grader asks for: curl -v http://127.0.0.1:9000/docs/ , curl -v 'http://127.0.0.1:9000/docs/notes%20and%20tips.txt' , curl -v http://127.0.0.1:9000/nope.html .",
      "从你的第 2 关服务器开始：把收集请求头的代码复制到 exercises/03-routing/server.ts 里。然后亲手请求评测器会请求的东西：curl -v http://127.0.0.1:9000/docs/ 、curl -v 'http://127.0.0.1:9000/docs/notes%20and%20tips.txt' 、curl -v http://127.0.0.1:9000/nope.html 。",
    ),
    t(
      "The request line is the head up to the first \"\\r\\n\". Split it on ' ': exactly three parts — method, target, version — or 400 Bad Request. The target must start with '/' and the version with 'HTTP/1.'. A method other than GET or HEAD gets 405 Method Not Allowed with an Allow: GET, HEAD header.",
      "请求行就是请求头里第一个 \"\\r\\n\" 之前的部分。按 ' ' 拆分：必须正好三部分——方法、目标、版本——否则回应 400 Bad Request。目标必须以 '/' 开头，版本必须以 'HTTP/1.' 开头。GET 和 HEAD 以外的方法回应 405 Method Not Allowed，并带上 Allow: GET, HEAD 头部。",
    ),
    t(
      "From target to file: cut at the first '?' or '#', then decodeURIComponent once (inside try/catch — '%zz' throws: answer 400). A path that ends in '/' means that folder's index.html. The Content-Type comes from path.extname(file): a small table, and application/octet-stream for anything not in it.",
      "从目标到文件：先在第一个 '?' 或 '#' 处截断，再调用一次 decodeURIComponent（放在 try/catch 里——'%zz' 会抛异常：回应 400）。以 '/' 结尾的路径表示这个文件夹里的 index.html。Content-Type 根据 path.extname(file) 决定：建一张小表，表里没有的一律用 application/octet-stream。",
    ),
    t(
      "Stay inside the root, whatever the spelling: const root = path.resolve(STATIC_DIR); const file = path.join(root, decoded); then refuse with 403 unless file === root || file.startsWith(root + path.sep). Check after decoding and joining, never by looking for '..' in the raw target: %2e%2e is '..' too.",
      "无论路径怎么写，都不能离开根目录：const root = path.resolve(STATIC_DIR); const file = path.join(root, decoded); 然后，除非 file === root || file.startsWith(root + path.sep)，否则回应 403。要在解码并拼接之后再检查，不要只在原始目标里找 '..'：%2e%2e 也是 '..'。",
    ),
    t(
      "Sending: const handle = await fs.open(file) (fails → 404 with the bytes of error.html), const stat = await handle.stat() (not stat.isFile() → 404 too), write the head with Content-Length: stat.size, then pipeline(handle.createReadStream(), socket, cb) — it streams with backpressure and ends the socket after the last byte. For HEAD, write the same head and just socket.end().",
      "发送：const handle = await fs.open(file)（失败 → 404，正文是 error.html 的字节），const stat = await handle.stat()（不是 stat.isFile() → 同样 404），写出带 Content-Length: stat.size 的头部，然后 pipeline(handle.createReadStream(), socket, cb)——它会按背压以流的方式发送，并在最后一个字节之后结束 socket。如果是 HEAD，写出同样的头部，然后直接 socket.end()。",
    ),
];

export default defineStage(import.meta.url, {
  title: t('Routing: files by path, and 404', '路由：按路径返回文件，以及 404'),
  checks,
  hints,
  site: { features: ['media-types', 'binary', 'unknown-type', 'folder-index', 'nested', 'spaced', 'unicode', 'odd-names', 'huge'] },
});
