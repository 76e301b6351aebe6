/**
 * Stage 7 — request bodies. Stage 6's persistent file server takes bodies: `PUT /uploads/<name>`
 * stores exactly the bytes of its body (201 with Location when new, 204 when replaced), `POST /form`
 * answers its urlencoded fields as a JSON object in order. The length of a body is its
 * Content-Length (no Content-Length: 411; not digits, or two that differ: 400; over 10 MiB: 413 at
 * once, then close; Transfer-Encoding: 501), `Expect: 100-continue` is answered before the body,
 * and a body may arrive split anywhere, with its head, with the next request, slowly, or never.
 * What was stored is read back from STATIC_DIR/uploads directly, byte for byte.
 */
import path from 'node:path';
import { CheckFailure, fail } from '../../failure.ts';
import { t, type Text } from '../../i18n.ts';
import { loadSite, readSiteFile, typesFor, type SiteFile } from '../../site/site.ts';
import { defineStage } from '../../stage.ts';
import type { Check, CheckContext } from '../../types.ts';
import { type Conn, formatMs } from '../../wire/conn.ts';
import { escapeBytes } from '../../wire/escape.ts';
import { reproduceInParts } from '../../wire/http.ts';
import { splitAt } from '../../wire/adversary.ts';
import { REPLY_MS, expectBody, expectContentType, expectStatus, type Exchange } from '../../expect/http.ts';
import { firstFailureInOrder, reproduceConn, withReproduce } from '../../expect/http-persistent.ts';
import {
  describeChanges,
  expectContinue,
  expectRefusedAtOnce,
  noChanges,
  reproduceContinue,
  reproduceHeadAndPart,
  sendWatching,
  snapshotTree,
  treeChanges,
  type BodyRequest,
} from '../../expect/http-bodies.ts';
import { FORM_TYPES, HINT_FORM, expectFormAnswer, expectedFields, fieldName, fieldValue, formRequest, pair, type EncodeStyle, type FormPair } from './form.ts';
import {
  HINT_PUT,
  Line,
  MAX_BODY,
  encodeName,
  expectNothingAfter204,
  expectNotStored,
  expectPutAnswer,
  expectStored,
  freshName,
  getRequest,
  hostileBody,
  listUploads,
  putRequest,
  readUpload,
  reproduceInOneWrite,
  textBody,
  uploadUrl,
  uploadsDir,
} from './uploads.ts';

// ─── Shared steps ────────────────────────────────────────────────────────────────────────────────

/** Bound on waiting for 100 Continue, or a refusal, after a head (curl waits 1 s, then sends anyway). */
const CONTINUE_MS = 1500;

const after = (x: Exchange): Text => t(`after the ${x.res.status} to ${x.name}`, `在 ${x.name} 得到 ${x.res.status} 之后`);

/** PUT in one write on `line`; checks the answer and the file. */
async function upload(line: Line, name: string, body: Buffer, o: { existed: boolean; target?: string; old?: Buffer; hint?: Text; headers?: [string, string][] }): Promise<Exchange> {
  const req = putRequest(name, body, { ...(o.target ? { target: o.target } : {}), ...(o.headers ? { headers: o.headers } : {}) });
  await line.request(req);
  const x = await line.read(req.name, { hint: o.hint ?? HINT_PUT, timeoutMs: REPLY_MS });
  await line.judge(async () => {
    expectPutAnswer(x, name, o.existed, o.hint);
    if (o.existed) await expectNothingAfter204(x);
    expectStored(line.ctx, name, body, { after: after(x), conn: line.conn, ...(o.old ? { old: o.old } : {}), ...(o.hint ? { hint: o.hint } : {}) });
  });
  return x;
}

/** GET /uploads/<name> on `line`: 200, the type its extension says, and exactly `body`. */
async function fetchUpload(line: Line, name: string, body: Buffer, o: { target?: string; context?: Text; hint?: Text } = {}): Promise<Exchange> {
  const g = getRequest(o.target ?? uploadUrl(name));
  await line.request(g);
  const x = await line.read(g.name, { timeoutMs: REPLY_MS, ...(o.context ? { context: o.context } : {}) });
  await line.judge(() => expectUploadServed(x, name, body, o.hint));
  return x;
}

async function expectUploadServed(x: Exchange, name: string, body: Buffer, hint?: Text): Promise<void> {
  if (x.res.status === 404) {
    fail({
      summary: t(`${x.what.en}: 404 Not Found, though uploads/${name} was stored (we read it on disk)`, `${x.what.zh}：404 Not Found，可是 uploads/${name} 已经存好了（我们在磁盘上读到了它）`),
      expected: t(`200 and the ${body.length} bytes stored`, `200 和存下的 ${body.length} 个字节`),
      hint: t('An uploaded file is a file like any other under STATIC_DIR: GET /uploads/<name> serves it with the routing from stage 3 (decode the path, then look it up).', '上传的文件和 STATIC_DIR 下的其他文件一样：GET /uploads/<name> 用第 3 阶段的路由来提供它（先解码路径，再查找）。'),
      conn: x.conn,
    });
  }
  expectStatus(x, 200, hint);
  expectContentType(x, typesFor(name), name);
  await expectBody(x, body, `uploads/${name}`, hint);
}

/** Every file the check's requests may touch: the site, uploads/, and the secrets beside the root. */
const wholeTree = (ctx: CheckContext): string => path.dirname(ctx.root);

/** Nothing under the grader's folder changed since `before` (the request was refused). */
function expectNothingWritten(ctx: CheckContext, before: ReturnType<typeof snapshotTree>, o: { x: Exchange; what: Text; hint: Text }): void {
  const changes = treeChanges(before, snapshotTree(wholeTree(ctx)));
  if (noChanges(changes)) return;
  const outside = [...changes.created, ...changes.changed, ...changes.removed].some((p) => !p.startsWith(`${path.basename(ctx.root)}/uploads/`));
  fail({
    summary: t(
      `${o.what.en}: the answer was ${o.x.res.status} ${o.x.res.reason}, and on disk the server ${describeChanges(changes).en}${outside ? ' — outside uploads/' : ''}`,
      `${o.what.zh}：回应是 ${o.x.res.status} ${o.x.res.reason}，而服务器在磁盘上${describeChanges(changes).zh}${outside ? '——在 uploads/ 之外' : ''}`,
    ),
    expected: t('a refused request writes nothing, anywhere', '被拒绝的请求不写任何东西，哪里都不写'),
    hint: o.hint,
    conn: o.x.conn,
  });
}

/**
 * After a response that must close the connection: nothing more arrives, and the server closes
 * (FIN or reset) within `ms`.
 */
async function expectClosed(x: Exchange, ms: number, why: Text, hint: Text, reproduce = reproduceConn(x.conn)): Promise<void> {
  const { data, how } = await x.conn.readToEnd(ms);
  if (data.length > 0) {
    fail({
      summary: t(`${x.what.en}: ${why.en}, yet ${data.length} more bytes followed: ${escapeBytes(data, 60)}`, `${x.what.zh}：${why.zh}，可后面又来了 ${data.length} 字节：${escapeBytes(data, 60)}`),
      expected: t('nothing after this response, then the server closes the connection', '这个响应之后什么都没有，然后服务器关闭连接'),
      hint,
      conn: x.conn,
      reproduce,
    });
  }
  if (how === 'open') {
    fail({
      kind: 'not-closed',
      summary: t(`${x.what.en}: ${why.en}, but ${formatMs(ms)} later the connection was still open`, `${x.what.zh}：${why.zh}，可是 ${formatMs(ms)} 之后连接仍然开着`),
      expected: t('the server closes the connection right after this response', '服务器在这个响应之后立即关闭连接'),
      hint,
      conn: x.conn,
      reproduce,
    });
  }
}

/**
 * After a refusal that may keep the connection (the body was skipped): either the server closed, or
 * the request sent right after it is answered — never the body read as a request.
 */
async function expectClosedOrNextAnswered(line: Line, refused: Exchange, next: { name: string; body: Buffer; file: string; types: readonly string[] }, hint: Text): Promise<void> {
  let x: Exchange;
  try {
    x = await line.read(next.name, { hint, timeoutMs: 2000 });
  } catch (err) {
    if (err instanceof CheckFailure && (line.conn.closed === 'fin' || line.conn.closed === 'reset') && line.conn.buffered === 0 && err.init.kind !== 'wrong') return;
    throw err;
  }
  if (x.res.status !== 200) {
    fail({
      summary: t(
        `after the ${refused.res.status} to ${refused.name}, whose body came right after its head, ${next.name} was answered ${x.res.status} ${x.res.reason} — the body was read as the start of the next request`,
        `${refused.name} 得到 ${refused.res.status} 之后（它的正文紧跟在请求头后面），${next.name} 得到的却是 ${x.res.status} ${x.res.reason}——正文被当成了下一个请求的开头`,
      ),
      expected: t(`200 and the bytes of ${next.file}: a refused body is still Content-Length bytes on the connection — skip them (or close the connection after the refusal)`, `200 和 ${next.file} 的字节：被拒绝的正文仍然是连接上的 Content-Length 个字节——跳过它们（或者在拒绝之后关闭连接）`),
      hint,
      conn: line.conn,
      reproduce: reproduceConn(line.conn),
    });
  }
  expectContentType(x, next.types, next.file);
  await expectBody(x, next.body, next.file, hint);
}

const HINT_SKIP_REFUSED = t(
  'A request you refuse still has its body on the connection: Content-Length bytes right after the head. Skip exactly that many before you look for the next head — or answer with Connection: close and close. Never read a body as if it were a request.',
  '被你拒绝的请求，它的正文仍然在连接上：紧跟在请求头后面的 Content-Length 个字节。先跳过正好这么多字节，再去找下一个请求头——或者回应 Connection: close 并关闭连接。绝不能把正文当成请求来读。',
);

const HINT_NAME = t(
  'The name comes from the client, so never trust it: decode it first (decodeURIComponent — and answer 400 if that throws), then refuse "." and "..", any "/", and NUL with 400 Bad Request, before a byte is written. Whatever is left is one plain name inside uploads/. Check after decoding: %2F is a slash and %2E%2E is "..".',
  '名字来自客户端，所以绝不能信任它：先解码（decodeURIComponent——如果它抛出异常就回 400），然后对 "." 和 ".."、任何 "/"、以及 NUL 回应 400 Bad Request，一个字节都不写。剩下的才是 uploads/ 里的一个普通名字。要在解码之后检查：%2F 就是斜杠，%2E%2E 就是 ".."。',
);

const HINT_LENGTH = t(
  'Content-Length is digits and nothing else (RFC 9110 §8.6): test it with /^\\d+$/ after trimming spaces. Number() and parseInt() accept far too much — Number("") is 0, Number("0x10") is 16, parseInt("5.0") is 5, "+5" is 5 to both. Several Content-Length values (or "5, 6") must all be the same number. Otherwise the length of the body is unknowable: answer 400 and close the connection.',
  'Content-Length 只能是数字，别的都不行（RFC 9110 §8.6）：去掉两边的空格后用 /^\\d+$/ 检查。Number() 和 parseInt() 接受的东西太多了——Number("") 是 0，Number("0x10") 是 16，parseInt("5.0") 是 5，"+5" 对两者来说都是 5。多个 Content-Length 值（或 "5, 6"）必须是同一个数。否则正文的长度就无从知道：回应 400 并关闭连接。',
);

const HINT_TOO_LARGE = t(
  'Decide from the head, before reading the body: if Content-Length is over 10485760 (10 MiB), answer 413 Content Too Large with Connection: close at once, and close the connection — reading (or buffering) gigabytes just to refuse them is what an attacker hopes you will do. Compare numbers safely: a value of 20 digits is not a JavaScript integer any more, but it is certainly too large.',
  '在读取正文之前，只根据请求头做决定：如果 Content-Length 超过 10485760（10 MiB），立即回应 413 Content Too Large 并带上 Connection: close，然后关闭连接——为了拒绝而读取（或缓冲）几个 GB，正是攻击者希望你做的。比较数字时要小心：20 位的数字已经不是 JavaScript 能精确表示的整数了，但它肯定太大。',
);

const HINT_BODY_STREAM = t(
  'Take exactly Content-Length bytes after the head as the body, however they arrive — with the head, in many pieces, or together with the next request — and keep whatever follows in the buffer: it is the next request.',
  '请求头之后正好 Content-Length 个字节是正文，不管它们怎么到达——和请求头一起、分成很多块、或者和下一个请求连在一起——之后的字节要留在缓冲区里：那是下一个请求。',
);

const HINT_ATOMIC = t(
  'Write the body to a temporary file in uploads/ (a name no client will use, e.g. ".upload-123.part"), and when the last byte is in, rename it to the real name: fs.rename replaces a file in one step. Until then GET serves the old file whole; if the client leaves mid-body (the socket closes first), delete the temporary file — nothing changed.',
  '把正文写到 uploads/ 里的一个临时文件（客户端不会用的名字，例如 ".upload-123.part"），最后一个字节写完后再把它重命名为真正的名字：fs.rename 一步就能替换文件。在此之前 GET 提供的是完整的旧文件；如果客户端在正文中途离开（socket 先关闭了），就删掉临时文件——什么都没有改变。',
);

// ─── The checks ──────────────────────────────────────────────────────────────────────────────────

const checks: Check[] = [
  {
    id: '7.1',
    title: t('PUT a new file: 201 Created with Location, the exact bytes on disk, and GET serves them', 'PUT 一个新文件：201 Created 带 Location，磁盘上的字节分毫不差，GET 能取回'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const files: [string, Buffer][] = [
        [freshName(ctx, '1', ctx.rng.pick(['.png', '.gif', '.jpg'])), hostileBody(ctx, ctx.rng.int(3000, 20000))],
        [freshName(ctx, '1', '.txt'), textBody(ctx, ctx.rng.int(200, 3000))],
        [`${ctx.rng.word(4, 8).toUpperCase()}-1`, hostileBody(ctx, ctx.rng.int(300, 900))],
      ];
      const line = await Line.open(ctx);
      for (const [name, body] of files) await upload(line, name, body, { existed: false });
      for (const [name, body] of ctx.rng.shuffle([...files])) await fetchUpload(line, name, body);
    },
  },
  {
    id: '7.2',
    title: t('PUT over an existing file: 204 No Content, the new bytes whole, none of the old left', 'PUT 覆盖已有文件：204 No Content，新字节完整，旧字节一个不剩'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const name = freshName(ctx, '2', ctx.rng.pick(['.bin', '.css', '.json']));
      const first = hostileBody(ctx, ctx.rng.int(6000, 12000));
      const shorter = hostileBody(ctx, ctx.rng.int(800, 3000));
      const longer = textBody(ctx, ctx.rng.int(14000, 20000));
      const line = await Line.open(ctx);
      await upload(line, name, first, { existed: false });
      await upload(line, name, shorter, { existed: true, old: first });
      await fetchUpload(line, name, shorter);
      await upload(line, name, longer, { existed: true, old: shorter });
      await fetchUpload(line, name, longer);
    },
  },
  {
    id: '7.3',
    title: t('names with spaces, Chinese, "+", "%", emoji: stored under the decoded name', '名字里有空格、中文、"+"、"%"、emoji：按解码后的名字保存'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const w = (): string => ctx.rng.word(3, 6);
      const pool: { name: string; keep?: string }[] = [
        { name: `${w()} ${w()} 3.txt` },
        { name: `${ctx.rng.pick(['笔记', '报告', '草稿', '照片'])}-${w()}.txt` },
        { name: `${w()}+${w()}-3.txt`, keep: '+' },
        { name: `100%-${w()}.html` },
        { name: `${ctx.rng.pick(['🚀', '📦', '🐢'])} ${w()}.bin` },
        { name: `${w()}'s #${ctx.rng.int(1, 9)} (${w()}).css` },
        { name: `.${w()}-3` },
        { name: `${w()}?${w()}=1.json` },
      ];
      // The "+" and a Chinese name always, then three more of the others.
      const picked = [pool[2]!, pool[1]!, ...ctx.rng.shuffle([pool[0]!, ...pool.slice(3)]).slice(0, 3)];
      const line = await Line.open(ctx);
      const stored: [string, Buffer, string][] = [];
      for (const p of ctx.rng.shuffle(picked)) {
        const lower = ctx.rng.int(0, 1) === 1;
        const target = uploadUrl(p.name, { ...(p.keep ? { keep: p.keep } : {}), lower });
        const body = ctx.rng.int(0, 1) ? textBody(ctx, ctx.rng.int(100, 2000)) : hostileBody(ctx, ctx.rng.int(300, 3000));
        await upload(line, p.name, body, { existed: false, target });
        stored.push([p.name, body, p.keep ? uploadUrl(p.name) : target]);
      }
      // Fetched back by another spelling of the same name where there is one (%2B for "+").
      for (const [name, body, target] of stored) await fetchUpload(line, name, body, { target });
    },
  },
  {
    id: '7.4',
    title: t('names that would leave uploads/ get 400, PUT and POST elsewhere get 405: nothing is written', '会离开 uploads/ 的名字得到 400，别处的 PUT 和 POST 得到 405：什么都不写'),
    points: 2,
    timeoutMs: 10000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const secret = path.basename(site.secrets[0]!);
      const w = ctx.rng.word(4, 7);
      const traversal = [
        { target: `/uploads/..%2F${w}.html`, why: t('"..%2F" decodes to "../": the file would land in the document root', '"..%2F" 解码后是 "../"：文件会落到文档根目录里') },
        { target: `/uploads/..%2F..%2F${secret}`, why: t(`two levels up is the folder outside the root, where ${secret} lives`, `往上两级就是根目录之外的文件夹，${secret} 就在那里`) },
        { target: '/uploads/%2E%2E', why: t('the name decodes to "..": uploads/.. is the document root itself', '名字解码后是 ".."：uploads/.. 就是文档根目录本身') },
        { target: '/uploads/..', why: t('the name ".." is the folder above uploads/', '名字 ".." 是 uploads/ 的上一级文件夹') },
        { target: `/uploads/${w}%2F${w}.txt`, why: t('"%2F" decodes to "/": not one name but a path', '"%2F" 解码后是 "/"：这不是一个名字，而是一条路径') },
        { target: `/uploads/${w}%00.txt`, why: t('"%00" decodes to a NUL byte, which no file name may hold', '"%00" 解码后是 NUL 字节，文件名里不能有它') },
        { target: `/uploads/%2e%2e%2f${encodeName(site.someDir.split('/')[0]!)}%2f${w}.css`, why: t('"%2e%2e%2f" (lower case) decodes to "../"', '"%2e%2e%2f"（小写）解码后是 "../"') },
        { target: '/uploads/%2E', why: t('the name decodes to ".": uploads/ itself', '名字解码后是 "."：就是 uploads/ 本身') },
      ];
      const broken = { target: `/uploads/${w}%E4%BD.txt`, why: t('"%E4%BD" is two thirds of a UTF-8 character: the name cannot be decoded (decodeURIComponent throws)', '"%E4%BD" 只是一个 UTF-8 字符的三分之二：名字无法解码（decodeURIComponent 会抛出异常）') };
      const cases = [traversal[0]!, broken, ...ctx.rng.shuffle(traversal.slice(1)).slice(0, 3)];
      const index = readSiteFile(site, 'index.html');
      const elsewhere = [
        { req: putRequest('index.html', hostileBody(ctx, 300), { target: '/index.html' }), why: t('PUT outside /uploads/ would overwrite the site', '在 /uploads/ 之外的 PUT 会覆盖网站的文件') },
        { req: putRequest(`${w}.txt`, textBody(ctx, 200), { target: `/${w}-${ctx.rng.int(1, 99)}.txt` }), why: t('PUT goes to /uploads/<name> only', 'PUT 只能发到 /uploads/<name>') },
        { req: formRequest(`${ctx.rng.word()}=${ctx.rng.word()}`, { target: `/${ctx.rng.word()}` }), why: t('POST goes to /form only', 'POST 只能发到 /form') },
      ];
      const next = site.files.find((f) => f.role === 'text')!;
      const nextStep = { ...getRequest(next.url), body: readSiteFile(site, next), file: next.file, types: typesFor(next.file) };

      for (const c of cases) {
        const name = decodeURIComponentSafe(c.target.slice('/uploads/'.length));
        const req = putRequest(name, hostileBody(ctx, ctx.rng.int(40, 400)), { target: c.target });
        const before = snapshotTree(wholeTree(ctx));
        const line = await Line.open(ctx, `client (${c.target})`);
        await line.send(Buffer.concat([req.bytes, nextStep.bytes]));
        const x = await line.read(req.name, { hint: HINT_NAME });
        const what = t(`${req.name} (${c.why.en})`, `${req.name}（${c.why.zh}）`);
        if (x.res.status !== 400) {
          expectNothingWritten(ctx, before, { x, what, hint: HINT_NAME });
          fail({
            summary: t(`${x.what.en}: the status is ${x.res.status} ${x.res.reason} — ${c.why.en}`, `${x.what.zh}：状态码是 ${x.res.status} ${x.res.reason}——${c.why.zh}`),
            expected: t('400 Bad Request: an upload name is one plain file name', '400 Bad Request：上传的名字必须是一个普通的文件名'),
            hint: HINT_NAME,
            conn: line.conn,
          });
        }
        expectNothingWritten(ctx, before, { x, what, hint: HINT_NAME });
        await expectClosedOrNextAnswered(line, x, nextStep, HINT_SKIP_REFUSED);
        line.conn.abort();
      }
      for (const e of elsewhere) {
        const before = snapshotTree(wholeTree(ctx));
        const line = await Line.open(ctx, `client (${e.req.name})`);
        await line.send(Buffer.concat([e.req.bytes, nextStep.bytes]));
        const x = await line.read(e.req.name, { hint: HINT_SKIP_REFUSED });
        expectNothingWritten(ctx, before, { x, what: t(`${e.req.name} (${e.why.en})`, `${e.req.name}（${e.why.zh}）`), hint: HINT_PUT });
        expectStatus(x, 405, HINT_PUT, t(`405 Method Not Allowed: ${e.why.en}`, `应该是 405 Method Not Allowed：${e.why.zh}`));
        await expectClosedOrNextAnswered(line, x, nextStep, HINT_SKIP_REFUSED);
        line.conn.abort();
      }
      if (!readSiteFile(site, 'index.html').equals(index)) {
        fail({ summary: t('index.html of the site changed', '网站的 index.html 被改了'), expected: t('nothing outside uploads/ ever changes', 'uploads/ 之外的东西永远不变'), hint: HINT_PUT });
      }
    },
  },
  {
    id: '7.5',
    title: t('POST /form: the fields as a JSON object, in order, "+" a space, UTF-8 decoded', 'POST /form：字段组成 JSON 对象，按顺序，"+" 是空格，按 UTF-8 解码'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const line = await Line.open(ctx);
      for (let round = 0; round < 2; round++) {
        const style: EncodeStyle = { space: round === 0 ? '+' : ctx.rng.pick(['+', '%20'] as const), lowerHex: ctx.rng.int(0, 1) === 1 };
        const names = new Set<string>();
        const count = ctx.rng.int(3, 6);
        while (names.size < count) names.add(fieldName(ctx.rng));
        const pairs = [...names].map((n) => pair(n, fieldValue(ctx.rng), style));
        // At least one value with a space and one in Chinese, whatever the dice said.
        pairs[0] = pair(pairs[0]!.name, `${ctx.rng.word()} ${ctx.rng.word()}`, style);
        pairs[1] = pair(pairs[1]!.name, ctx.rng.pick(['你好 世界', '张三', '套接字']), style);
        const req = formRequest(pairs.map((p) => p.wire).join('&'), { type: ctx.rng.pick(FORM_TYPES) });
        // The first one whole in one write; the second with its body in pieces, 15 ms apart.
        if (round === 0) await line.send(req.bytes);
        else {
          const cuts = [req.head.length, req.head.length + 1, ctx.rng.int(req.head.length + 2, req.bytes.length - 1)];
          for (const piece of splitAt(req.bytes, cuts)) {
            await line.send(piece);
            await ctx.sleep(15);
          }
        }
        const x = await line.read(req.name, { hint: HINT_FORM, ...(round === 1 ? { context: t('its body came in pieces, 15 ms apart', '它的正文分成几段到达，每段间隔 15 毫秒') } : {}) });
        expectFormAnswer(x, req, expectedFields(pairs));
      }
    },
  },
  {
    id: '7.6',
    title: t('POST /form: repeated names, empty values, "=" and "&" inside, quotes and line breaks escaped in the JSON', 'POST /form：重复的名字、空值、值里的 "=" 和 "&"、JSON 中转义的引号和换行'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const style: EncodeStyle = { space: ctx.rng.pick(['+', '%20'] as const), lowerHex: ctx.rng.int(0, 1) === 1 };
      const w = (): string => ctx.rng.word(2, 6);
      const repeated = w() + 'x';
      const pairs: FormPair[] = [];
      const pool: (() => FormPair[])[] = [
        () => [pair(`${w()}_plus`, `1+1=2 & ${w()}`, style)], // %2B, %3D, %26: a real plus, equals and ampersand
        () => [pair(`${w()}_quote`, `say "${w()}" \\ back\\slash`, style)],
        () => [pair(`${w()}_lines`, `${w()}\n${w()}\r\n\t${w()}\u0001`, style)],
        () => [pair(`${w()}_empty`, '', style)],
        () => [pair(`${w()}_bare`, '', style, { noEquals: true })],
        () => [pair(`${w()}_emoji`, `🚀 ${w()} 🐢`, style)],
        () => [pair(`${w()}_raw`, `张三 ${w()}`, { ...style, rawUtf8: true })],
        () => {
          // Only the first "=" splits: the others are part of the value, even unencoded.
          const name = `${w()}_eq`;
          const value = `a=b=${w()}`;
          return [{ name, value, wire: `${name}=${value}` }];
        },
      ];
      pairs.push(pair(repeated, `first ${w()}`, style));
      // A real plus, a quote and a backslash, line breaks and a control character always; three more.
      for (const make of [...pool.slice(0, 3), ...ctx.rng.shuffle(pool.slice(3)).slice(0, 3)]) pairs.push(...make());
      pairs.push(pair(repeated, `last ${w()}`, style));
      if (ctx.rng.int(0, 1)) pairs.push(pair(repeated, `really last ${w()}`, style));
      pairs.push(pair(`${w()}_after`, w(), style));
      const wire = pairs.map((p) => p.wire);
      // Empty pairs ("&&", a trailing "&") are nothing.
      wire.splice(ctx.rng.int(1, wire.length - 1), 0, '');
      const body = wire.join('&') + (ctx.rng.int(0, 1) ? '&' : '');
      const req = formRequest(body, { type: ctx.rng.pick(FORM_TYPES) });
      const line = await Line.open(ctx);
      await line.send(req.bytes);
      const x = await line.read(req.name, { hint: HINT_FORM });
      expectFormAnswer(x, req, expectedFields(pairs));
    },
  },
  {
    id: '7.7',
    title: t('POST /form that cannot be read: 400 for broken escapes, 415 for another type — and the server goes on', '读不了的 POST /form：错误的转义得到 400，其他类型得到 415——服务器照常工作'),
    points: 1,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const next = site.files.find((f) => f.role === 'text')!;
      const nextStep = { ...getRequest(next.url), body: readSiteFile(site, next), file: next.file, types: typesFor(next.file) };
      const w = ctx.rng.word(3, 6);
      const broken = [
        { body: `${w}=%zz`, why: t('"%zz" is not an escape: % must be followed by two hex digits', '"%zz" 不是转义：% 后面必须跟两位十六进制数字') },
        { body: `${w}=%E4%BD`, why: t('"%E4%BD" is two thirds of a UTF-8 character', '"%E4%BD" 只是一个 UTF-8 字符的三分之二') },
        { body: `${w}=100%`, why: t('a lone "%" at the end', '结尾有一个单独的 "%"') },
        { body: `%FF=${w}`, why: t('"%FF" is not UTF-8 at all', '"%FF" 根本不是 UTF-8') },
      ];
      const types = [
        { type: 'application/json', body: `{"${w}":1}`, why: t('the body is JSON, not a form', '正文是 JSON，不是表单') },
        { type: 'text/plain', body: `${w}=1`, why: t('the body is plain text, not a form', '正文是纯文本，不是表单') },
        { type: false as const, body: `${w}=1`, why: t('there is no Content-Type at all', '根本没有 Content-Type') },
      ];
      const cases = [
        ...ctx.rng.shuffle(broken).slice(0, 2).map((c) => ({ req: formRequest(c.body), status: 400, why: c.why })),
        ...ctx.rng.shuffle(types).slice(0, 2).map((c) => ({ req: formRequest(c.body, { type: c.type }), status: 415, why: c.why })),
      ];
      for (const c of ctx.rng.shuffle(cases)) {
        const line = await Line.open(ctx, `client (${escapeBytes(c.req.body, 30)})`);
        await line.send(Buffer.concat([c.req.bytes, nextStep.bytes]));
        const hint = c.status === 400
          ? t('decodeURIComponent throws on a broken escape (and on escapes that are not UTF-8): catch it and answer 400 Bad Request — one bad client must not bring the server down.', 'decodeURIComponent 遇到错误的转义（以及不是 UTF-8 的转义）会抛出异常：捕获它并回应 400 Bad Request——一个坏客户端不能把服务器搞垮。')
          : t('/form reads application/x-www-form-urlencoded (parameters such as "; charset=UTF-8" aside, and the type is case-insensitive). Any other Content-Type, or none: 415 Unsupported Media Type.', '/form 只读 application/x-www-form-urlencoded（不管 "; charset=UTF-8" 这样的参数，类型也不区分大小写）。其他 Content-Type，或者没有：415 Unsupported Media Type。');
        const x = await line.read(c.req.name, { hint });
        expectStatus(x, c.status, hint, t(`${c.status} ${c.status === 400 ? 'Bad Request' : 'Unsupported Media Type'}: ${c.why.en}`, `${c.status} ${c.status === 400 ? 'Bad Request' : 'Unsupported Media Type'}：${c.why.zh}`));
        await expectClosedOrNextAnswered(line, x, nextStep, HINT_SKIP_REFUSED);
        line.conn.abort();
      }
      // And a good form is still answered.
      const line = await Line.open(ctx, 'client (after the bad forms)', t('after four bad forms', '在四个坏表单之后'));
      const pairs = [pair(w, 'ok', { space: '+' })];
      const req = formRequest(pairs[0]!.wire);
      await line.send(req.bytes);
      expectFormAnswer(await line.read(req.name), req, expectedFields(pairs));
    },
  },
  {
    id: '7.8',
    title: t('no Content-Length on a PUT or a POST: 411 Length Required, nothing written', 'PUT 或 POST 没有 Content-Length：411 Length Required，什么都不写'),
    points: 1,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const next = site.files.find((f) => f.role === 'text')!;
      const nextStep = { ...getRequest(next.url), body: readSiteFile(site, next), file: next.file, types: typesFor(next.file) };
      const name = freshName(ctx, '8', '.txt');
      const reqs = ctx.rng.shuffle([putRequest(name, Buffer.alloc(0), { contentLength: false }), formRequest('', { contentLength: false })]);
      const hint = t(
        'Without Content-Length (and without Transfer-Encoding) a request has no body by the rules of HTTP/1.1 — so a PUT or POST without one cannot be what the client meant. Answer 411 Length Required, and write nothing.',
        '按照 HTTP/1.1 的规则，没有 Content-Length（也没有 Transfer-Encoding）的请求就没有正文——所以没有它的 PUT 或 POST 不可能是客户端的本意。回应 411 Length Required，什么都不写。',
      );
      for (const req of reqs) {
        const before = snapshotTree(wholeTree(ctx));
        const line = await Line.open(ctx, `client (${req.name}, no Content-Length)`);
        await line.send(Buffer.concat([req.head, nextStep.bytes]));
        const x = await line.read(req.name, { hint });
        const what = t(`${req.name} without Content-Length`, `没有 Content-Length 的 ${req.name}`);
        expectNothingWritten(ctx, before, { x, what, hint });
        if (x.res.status !== 411) {
          fail({
            summary: t(`${x.what.en}: ${x.res.status} ${x.res.reason} to a ${req.name} without Content-Length`, `${x.what.zh}：对没有 Content-Length 的 ${req.name} 回应了 ${x.res.status} ${x.res.reason}`),
            expected: t('411 Length Required', '411 Length Required'),
            hint,
            conn: line.conn,
          });
        }
        // No length means no body: the next bytes are the next request (or the server closes).
        await expectClosedOrNextAnswered(line, x, nextStep, hint);
        line.conn.abort();
      }
    },
  },
  {
    id: '7.9',
    title: t('a Content-Length that is not digits, or two that differ: 400 and close; leading zeros and spaces are fine', '不是纯数字的 Content-Length，或两个不同的值：400 并关闭；前导零和空格没问题'),
    points: 2,
    timeoutMs: 10000,
    async run(ctx) {
      // What Number() or parseInt() would take as a length…
      const traps: { cl: string[]; why: Text }[] = [
        { cl: ['+5'], why: t('a sign is not a digit', '正负号不是数字') },
        { cl: ['5.0'], why: t('a decimal point is not a digit', '小数点不是数字') },
        { cl: ['0x5'], why: t('hexadecimal is not decimal digits', '十六进制不是十进制数字') },
        { cl: [''], why: t('an empty value is not a number (Number("") is 0!)', '空值不是数字（Number("") 是 0！）') },
        { cl: ['5e0'], why: t('an exponent is not a digit', '指数不是数字') },
        { cl: ['5 5'], why: t('two numbers with a space between them are not one number (parseInt("5 5") is 5)', '中间隔着空格的两个数字不是一个数（parseInt("5 5") 是 5）') },
      ];
      // …and what they would not.
      const others: { cl: string[]; why: Text }[] = [
        { cl: ['-5'], why: t('a length cannot be negative', '长度不能是负数') },
        { cl: ['five'], why: t('a word is not a number', '单词不是数字') },
      ];
      const differ: { cl: string[]; why: Text }[] = [
        { cl: ['5', '7'], why: t('two Content-Length fields that differ: which one is the body?', '两个不同的 Content-Length 字段：哪个才是正文的长度？') },
        { cl: ['5, 7'], why: t('a list of two different lengths', '两个不同长度组成的列表') },
      ];
      const cases = [...ctx.rng.shuffle(traps).slice(0, 2), ctx.rng.pick(others), ctx.rng.pick(differ)];
      for (const c of ctx.rng.shuffle(cases)) {
        const name = freshName(ctx, '9', '.txt');
        const body = Buffer.from(`${ctx.rng.word(5, 5)}${ctx.rng.word(2, 2)}`); // 7 bytes: 5 or 7 would both "work"
        const req = putRequest(name, body, { contentLength: c.cl });
        const before = snapshotTree(wholeTree(ctx));
        const line = await Line.open(ctx, `client (Content-Length: ${c.cl.join(' / ')})`);
        await line.send(req.bytes);
        const x = await line.read(req.name, { hint: HINT_LENGTH });
        const shown = c.cl.map((v) => `Content-Length: ${v}`).join(' + ');
        const what = t(`${req.name} with ${shown} (${c.why.en})`, `带 ${shown} 的 ${req.name}（${c.why.zh}）`);
        if (x.res.status !== 400) {
          const changes = treeChanges(before, snapshotTree(wholeTree(ctx)));
          const wrote = noChanges(changes) ? t('', '') : t(`, and on disk it ${describeChanges(changes).en}`, `，而且在磁盘上${describeChanges(changes).zh}`);
          fail({
            summary: t(`${x.what.en}: ${x.res.status} ${x.res.reason} for ${shown} — ${c.why.en}${wrote.en}`, `${x.what.zh}：对 ${shown} 回应了 ${x.res.status} ${x.res.reason}——${c.why.zh}${wrote.zh}`),
            expected: t('400 Bad Request, then the server closes the connection: the body\'s length is unknowable', '400 Bad Request，然后服务器关闭连接：正文的长度无从知道'),
            hint: HINT_LENGTH,
            conn: line.conn,
          });
        }
        expectNothingWritten(ctx, before, { x, what, hint: HINT_LENGTH });
        await expectClosed(x, 1000, t(`after a request whose length is unknowable (${shown}), nobody can tell where the next request starts`, `在长度无从知道的请求（${shown}）之后，谁也不知道下一个请求从哪里开始`), HINT_LENGTH);
      }

      // Valid, if unusual: leading zeros, spaces around the value. One connection, one after another.
      const line = await Line.open(ctx, 'client (unusual but valid lengths)');
      for (const form of ['zeros', 'spaces'] as const) {
        const name = freshName(ctx, '9', '.bin');
        const body = hostileBody(ctx, ctx.rng.int(5, 60));
        const cl = form === 'zeros' ? `000${body.length}` : `${' '.repeat(ctx.rng.int(1, 3))}${body.length}${' '.repeat(ctx.rng.int(1, 3))}`;
        const req = putRequest(name, body, { contentLength: cl });
        await line.send(req.bytes);
        const hint = t(
          `"Content-Length: ${cl}" is valid: ${form === 'zeros' ? 'the grammar is 1*DIGIT, so leading zeros are allowed (it is the number ' + body.length + ')' : 'spaces and tabs around a field value are not part of it (RFC 9110 §5.5) — trim them before you look at the digits'}.`,
          `"Content-Length: ${cl}" 是合法的：${form === 'zeros' ? '语法是 1*DIGIT，允许前导零（它就是数字 ' + body.length + '）' : '字段值两边的空格和制表符不属于值本身（RFC 9110 §5.5）——先去掉它们再看数字'}。`,
        );
        const x = await line.read(req.name, { hint, timeoutMs: 2000 });
        expectPutAnswer(x, name, false, hint);
        expectStored(ctx, name, body, { after: after(x), conn: line.conn, hint });
      }

      // The same length twice: harmless (RFC 9110 §8.6 lets a server accept it, or refuse it with 400).
      const name = freshName(ctx, '9', '.txt');
      const body = Buffer.from(ctx.rng.word(6, 9));
      const twice = ctx.rng.pick([[String(body.length), String(body.length)], [`${body.length}, ${body.length}`]]);
      const req = putRequest(name, body, { contentLength: twice });
      const same = await Line.open(ctx, 'client (the same Content-Length twice)');
      await same.send(req.bytes);
      const x = await same.read(req.name, { hint: HINT_LENGTH });
      if (x.res.status === 400) return;
      expectPutAnswer(x, name, false, t('Several Content-Length values that are all the same number are one length: accept the request (or refuse it with 400 — both are allowed).', '几个 Content-Length 值都是同一个数，就是同一个长度：接受这个请求（或者用 400 拒绝——两者都允许）。'));
      expectStored(ctx, name, body, { after: after(x), conn: same.conn });
    },
  },
  {
    id: '7.10',
    title: t('sizes at the edges: an empty body, and one of exactly 10 MiB, are stored', '边界上的大小：空正文和正好 10 MiB 的正文都能存下'),
    points: 2,
    timeoutMs: 12000,
    async run(ctx) {
      const line = await Line.open(ctx);
      // Content-Length: 0 — an empty file, and an empty form.
      const empty = freshName(ctx, '10', '.txt');
      await upload(line, empty, Buffer.alloc(0), { existed: false, hint: t('Content-Length: 0 is a body of no bytes: create an empty file (and answer at once — no body byte is coming).', 'Content-Length: 0 表示正文有 0 个字节：创建一个空文件（并立即回应——不会再有正文字节到来）。') });
      const form = formRequest('');
      await line.send(form.bytes);
      expectFormAnswer(await line.read(form.name, { hint: HINT_FORM }), form, []);

      // Exactly the limit: 10485760 bytes is allowed ("over 10 MiB" is refused, 10 MiB is not).
      const name = freshName(ctx, '10', '.bin');
      const body = ctx.rng.bytes(MAX_BODY);
      hostileBody(ctx, 400).copy(body, 0);
      const req = putRequest(name, body);
      const reproduce = `head -c ${MAX_BODY} /dev/urandom > ten-mib.bin && curl -sv -T ten-mib.bin http://127.0.0.1:9000${uploadUrl(name)}`;
      const hint = t(
        `The limit is inclusive: a body of exactly 10485760 bytes (10 MiB) is accepted, only 10485761 and more get 413. ${HINT_BODY_STREAM.en} And stream it to the file as it comes, with backpressure (stop reading the socket while the file stream's write() returns false) — don't hold 10 MiB per client in memory.`,
        `上限是包含在内的：正好 10485760 字节（10 MiB）的正文要接受，只有 10485761 及以上才回 413。${HINT_BODY_STREAM.zh}还要边收边写进文件，并施加背压（文件流的 write() 返回 false 时暂停读取 socket）——不要为每个客户端在内存里攒 10 MiB。`,
      );
      await line.send(req.head);
      const sent = await sendWatching(line.conn, req.body, { stallMs: 3000, stopIf: () => line.conn.buffered > 0 });
      const x = await line.read(req.name, {
        hint,
        timeoutMs: 5000,
        context: sent.how === 'all' ? t('the whole 10 MiB body was sent', '整个 10 MiB 的正文都发出去了') : t(`only ${sent.sent} of the ${body.length} body bytes went out before the server ${sent.how === 'stalled' ? 'stopped reading' : sent.how === 'closed' ? 'closed the connection' : 'answered'}`, `正文 ${body.length} 字节中只发出了 ${sent.sent} 字节，服务器就${sent.how === 'stalled' ? '不再读取了' : sent.how === 'closed' ? '关闭了连接' : '回应了'}`),
        reproduce,
      });
      if (x.res.status === 413) {
        fail({
          summary: t(`${x.what.en}: 413 for a Content-Length of exactly ${MAX_BODY} — that is 10 MiB, not over it`, `${x.what.zh}：Content-Length 正好是 ${MAX_BODY} 却得到 413——这是 10 MiB，并没有超过`),
          expected: t('201 Created: the limit is 10485760 bytes inclusive', '201 Created：上限 10485760 字节是包含在内的'),
          hint: t('Over 10 MiB means length > 10485760, not >=.', '"超过 10 MiB" 的意思是 length > 10485760，不是 >=。'),
          conn: line.conn,
          reproduce,
        });
      }
      await withReproduce(reproduce, async () => {
        expectPutAnswer(x, name, false, hint);
        expectStored(ctx, name, body, { after: after(x), conn: line.conn, hint });
      });
    },
  },
  {
    id: '7.11',
    title: t('over 10 MiB: 413 at once, without reading the body, then the connection closes', '超过 10 MiB：立即 413，不读正文，然后关闭连接'),
    points: 2,
    timeoutMs: 12000,
    async run(ctx) {
      const big = [
        { cl: '2147483648', why: t('2^31: one more than the largest 32-bit signed integer', '2^31：比最大的 32 位有符号整数大 1') },
        { cl: '4294967295', why: t('2^32 − 1: the largest 32-bit unsigned integer', '2^32 − 1：最大的 32 位无符号整数') },
        { cl: String(2 ** 32 + 7), why: t('2^32 + 7: a 32-bit integer wraps it round to 7', '2^32 + 7：32 位整数会把它绕回成 7') },
        { cl: '1000000000000', why: t('a terabyte', '1 TB') },
      ];
      const cases = [
        { cl: String(MAX_BODY + 1), why: t('10485761: one byte over 10 MiB', '10485761：比 10 MiB 多 1 个字节'), ok: [413] },
        ...ctx.rng.shuffle(big).slice(0, 2).map((c) => ({ ...c, ok: [413] })),
        { cl: '99999999999999999999', why: t('20 digits: not even a safe JavaScript integer (400 is allowed here too)', '20 位数字：连 JavaScript 的安全整数都不是（这里也允许 400）'), ok: [413, 400] },
      ];
      for (const c of cases) {
        const name = freshName(ctx, '11', '.bin');
        const first = hostileBody(ctx, 32 * 1024);
        const req = putRequest(name, first, { contentLength: c.cl });
        const line = await Line.open(ctx, `client (Content-Length: ${c.cl})`);
        const reproduce = reproduceHeadAndPart(req.head, first.length);
        // The head and 32 KiB of a body that would never end: an answer must not wait for it.
        await line.send(req.bytes);
        const context = t(`we sent the head (Content-Length: ${c.cl} — ${c.why.en}) and the first ${first.length} bytes of the body, then waited`, `我们发送了请求头（Content-Length: ${c.cl}——${c.why.zh}）和正文的前 ${first.length} 字节，然后等待`);
        let x: Exchange;
        try {
          x = await line.read(req.name, { hint: HINT_TOO_LARGE, timeoutMs: CONTINUE_MS, context, reproduce });
        } catch (err) {
          if (err instanceof CheckFailure && err.init.kind === 'hung' && line.conn.receivedTotal === 0) {
            fail({
              ...err.init,
              summary: t(
                `${req.name}: ${context.en} — ${formatMs(CONTINUE_MS)} later nothing had come back: the server waits for (or reads) a body it must refuse without reading`,
                `${req.name}：${context.zh}——${formatMs(CONTINUE_MS)} 之后什么都没有回来：服务器在等待（或读取）一个它本该不读就拒绝的正文`,
              ),
              expected: t('413 Content Too Large at once, decided from the head alone', '立即回应 413 Content Too Large，只根据请求头就能决定'),
            });
          }
          throw err;
        }
        if (!c.ok.includes(x.res.status)) {
          const wrapped = c.cl === String(2 ** 32 + 7) && x.res.status < 300;
          fail({
            summary: wrapped
              ? t(`${x.what.en}: ${x.res.status} ${x.res.reason} for Content-Length: ${c.cl} — the length wrapped round to 7 (a 32-bit integer), and the server took 7 bytes as the whole body`, `${x.what.zh}：Content-Length: ${c.cl} 得到 ${x.res.status} ${x.res.reason}——长度被绕回成了 7（32 位整数），服务器把 7 个字节当成了整个正文`)
              : t(`${x.what.en}: ${x.res.status} ${x.res.reason} for Content-Length: ${c.cl} (${c.why.en})`, `${x.what.zh}：Content-Length: ${c.cl}（${c.why.zh}）得到的是 ${x.res.status} ${x.res.reason}`),
            expected: t('413 Content Too Large, then the connection closes', '413 Content Too Large，然后关闭连接'),
            hint: HINT_TOO_LARGE,
            conn: line.conn,
            reproduce,
          });
        }
        await withReproduce(reproduce, async () => expectNotStored(ctx, name, { after: after(x), conn: line.conn, hint: HINT_TOO_LARGE }));
        await expectClosed(x, 1000, t(`the body of ${c.cl} bytes was refused unread, so the bytes that follow on the connection are still that body`, `${c.cl} 字节的正文没读就被拒绝了，所以连接上接下来的字节仍然是这个正文`), HINT_TOO_LARGE, reproduce);
        line.conn.abort();
      }
    },
  },
  {
    id: '7.12',
    title: t('Transfer-Encoding on a request: 501 Not Implemented, then close, nothing written', '请求带 Transfer-Encoding：501 Not Implemented，然后关闭，什么都不写'),
    points: 1,
    timeoutMs: 8000,
    async run(ctx) {
      const w = ctx.rng.word(3, 8);
      const chunked = Buffer.from(`${w.length.toString(16)}\r\n${w}\r\n0\r\n\r\n`);
      const name = freshName(ctx, '12', '.txt');
      const cases = [
        { req: putRequest(name, chunked, { contentLength: false, headers: [['Transfer-Encoding', 'chunked']] }), why: t('a chunked body', '分块的正文') },
        { req: putRequest(name, chunked, { headers: [['Transfer-Encoding', ctx.rng.pick(['chunked', 'Chunked', 'gzip, chunked'])]] }), why: t('Transfer-Encoding and Content-Length together (Transfer-Encoding wins, RFC 9112 §6.3)', 'Transfer-Encoding 和 Content-Length 同时出现（以 Transfer-Encoding 为准，RFC 9112 §6.3）') },
        { req: formRequest(chunked, { contentLength: false, headers: [['Transfer-Encoding', 'chunked']] }), why: t('a chunked form', '分块的表单') },
      ];
      const hint = t(
        'A request with Transfer-Encoding (chunked) carries its body in pieces, each with its size — Content-Length, if present, must be ignored. This stage does not decode chunks, so it cannot know where such a body ends: answer 501 Not Implemented with Connection: close, and close the connection without writing anything.',
        '带 Transfer-Encoding（chunked）的请求把正文分成若干块发送，每块带有自己的大小——即使有 Content-Length 也必须忽略。这个阶段不解码分块，所以不知道这样的正文在哪里结束：回应 501 Not Implemented 并带上 Connection: close，然后关闭连接，什么都不写。',
      );
      for (const c of ctx.rng.shuffle(cases)) {
        const before = snapshotTree(wholeTree(ctx));
        const line = await Line.open(ctx, t(`client (${c.why.en})`, `客户端（${c.why.zh}）`));
        await line.send(c.req.bytes);
        const x = await line.read(c.req.name, { hint });
        const what = t(`${c.req.name} with ${c.why.en}`, `带${c.why.zh}的 ${c.req.name}`);
        expectStatus(x, 501, hint, t(`501 Not Implemented: ${c.why.en}`, `应该是 501 Not Implemented：${c.why.zh}`));
        expectNothingWritten(ctx, before, { x, what, hint });
        await expectClosed(x, 1000, t('the server cannot tell where a chunked body ends', '服务器无法判断分块正文在哪里结束'), hint);
        line.conn.abort();
      }
    },
  },
  {
    id: '7.13',
    title: t('Expect: 100-continue: "100 Continue" before the body, then the final answer', 'Expect: 100-continue：先回 "100 Continue"，收到正文后再给最终回应'),
    points: 2,
    timeoutMs: 10000,
    async run(ctx) {
      const expect: [string, string] = [ctx.rng.pick(['Expect', 'expect']), ctx.rng.pick(['100-continue', '100-Continue'])];
      const name = freshName(ctx, '13', '.bin');
      const bodies = [hostileBody(ctx, ctx.rng.int(2000, 40000)), hostileBody(ctx, ctx.rng.int(1500, 5000))];
      const pairs = [pair(fieldName(ctx.rng), fieldValue(ctx.rng), { space: '+' }), pair(fieldName(ctx.rng) + 'z', fieldValue(ctx.rng), { space: '+' })];
      const reqs: { req: BodyRequest; check: (x: Exchange) => Promise<void> | void }[] = [
        { req: putRequest(name, bodies[0]!, { headers: [expect] }), check: (x) => (expectPutAnswer(x, name, false), expectStored(ctx, name, bodies[0]!, { after: after(x), conn: x.conn })) },
        { req: putRequest(name, bodies[1]!, { headers: [expect] }), check: (x) => (expectPutAnswer(x, name, true), expectStored(ctx, name, bodies[1]!, { after: after(x), conn: x.conn, old: bodies[0]! })) },
        { req: formRequest(pairs.map((p) => p.wire).join('&'), { headers: [expect] }), check: (x) => expectFormAnswer(x, reqs[2]!.req, expectedFields(pairs)) },
      ];
      // A client that waits: head, then the body only after "100 Continue".
      const line = await Line.open(ctx, 'client 1 (waits for 100 Continue)');
      for (const { req, check } of reqs) {
        await line.send(req.head);
        const reproduce = reproduceContinue(req.head, req.body);
        await expectContinue(line.conn, req, { what: line.what(req.name), boundMs: CONTINUE_MS, previous: line.previous, reproduce });
        await line.send(req.body);
        const x = await line.read(req.name, {
          reproduce,
          context: t('the body was sent after the 100 Continue', '正文是在 100 Continue 之后发送的'),
          hint: t('After the 100 Continue, read the body as usual and send the final response: the 100 was only "go ahead".', '发出 100 Continue 之后，照常读取正文并发送最终响应：100 只是"请继续"。'),
        });
        await check(x);
      }
      // A client that does not wait (allowed): head and body in one write. A 100 may come or not —
      // but before the final answer, and only once.
      const hurried = await Line.open(ctx, 'client 2 (sends the body without waiting)');
      const other = freshName(ctx, '13', '.txt');
      const body = textBody(ctx, ctx.rng.int(500, 3000));
      const req = putRequest(other, body, { headers: [expect] });
      const g = getRequest(uploadUrl(other));
      await hurried.send(Buffer.concat([req.bytes, g.bytes]));
      const x = await hurried.read(req.name, { context: t('the head and the body went in one write, followed by a GET', '请求头和正文一次写出，后面还跟着一个 GET') });
      expectPutAnswer(x, other, false);
      const y = await hurried.read(g.name);
      await expectUploadServed(y, other, body);
    },
  },
  {
    id: '7.14',
    title: t('Expect: 100-continue on a request that will be refused: the final status at once, no 100', '对会被拒绝的请求的 Expect: 100-continue：立即给出最终状态，不发 100'),
    points: 2,
    timeoutMs: 10000,
    async run(ctx) {
      const expect: [string, string] = ['Expect', '100-continue'];
      const w = ctx.rng.word(4, 7);
      const cases = [
        { req: putRequest(freshName(ctx, '14', '.bin'), Buffer.alloc(64), { headers: [expect], contentLength: String(MAX_BODY + ctx.rng.int(1, 5_000_000)) }), statuses: [413], why: t('the body is over 10 MiB', '正文超过 10 MiB') },
        { req: putRequest(`../${w}.html`, hostileBody(ctx, 200), { headers: [expect], target: `/uploads/..%2F${w}.html` }), statuses: [400], why: t('the name leaves uploads/', '这个名字会离开 uploads/') },
        { req: putRequest(freshName(ctx, '14', '.txt'), Buffer.alloc(0), { headers: [expect], contentLength: false }), statuses: [411], why: t('there is no Content-Length', '没有 Content-Length') },
        { req: formRequest(`${w}=1`, { headers: [expect], type: 'application/json' }), statuses: [415], why: t('the form is not application/x-www-form-urlencoded', '表单不是 application/x-www-form-urlencoded') },
      ];
      for (const c of [cases[0]!, ...ctx.rng.shuffle(cases.slice(1)).slice(0, 2)]) {
        const before = snapshotTree(wholeTree(ctx));
        const line = await Line.open(ctx, t(`client (${c.why.en})`, `客户端（${c.why.zh}）`));
        await line.send(c.req.head);
        const res = await expectRefusedAtOnce(line.conn, c.req, c.why, c.statuses, { what: line.what(c.req.name), boundMs: CONTINUE_MS, reproduce: reproduceContinue(c.req.head, c.req.body, 3000) });
        const x: Exchange = { conn: line.conn, res, request: c.req.head, name: c.req.name, what: line.what(c.req.name) };
        expectStatus(x, c.statuses, undefined, t(`${c.statuses.join(' or ')} at once: ${c.why.en}`, `立即回应 ${c.statuses.join(' 或 ')}：${c.why.zh}`));
        expectNothingWritten(ctx, before, { x, what: t(`${c.req.name} (${c.why.en})`, `${c.req.name}（${c.why.zh}）`), hint: HINT_PUT });
        line.conn.abort();
      }
    },
  },
  {
    id: '7.15',
    title: t('bodies split anywhere, with their heads and with the requests after them', '正文在任意位置被切开，和请求头连在一起，也和后面的请求连在一起'),
    points: 2,
    timeoutMs: 10000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const siteFile = site.files.find((f) => f.role === 'binary') ?? site.files.find((f) => f.role === 'text')!;
      for (const mode of ['one write', 'pieces'] as const) {
        const a = freshName(ctx, '15', '.bin');
        const b = freshName(ctx, '15', '.txt');
        const bodyA = hostileBody(ctx, ctx.rng.int(1000, 9000));
        const bodyB = textBody(ctx, ctx.rng.int(300, 2000));
        const putA = putRequest(a, bodyA);
        const putB = putRequest(b, bodyB);
        const getA = getRequest(uploadUrl(a));
        const getB = getRequest(uploadUrl(b));
        const getSite = getRequest(siteFile.url);
        const all = Buffer.concat([putA.bytes, getA.bytes, putB.bytes, getB.bytes, getSite.bytes]);
        const reproduce = reproduceInOneWrite([putA, getA, putB, getB, getSite]);
        const line = await Line.open(ctx, t(`client (${mode})`, mode === 'one write' ? '客户端（一次写入）' : '客户端（分成多块）'));
        let context: Text;
        if (mode === 'one write') {
          await line.send(all);
          context = t('5 requests in one write: PUT, GET, PUT, GET, GET', '5 个请求一次写出：PUT、GET、PUT、GET、GET');
        } else {
          // Cuts where a server that loses track shows it: inside the blank line ending PUT A's
          // head, right at the end of that head, one byte into the body, exactly where body A ends
          // and where body B ends (so the next request starts a piece), plus random ones.
          const endA = putA.bytes.length;
          const startB = endA + getA.bytes.length;
          const cuts = [putA.head.length - 2, putA.head.length, putA.head.length + 1, endA, startB + putB.head.length, startB + putB.bytes.length];
          while (cuts.length < 14) cuts.push(ctx.rng.int(1, all.length - 1));
          const pieces = splitAt(all, cuts);
          for (const p of pieces) {
            await line.send(p);
            await ctx.sleep(10);
          }
          context = t(`5 requests (PUT, GET, PUT, GET, GET) in ${pieces.length} pieces cut at the ends of heads and bodies and at random bytes, 10 ms apart`, `5 个请求（PUT、GET、PUT、GET、GET）在请求头和正文的结尾以及随机位置切成 ${pieces.length} 段，每段间隔 10 毫秒`);
        }
        const o = { hint: HINT_BODY_STREAM, context, reproduce };
        const x1 = await line.read(putA.name, { ...o, timeoutMs: 3000 });
        await withReproduce(reproduce, async () => {
          expectPutAnswer(x1, a, false, HINT_BODY_STREAM);
          expectStored(ctx, a, bodyA, { after: after(x1), conn: line.conn });
        });
        const x2 = await line.read(getA.name, o);
        await withReproduce(reproduce, () => expectUploadServed(x2, a, bodyA, HINT_BODY_STREAM));
        const x3 = await line.read(putB.name, o);
        await withReproduce(reproduce, async () => {
          expectPutAnswer(x3, b, false, HINT_BODY_STREAM);
          expectStored(ctx, b, bodyB, { after: after(x3), conn: line.conn });
        });
        const x4 = await line.read(getB.name, o);
        await withReproduce(reproduce, () => expectUploadServed(x4, b, bodyB, HINT_BODY_STREAM));
        const x5 = await line.read(getSite.name, o);
        await withReproduce(reproduce, async () => {
          expectStatus(x5, 200, HINT_BODY_STREAM);
          await expectBody(x5, readSiteFile(site, siteFile), siteFile.file, HINT_BODY_STREAM);
        });
        line.conn.abort();
      }
    },
  },
  {
    id: '7.16',
    title: t('hostile neighbours: an upload paused for 1.2 s, a byte-by-byte uploader, a client that stops reading — the others are served, and nobody sees half a file', '不友好的邻居：中途停顿 1.2 秒的上传、逐字节上传、不再读取的客户端——其他人照常得到服务，谁也看不到半个文件'),
    points: 2,
    timeoutMs: 12000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const large = site.files.find((f) => f.role === 'large')!;
      const name = freshName(ctx, '16', '.bin');
      const oldBody = hostileBody(ctx, ctx.rng.int(30_000, 60_000));
      const newBody = hostileBody(ctx, ctx.rng.int(150_000, 300_000));
      const pauseMs = 1200;
      const setup = await Line.open(ctx, 'client 0 (uploads the first version)');
      await upload(setup, name, oldBody, { existed: false });
      setup.conn.abort();

      // Client 1: replaces the file, and pauses for 1.2 s in the middle of the body.
      const replace = putRequest(name, newBody);
      const cut = replace.head.length + ctx.rng.int(Math.floor(newBody.length / 3), Math.floor((2 * newBody.length) / 3));
      const paused = await Line.open(ctx, 'client 1 (pauses 1.2 s mid-body)');
      await paused.send(replace.bytes.subarray(0, cut));
      paused.conn.note(t(`paused ${formatMs(pauseMs)} after ${cut - replace.head.length} of ${newBody.length} body bytes`, `发送了正文 ${newBody.length} 字节中的 ${cut - replace.head.length} 字节后停顿 ${formatMs(pauseMs)}`));
      const resumeAt = Date.now() + pauseMs;

      // Client 3: asks for the large file four times, pipelined, and never reads.
      const silent = await Line.open(ctx, 'client 3 (stops reading)');
      silent.conn.holdReading();
      silent.conn.note(t('stopped reading', '不再读取'));
      await silent.send(Buffer.concat(Array.from({ length: 4 }, () => getRequest(large.url).bytes)));

      const during = t(`while client 1 was paused in the middle of its PUT ${uploadUrl(name)}`, `在客户端 1 的 PUT ${uploadUrl(name)} 停在正文中途的时候`);
      const url = `http://127.0.0.1:9000${uploadUrl(name)}`;
      const reproduceHalf = `head -c 300000 /dev/urandom > slow.bin && (curl -s -T slow.bin --limit-rate 100K ${url} &) && sleep 1 && curl -s ${url} | wc -c   # while the upload runs: the old size, or 404's`;
      // Client 2: a small upload, byte by byte.
      const slowName = freshName(ctx, '16', '.txt');
      const slowBody = Buffer.from(`${ctx.rng.word()} ${ctx.rng.word()} 慢慢来`);
      const dribbler = async (): Promise<void> => {
        const line = await Line.open(ctx, 'client 2 (byte by byte)');
        const req = putRequest(slowName, slowBody);
        for (const b of req.bytes) {
          await line.send(Buffer.from([b]));
          await ctx.sleep(2);
        }
        const x = await line.read(req.name, {
          what: t(`the response to ${req.name}, whose every byte came on its own, 2 ms apart, ${during.en}`, `${req.name} 的响应（它的每个字节都单独到达，间隔 2 毫秒，${during.zh}）`),
          hint: t(`Every connection is served at once, whatever the others do. ${HINT_BODY_STREAM.en}`, `每个连接都要立即得到服务，不管别的连接在做什么。${HINT_BODY_STREAM.zh}`),
          reproduce: reproduceInParts([...req.bytes].map((b) => Buffer.from([b])), 2),
        });
        expectPutAnswer(x, slowName, false, HINT_BODY_STREAM);
        expectStored(ctx, slowName, slowBody, { after: after(x), conn: line.conn });
      };
      // Client 4: a quick upload, and the paused file fetched: the old version, whole.
      const quick = async (): Promise<void> => {
        const line = await Line.open(ctx, 'client 4 (during the pause)');
        const quickName = freshName(ctx, '16', '.txt');
        const quickBody = textBody(ctx, 2000);
        const req = putRequest(quickName, quickBody);
        await line.send(req.bytes);
        const x = await line.read(req.name, { context: during, timeoutMs: 2000, hint: t('Every connection is served at once, whatever the others do: an upload waiting for its next bytes, or a client that does not read, must not hold anyone else up.', '每个连接都要立即得到服务，不管别的连接在做什么：一个在等后续字节的上传、一个不读取的客户端，都不能耽误别人。') });
        expectPutAnswer(x, quickName, false);
        const g = getRequest(uploadUrl(name));
        await line.send(g.bytes);
        const y = await line.read(g.name, { context: during, timeoutMs: 2000 });
        if (y.res.status === 200 && !y.res.body.equals(oldBody)) {
          const partial = newBody.subarray(0, y.res.body.length).equals(y.res.body);
          fail({
            summary: partial
              ? t(`${y.what.en} ${during.en}: it served ${y.res.body.length} bytes of the NEW body — half an upload, visible to everyone`, `${y.what.zh}（${during.zh}）：服务器提供的是新正文的 ${y.res.body.length} 字节——半个上传，所有人都看得见`)
              : t(`${y.what.en} ${during.en}: it served ${y.res.body.length} bytes that are not the old file (${oldBody.length} bytes)`, `${y.what.zh}（${during.zh}）：服务器提供的 ${y.res.body.length} 字节不是旧文件（${oldBody.length} 字节）`),
            expected: t(`the old file, whole (${oldBody.length} bytes): a file changes only when its new body is complete`, `完整的旧文件（${oldBody.length} 字节）：只有新正文完整之后文件才会改变`),
            hint: HINT_ATOMIC,
            conn: line.conn,
            reproduce: reproduceHalf,
          });
        }
        await withReproduce(reproduceHalf, () => expectUploadServed(y, name, oldBody, HINT_ATOMIC));
      };
      await firstFailureInOrder([quick(), dribbler()]);

      // Client 1 goes on: the new version replaces the old.
      await ctx.sleep(Math.max(0, resumeAt - Date.now()));
      await paused.send(replace.bytes.subarray(cut));
      const x = await paused.read(replace.name, {
        context: t(`the body resumed after a ${formatMs(pauseMs)} pause`, `正文在停顿 ${formatMs(pauseMs)} 之后继续`),
        hint: t('A pause in the middle of a body is not the end of it: keep the bytes you have and wait for the rest (a few seconds of quiet are normal on a real network).', '正文中途的停顿并不是它的结束：保留已经收到的字节，继续等待剩下的（在真实网络上安静几秒很正常）。'),
        reproduce: reproduceInParts([replace.bytes.subarray(0, cut), replace.bytes.subarray(cut)], pauseMs),
      });
      expectPutAnswer(x, name, true);
      expectStored(ctx, name, newBody, { after: after(x), conn: paused.conn, old: oldBody });
      silent.conn.abort();
    },
  },
  {
    id: '7.17',
    title: t('uploads cut short: the client leaves mid-body — nothing changes, nothing is left behind', '中途断开的上传：客户端在正文中途离开——什么都不改变，什么都不留下'),
    points: 2,
    timeoutMs: 10000,
    async run(ctx) {
      const existing = freshName(ctx, '17', '.bin');
      const oldBody = hostileBody(ctx, ctx.rng.int(4000, 9000));
      const setup = await Line.open(ctx, 'client 0 (uploads the first version)');
      await upload(setup, existing, oldBody, { existed: false });
      setup.conn.abort();
      const before = new Set(listUploads(ctx));

      const fresh = freshName(ctx, '17', '.txt');
      const cases = [
        { name: fresh, body: textBody(ctx, ctx.rng.int(40_000, 80_000)), how: 'fin' as const, label: t('closes its side (FIN) mid-body', '在正文中途关闭了自己这一端（FIN）') },
        { name: existing, body: hostileBody(ctx, ctx.rng.int(40_000, 80_000)), how: 'reset' as const, label: t('resets the connection mid-body', '在正文中途重置了连接') },
      ];
      let last: Conn | undefined;
      for (const c of cases) {
        const req = putRequest(c.name, c.body);
        const line = await Line.open(ctx, t(`client (${c.label.en})`, `客户端（${c.label.zh}）`));
        last = line.conn;
        const cut = req.head.length + ctx.rng.int(Math.floor(c.body.length / 4), Math.floor(c.body.length / 2));
        await line.send(req.bytes.subarray(0, cut));
        await ctx.sleep(50);
        line.conn.note(c.label);
        if (c.how === 'fin') line.conn.end();
        else line.conn.reset();
      }
      // The server notices at once; give it a moment to clean up, then look.
      const deadline = Date.now() + 1000;
      let stray: string[] = [];
      let newFile: Buffer | undefined;
      let oldFile: Buffer | undefined;
      for (;;) {
        await ctx.sleep(50);
        stray = listUploads(ctx).filter((n) => !before.has(n));
        newFile = readUpload(ctx, fresh);
        oldFile = readUpload(ctx, existing);
        const settled = stray.length === 0 && newFile === undefined && oldFile?.equals(oldBody);
        if (settled || Date.now() > deadline) break;
      }
      const cut = t('1 s after the clients left mid-body', '客户端在正文中途离开 1 秒之后');
      const reproduce = `head -c 200000 /dev/urandom > big.bin && timeout 1 curl -s -T big.bin --limit-rate 50K http://127.0.0.1:9000${uploadUrl(fresh)}; ls -la "$STATIC_DIR/uploads"`;
      if (newFile !== undefined) {
        fail({
          summary: t(`${cut.en}: uploads/${fresh} exists with ${newFile.length} bytes — the first part of a body of ${cases[0]!.body.length}, whose client closed before sending the rest`, `${cut.zh}：uploads/${fresh} 存在，有 ${newFile.length} 字节——这是一个 ${cases[0]!.body.length} 字节正文的前一部分，它的客户端没发完就关闭了`),
          expected: t('no such file: an upload that never completed leaves nothing', '不应该有这个文件：没有完成的上传什么都不留下'),
          hint: HINT_ATOMIC,
          conn: last,
          reproduce,
        });
      }
      if (!oldFile?.equals(oldBody)) {
        fail({
          summary: oldFile === undefined
            ? t(`${cut.en}: uploads/${existing} is gone — a client that reset mid-upload destroyed the file it was replacing`, `${cut.zh}：uploads/${existing} 不见了——一个在上传中途重置连接的客户端毁掉了它要替换的文件`)
            : t(`${cut.en}: uploads/${existing} has ${oldFile.length} bytes, not its old ${oldBody.length} — a half-received upload replaced it`, `${cut.zh}：uploads/${existing} 有 ${oldFile.length} 字节，而不是原来的 ${oldBody.length} 字节——一个只收到一半的上传替换了它`),
          expected: t('the old file, unchanged: a replacement counts only once its body is complete', '旧文件保持不变：替换只有在正文完整之后才算数'),
          hint: HINT_ATOMIC,
          conn: last,
          reproduce,
        });
      }
      if (stray.length > 0) {
        fail({
          summary: t(`${cut.en}: uploads/ holds files nobody uploaded: ${stray.join(', ')}`, `${cut.zh}：uploads/ 里有没人上传过的文件：${stray.join('、')}`),
          expected: t('the temporary file of an upload that was cut short is deleted when the connection closes', '中途断开的上传，它的临时文件在连接关闭时被删除'),
          hint: t('When the socket closes before the body is complete (the "close" event, with bytes still expected), destroy the file stream and delete its temporary file — or every interrupted upload leaves one behind.', '当 socket 在正文完整之前关闭（"close" 事件发生时还在等字节），销毁文件流并删除它的临时文件——否则每次被打断的上传都会留下一个。'),
          conn: last,
          reproduce,
        });
      }
      // And the server goes on.
      const line = await Line.open(ctx, 'client (afterwards)', t('after two uploads were cut short', '在两次上传中途断开之后'));
      await upload(line, freshName(ctx, '17', '.css'), textBody(ctx, 500), { existed: false });
    },
  },
];

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Hints for `npm run hint 7`, gentlest first: each gives a little more away. */
const hints: Text[] = [
  t(
    'Watch a real client upload: curl -v -T somefile http://127.0.0.1:9000/uploads/somefile sends a head with Content-Length and "Expect: 100-continue", waits up to a second for "HTTP/1.1 100 Continue", then sends the bytes. curl --data "a=1&b=x+y" http://127.0.0.1:9000/form sends a form.',
    '观察真实的客户端如何上传：curl -v -T somefile http://127.0.0.1:9000/uploads/somefile 会先发送带 Content-Length 和 "Expect: 100-continue" 的请求头，最多等一秒钟的 "HTTP/1.1 100 Continue"，然后发送字节。curl --data "a=1&b=x+y" http://127.0.0.1:9000/form 会发送一个表单。',
  ),
  t(
    "A body is the Content-Length bytes right after the head. In stage 6 you skipped them; now route them somewhere: a per-connection 'body' state (how many bytes remain, and where they go) that the data handler serves before it looks for the next head. What is left after the body stays in the buffer: it is the next request.",
    "正文就是请求头之后的 Content-Length 个字节。第 6 阶段你跳过了它们；现在要把它们送到某个地方：给每个连接一个'正文'状态（还剩多少字节、送到哪里），data 处理函数先处理它，再去找下一个请求头。正文之后剩下的字节留在缓冲区里：那是下一个请求。",
  ),
  t(
    'Decide everything from the head before reading a byte of the body, in this order: Transfer-Encoding → 501 and close; a Content-Length that is not /^\\d+$/ (or two that differ) → 400 and close; none on PUT/POST → 411; over 10485760 → 413 and close; a bad name → 400; otherwise accept. With "Expect: 100-continue", accepting means writing "HTTP/1.1 100 Continue\\r\\n\\r\\n" now; refusing means the final status now.',
    '在读取正文的任何一个字节之前，只根据请求头决定一切，顺序是：Transfer-Encoding → 501 并关闭；Content-Length 不符合 /^\\d+$/（或者两个值不同）→ 400 并关闭；PUT/POST 没有它 → 411；超过 10485760 → 413 并关闭；名字不合法 → 400；否则接受。带 "Expect: 100-continue" 时，接受就意味着现在写出 "HTTP/1.1 100 Continue\\r\\n\\r\\n"；拒绝就意味着现在发出最终状态。',
  ),
  t(
    'The name: decodeURIComponent(the part after /uploads/) inside try/catch; refuse "", ".", "..", anything with "/" or "\\0". "+" stays a plus in a path. Then store: fs.createWriteStream(a temporary name in uploads/), write each body piece, and if write() returns false, socket.pause() until the stream emits "drain". At the end: fs.stat the final name (201 or 204?), fs.rename the temporary file onto it, answer.',
    '名字：在 try/catch 里对 /uploads/ 之后的部分做 decodeURIComponent；拒绝 ""、"."、".."、以及含有 "/" 或 "\\0" 的名字。在路径里 "+" 就是加号。然后保存：fs.createWriteStream(uploads/ 里的一个临时名字)，写入每一段正文，如果 write() 返回 false，就 socket.pause() 直到文件流发出 "drain"。最后：对最终名字 fs.stat（201 还是 204？），用 fs.rename 把临时文件改成它，然后回应。',
  ),
  t(
    'The form: collect the body, split on "&" (skip empty pieces), split each on the first "=", replace "+" with " ", then decodeURIComponent each part (400 if it throws). Put them in a Map (a repeated name keeps its place, takes the last value), and write the JSON yourself: "{" + entries.map(([k, v]) => JSON.stringify(k) + ":" + JSON.stringify(v)).join(",") + "}", with Content-Type: application/json; charset=utf-8.',
    '表单：收集正文，按 "&" 切开（跳过空的部分），每一段按第一个 "=" 切开，把 "+" 换成 " "，然后对每一部分做 decodeURIComponent（抛出异常就回 400）。放进一个 Map（重复的名字保留位置、取最后的值），自己拼出 JSON："{" + entries.map(([k, v]) => JSON.stringify(k) + ":" + JSON.stringify(v)).join(",") + "}"，Content-Type 是 application/json; charset=utf-8。',
  ),
  t(
    'Uploads cut short: listen for "close" on the socket; if a body is still expected then, destroy the file stream and delete the temporary file. Because the final name only ever changes by rename, a GET during an upload serves the old file whole, and a failed upload changes nothing.',
    '中途断开的上传：监听 socket 的 "close" 事件；如果那时还在等正文，就销毁文件流并删除临时文件。因为最终的名字只会通过重命名改变，上传期间的 GET 提供的是完整的旧文件，失败的上传什么都不改变。',
  ),
];

export default defineStage(import.meta.url, {
  title: t('Request bodies: PUT and POST', '请求正文：PUT 与 POST'),
  checks,
  hints,
  site: { features: ['media-types', 'binary', 'large', 'unknown-type', 'folder-index', 'nested', 'spaced', 'unicode'] },
  writes: ['uploads'],
});
