/**
 * Stage 8 — redirects and conditional GET. The persistent file server of stage 6 now sends Date on
 * every response and validators (Last-Modified, ETag) with every file; answers a conditional GET or
 * HEAD with 304 Not Modified when the client's copy is current (If-None-Match first, then
 * If-Modified-Since at one-second resolution; dates that are not dates ignored, all three HTTP date
 * formats read); redirects a folder named without its slash (301, query kept) and the paths its
 * STATIC_DIR/_redirects lists (301 or 302, malformed lines skipped). Every response is read the way a
 * kept-alive client reads it: a 304 has no body, so the next response follows at once.
 */
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CheckFailure, fail } from '../../failure.ts';
import { t, type Text } from '../../i18n.ts';
import { loadRedirects, loadSite, readSiteFile, typesFor, type RedirectRule, type Site, type SiteFile } from '../../site/site.ts';
import { defineStage } from '../../stage.ts';
import type { Check, CheckContext } from '../../types.ts';
import { readSlowly, stopReading } from '../../wire/adversary.ts';
import { escapeBytes } from '../../wire/escape.ts';
import { type Conn, formatMs } from '../../wire/conn.ts';
import { reproduceInParts } from '../../wire/http.ts';
import { connectOrExplain, type Exchange } from '../../expect/http.ts';
import { firstFailureInOrder, type Previous } from '../../expect/http-persistent.ts';
import {
  HINT_IF_MODIFIED_SINCE,
  HINT_IF_NONE_MATCH,
  HINT_NOT_MODIFIED,
  HINT_REDIRECT,
  HINT_VALIDATORS,
  asctimeDate,
  cachingStep,
  expectLocation,
  expectSameETag,
  expectValidators,
  imfFixdate,
  otherTag,
  rfc850Date,
  runCachingSteps,
  weakForm,
  wholeSeconds,
  type CachingStep,
} from '../../expect/http-caching.ts';

// ─── The site's files, with what a client learns about them ──────────────────────────────────────

/** A file of the site as the checks know it now: its bytes and its mtime. */
export interface Known extends SiteFile {
  body: Buffer;
  mtimeMs: number;
  /** Last-Modified as it must read. */
  lastModified: string;
}

export const know = (site: Site, f: SiteFile, url = f.url): Known => {
  const mtimeMs = statSync(path.join(site.root, f.file)).mtimeMs;
  return { ...f, url, body: readSiteFile(site, f), mtimeMs, lastModified: imfFixdate(wholeSeconds(mtimeMs)) };
};

/** Small files of every kind, the folder index pages by their folder URL, and / itself. */
function pool(site: Site): Known[] {
  return site.files
    .filter((f) => f.role !== 'large' && f.role !== 'error')
    .map((f) => (f.role === 'index' ? know(site, f, '/') : f.role === 'dir-index' ? know(site, f, f.url.replace(/index\.html$/, '')) : know(site, f)));
}

export const pick = (ctx: CheckContext, site: Site, n: number): Known[] => ctx.rng.shuffle(pool(site)).slice(0, n);

const folders = (site: Site): string[] => site.files.filter((f) => f.role === 'dir-index').map((f) => f.url.replace(/\/index\.html$/, ''));

const prev = (x: Exchange, index: number): Previous => ({ name: x.name, index });

/** A seeded query string: letters, digits, an encoded byte or two. */
const query = (ctx: CheckContext): string =>
  `?${ctx.rng.word(1, 5)}=${ctx.rng.word(1, 8)}` + ctx.rng.pick(['', `&${ctx.rng.word(2, 4)}=${ctx.rng.int(0, 9999)}`, `&q=${ctx.rng.pick(['%E4%BD%A0%E5%A5%BD', 'a%20b', 'x%2Fy'])}`]);

// ─── Steps ───────────────────────────────────────────────────────────────────────────────────────

export type Conditions = [string, string][];

/** A GET (or HEAD) that must be a 200 with the file and its validators; `etag`: the one it must carry. */
export function full(f: Known, o: { method?: string; conditions?: Conditions; why?: Text; hint?: Text; etag?: string; onValidators?: (v: { etag: string; lastModified: string }, x: Exchange) => void } = {}): CachingStep {
  return cachingStep(
    { method: o.method ?? 'GET', target: f.url },
    { status: 200, body: f.body, file: f.file, types: typesFor(f.file) },
    {
      conditions: o.conditions ?? [],
      ...(o.why ? { why: o.why } : {}),
      ...(o.hint ? { hint: o.hint } : {}),
      verify: (x) => {
        const v = expectValidators(x, f);
        if (o.etag) expectSameETag(x, o.etag, t(`${f.file} has not changed since the server sent ETag ${o.etag} for it, and an ETag stays the same while the file does — a cache compares it`, `自从服务器为 ${f.file} 发出 ETag ${o.etag} 以来这个文件没有变，而文件不变 ETag 就不能变——缓存要拿它来比较`), HINT_VALIDATORS);
        o.onValidators?.(v, x);
      },
    },
  );
}

/** A conditional GET (or HEAD) that must be a 304 carrying `etag`, and no body. */
export function notModified(f: Known, etag: string, conditions: Conditions, why: Text, hint: Text, method = 'GET'): CachingStep {
  return cachingStep({ method, target: f.url }, { status: 304 }, {
    conditions,
    why: t(`304 Not Modified, no body: ${why.en}`, `304 Not Modified，没有正文：${why.zh}`),
    hint,
    bodyOf: { file: f.file, body: f.body },
    verify: (x) => {
      expectSameETag(x, etag, t(`a 304 carries the ETag of the version the client may keep using (RFC 9110 §15.4.5) — the one the server sent for ${f.file}`, `304 要带上客户端可以继续使用的那个版本的 ETag（RFC 9110 §15.4.5）——也就是服务器为 ${f.file} 发出的那个`), HINT_NOT_MODIFIED);
      const lm = x.res.header('last-modified');
      if (lm !== undefined && lm !== f.lastModified) {
        fail({
          summary: t(`${x.what.en}: the 304 says Last-Modified: ${lm}, but ${f.file} was last modified at ${f.lastModified}`, `${x.what.zh}：304 里写的是 Last-Modified: ${lm}，但 ${f.file} 最后一次修改是在 ${f.lastModified}`),
          expected: t(`no Last-Modified on a 304, or the same one the 200 carries: ${f.lastModified}`, `304 可以不带 Last-Modified；要带就和 200 里的一样：${f.lastModified}`),
          hint: HINT_NOT_MODIFIED,
          conn: x.conn,
        });
      }
    },
  });
}

/** A GET (or HEAD) of a missing path: 404 with error.html. */
function missing(site: Site, target: string, o: { method?: string; conditions?: Conditions; why?: Text; hint?: Text } = {}): CachingStep {
  return cachingStep({ method: o.method ?? 'GET', target }, { status: 404, body: readSiteFile(site, 'error.html'), file: 'error.html', types: ['text/html'] }, { conditions: o.conditions ?? [], ...(o.why ? { why: o.why } : {}), ...(o.hint ? { hint: o.hint } : {}) });
}

/** A request that must be redirected with `code` to `location`. */
function redirect(target: string, code: 301 | 302, location: string, why: Text, hint: Text, method = 'GET'): CachingStep {
  return cachingStep({ method, target }, { status: code }, {
    why: t(`${code} ${code === 301 ? 'Moved Permanently' : 'Found'} with Location: ${location} — ${why.en}`, `${code} ${code === 301 ? 'Moved Permanently' : 'Found'}，带 Location: ${location}——${why.zh}`),
    hint,
    verify: (x) => expectLocation(x, location, why, hint),
  });
}

/** GETs `files` one by one on `conn` and returns their ETags (checking the validators on the way). */
export async function learnETags(ctx: CheckContext, conn: Conn, files: readonly Known[], o: { hint?: Text; context?: Text } = {}): Promise<{ etags: string[]; last: Previous }> {
  const etags: string[] = [];
  const xs = await runCachingSteps(ctx, conn, files.map((f, i) => full(f, { onValidators: (v) => (etags[i] = v.etag) })), { mode: 'one-by-one', hint: o.hint ?? HINT_VALIDATORS, ...(o.context ? { context: o.context } : {}) });
  return { etags, last: prev(xs[xs.length - 1]!, xs.length) };
}

// ─── Dates a server must not take for dates ──────────────────────────────────────────────────────

/**
 * Values of If-Modified-Since that are not HTTP dates, made from the file's own time so that a
 * parser that guesses (rolls hour 25 over into the next day, reads a number as seconds) lands at or
 * after the mtime and answers 304 — the wrong answer. Every one of them: Date.parse gives NaN, and
 * nginx ignores it.
 */
export function notDates(ctx: CheckContext, f: Known): string[] {
  const lm = f.lastModified;
  const later = imfFixdate(wholeSeconds(f.mtimeMs) + 86_400_000);
  const forms = [
    lm.replace(/ \d\d:/, ' 25:'), // hour 25
    lm.replace(/ [A-Z][a-z]{2} (\d{4})/, ' Foo $1'), // no such month
    lm.replace(/, \d\d /, ', 99 '), // no such day
    String(Math.floor(wholeSeconds(f.mtimeMs) / 1000) + 86_400), // seconds since 1970, a day later
    ctx.rng.pick(['tomorrow', 'not a date', 'yesterday, 4pm', 'never']),
    '',
    later.replace(/:\d\d:/, ':66:'), // minute 66
    later.replace(/(\d\d):(\d\d):(\d\d)/, '$1.$2.$3'), // dots for colons
  ];
  return [forms[0]!, ...ctx.rng.shuffle(forms.slice(1)).slice(0, 3)];
}

// ─── Hints ───────────────────────────────────────────────────────────────────────────────────────

const HINT_CHANGED = t(
  'Compute the validators from the file as it is now, on every request: fs.stat() the file you are about to send (not a value remembered from start-up), and make the ETag change with it — size and mtime together do, because a rewrite changes the mtime.',
  '每次请求都要根据文件当前的状态计算验证器：对将要发送的文件调用 fs.stat()（不要用启动时记下的值），并让 ETag 随之变化——大小加修改时间就可以，因为重写文件会改变修改时间。',
);

const HINT_PRECEDENCE = t(
  'When If-None-Match is present, it alone decides (RFC 9110 §13.2.2): ignore If-Modified-Since then. An ETag is the stronger validator — a date has one-second resolution, a tag none — so a client that sends both wants the tag to decide. Only when there is no If-None-Match, look at If-Modified-Since.',
  '只要有 If-None-Match，就只由它决定（RFC 9110 §13.2.2）：这时忽略 If-Modified-Since。ETag 是更强的验证器——日期只精确到秒，标签没有这种限制——所以客户端两个都发时，希望由标签来决定。只有没有 If-None-Match 时，才看 If-Modified-Since。',
);

const HINT_NOT_A_DATE = t(
  'A header you cannot understand is ignored, not an error: if If-Modified-Since does not parse (Date.parse gives NaN), answer as if it were not there — 200 with the file. Watch out for NaN: every comparison with NaN is false, so `if (!(mtime > since))` says 304 for a date that is not one; test for NaN first.',
  '看不懂的头部要忽略，而不是报错：如果 If-Modified-Since 解析不出来（Date.parse 得到 NaN），就当它不存在——回 200 和文件。小心 NaN：和 NaN 的任何比较都是 false，所以 `if (!(mtime > since))` 会对一个根本不是日期的值回 304；先判断是不是 NaN。',
);

const HINT_OLD_FORMATS = t(
  'RFC 9110 §5.6.7: a recipient must accept all three HTTP date formats — "Sun, 06 Nov 1994 08:49:37 GMT", the obsolete RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994". Date.parse reads the first two; asctime has no zone, so Date.parse would take it as local time: add " GMT" before parsing it.',
  'RFC 9110 §5.6.7：接收方必须接受全部三种 HTTP 日期格式——"Sun, 06 Nov 1994 08:49:37 GMT"、已废弃的 RFC 850 格式 "Sunday, 06-Nov-94 08:49:37 GMT" 和 asctime 格式 "Sun Nov  6 08:49:37 1994"。Date.parse 能读前两种；asctime 没有时区，Date.parse 会把它当成本地时间：解析前先在后面加上 " GMT"。',
);

const HINT_HEAD_CONDITIONAL = t(
  'HEAD is GET without the body, conditions included: evaluate If-None-Match and If-Modified-Since for HEAD exactly as for GET (304 when the copy is current), and answer a 200 to HEAD with the same headers GET would send — Last-Modified and ETag among them.',
  'HEAD 就是不带正文的 GET，条件判断也一样：对 HEAD 要像对 GET 一样判断 If-None-Match 和 If-Modified-Since（副本仍然有效就回 304），HEAD 的 200 响应要带和 GET 一样的头部——包括 Last-Modified 和 ETag。',
);

const HINT_FOLDER = t(
  'A request for a folder without its trailing slash (/docs when docs is a folder): answer 301 Moved Permanently with Location: the same path plus "/" — and the query, if the request had one (/docs?x=1 → /docs/?x=1). Relative links in the folder\'s index.html only work from the URL with the slash; that is why servers redirect.',
  '请求一个文件夹却没有结尾的斜杠（docs 是文件夹，请求的是 /docs）：回 301 Moved Permanently，Location 是同一路径加上 "/"——如果请求带了查询字符串，也要带上（/docs?x=1 → /docs/?x=1）。文件夹的 index.html 里的相对链接只有在带斜杠的 URL 下才能正确解析；这就是服务器要重定向的原因。',
);

const HINT_REDIRECTS_FILE = t(
  'Read STATIC_DIR/_redirects (when the server starts is fine): one rule per line, "from to [code]", fields separated by spaces or tabs. Trim each line (it may end in \\r\\n); skip empty lines and lines starting with #; a rule has 2 or 3 fields, "from" starts with /, the code is exactly 301 or 302 and defaults to 302. Skip any other line and carry on. The first rule for a path wins. A GET or HEAD whose path (before "?") equals "from" gets that code and Location: to, plus the request\'s query.',
  '读取 STATIC_DIR/_redirects（在服务器启动时读就可以）：每行一条规则，"from to [code]"，字段之间用空格或制表符分隔。每行先去掉首尾空白（行尾可能是 \\r\\n）；跳过空行和以 # 开头的行；一条规则有 2 或 3 个字段，"from" 以 / 开头，状态码只能是 301 或 302，省略时默认 302。其他行一律跳过，继续往下读。同一路径以第一条规则为准。GET 或 HEAD 请求的路径（"?" 之前的部分）等于 "from" 时，就回那个状态码和 Location: to，再加上请求的查询字符串。',
);

// ─── The checks ──────────────────────────────────────────────────────────────────────────────────

const checks: Check[] = [
  {
    id: '8.1',
    title: t('every file comes with Last-Modified (its mtime), an ETag, and Date', '每个文件都带 Last-Modified（修改时间）、ETag 和 Date'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const files = pick(ctx, site, ctx.rng.int(5, 7));
      const etags: string[] = [];
      const conn = await connectOrExplain(ctx);
      const gets = files.map((f, i) => full(f, { hint: HINT_VALIDATORS, onValidators: (v) => (etags[i] = v.etag) }));
      const xs = await runCachingSteps(ctx, conn, gets, { mode: 'one-by-one', hint: HINT_VALIDATORS, date: true });
      // HEAD carries the headers GET does; and a second GET of an unchanged file, the same ETag.
      const [a, b] = [ctx.rng.int(0, files.length - 1), ctx.rng.int(0, files.length - 1)];
      const again = [full(files[a]!, { method: 'HEAD', etag: etags[a]!, hint: HINT_HEAD_CONDITIONAL }), full(files[b]!, { etag: etags[b]!, hint: HINT_VALIDATORS })];
      await runCachingSteps(ctx, conn, again, { mode: 'one-by-one', before: prev(xs[xs.length - 1]!, xs.length), hint: HINT_VALIDATORS, date: true });
    },
  },
  {
    id: '8.2',
    title: t('Date on every response: 404, HEAD of a 404, 405, 400', '每个响应都带 Date：404、HEAD 的 404、405、400'),
    points: 1,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const [f] = pick(ctx, site, 1) as [Known];
      const spaced = site.files.find((x) => x.role === 'spaced')!;
      const steps: CachingStep[] = [
        missing(site, site.missing[ctx.rng.int(0, 2)]!),
        missing(site, site.missing[ctx.rng.int(0, 2)]!, { method: 'HEAD' }),
        cachingStep({ method: ctx.rng.pick(['DELETE', 'OPTIONS', 'PATCH']), target: f.url }, { status: [405, 501] }),
      ];
      const conn = await connectOrExplain(ctx);
      const xs = await runCachingSteps(ctx, conn, ctx.rng.shuffle(steps), { mode: 'one-by-one', date: true });
      // Last, a malformed request line (a space left unencoded): 400, with Date like any answer.
      const bad = cachingStep({ target: `/${spaced.file}` }, { status: 400 }, { why: t('the request line has four parts (the space in the path was not encoded): 400 Bad Request', '请求行有四个部分（路径里的空格没有编码）：400 Bad Request') });
      await runCachingSteps(ctx, conn, [bad], { mode: 'one-by-one', before: prev(xs[xs.length - 1]!, xs.length), date: true });
    },
  },
  {
    id: '8.3',
    title: t('If-None-Match with the current ETag (exact, W/, in a list, or *): 304, no body', 'If-None-Match 匹配当前 ETag（原样、W/、列表中、或 *）：304，无正文'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const files = pick(ctx, site, 3);
      const conn = await connectOrExplain(ctx);
      const { etags, last } = await learnETags(ctx, conn, files);
      const why = (f: Known, e: string, how: Text): Text =>
        t(`If-None-Match ${how.en}, the ETag the server just sent for ${f.file} (${e}), and the file has not changed: the client's copy is current`, `If-None-Match ${how.zh}服务器刚为 ${f.file} 发出的 ETag（${e}），而文件没有变：客户端的副本仍然有效`);
      const others = (): string[] => [`"${ctx.rng.word(4, 10)}"`, `W/"${ctx.rng.int(1, 99999).toString(16)}-${ctx.rng.word(2, 5)}"`, `"${ctx.rng.int(0, 1e9)}"`];
      const list = (e: string): string => {
        const tags = ctx.rng.shuffle([e, ...others().slice(0, ctx.rng.int(1, 3))]);
        return tags.join(ctx.rng.pick([', ', ',', ' , ']));
      };
      const [a, b, c] = files as [Known, Known, Known];
      const [ea, eb, ec] = etags as [string, string, string];
      const steps = ctx.rng.shuffle([
        notModified(a, ea, [['If-None-Match', ea]], why(a, ea, t('is exactly', '正是')), HINT_IF_NONE_MATCH),
        notModified(b, eb, [['If-None-Match', weakForm(eb)]], why(b, eb, t(`is ${weakForm(eb)}: with W/ in front, it is still`, `是 ${weakForm(eb)}：前面加了 W/，按弱比较它仍然是`)), HINT_IF_NONE_MATCH),
        notModified(c, ec, [['If-None-Match', list(ec)]], why(c, ec, t('is a list that contains', '是一个列表，其中包含')), HINT_IF_NONE_MATCH),
        notModified(a, ea, [['If-None-Match', '*']], t(`If-None-Match: * matches any current version of ${a.file}, and there is one`, `If-None-Match: * 匹配 ${a.file} 的任何当前版本，而这个文件存在`), HINT_IF_NONE_MATCH),
      ]);
      await runCachingSteps(ctx, conn, steps, { mode: 'one-by-one', before: last, hint: HINT_IF_NONE_MATCH, date: true });
    },
  },
  {
    id: '8.4',
    title: t('If-None-Match without the current ETag: 200 with the file', 'If-None-Match 不含当前 ETag：200 和文件'),
    points: 1,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const files = pick(ctx, site, 3);
      const conn = await connectOrExplain(ctx);
      const { etags, last } = await learnETags(ctx, conn, files);
      const [a, b, c] = files as [Known, Known, Known];
      const [ea, eb, ec] = etags as [string, string, string];
      const why = (f: Known, e: string): Text => t(`none of those tags is ${e}, the current ETag of ${f.file}: the client's copy is not this version, so it gets the file`, `这些标签都不是 ${f.file} 当前的 ETag ${e}：客户端的副本不是这个版本，所以要给它文件`);
      const hint = t(`${HINT_IF_NONE_MATCH.en} No match: answer 200 with the file, as if there were no condition.`, `${HINT_IF_NONE_MATCH.zh}没有匹配：回 200 和文件，就像没有条件一样。`);
      const rand = (n: number): number => ctx.rng.int(0, n - 1);
      const steps = ctx.rng.shuffle([
        full(a, { conditions: [['If-None-Match', otherTag(ea, rand)]], why: why(a, ea), hint, etag: ea }),
        full(b, { conditions: [['If-None-Match', `${otherTag(eb, rand)}, "${ctx.rng.word()}"`]], why: why(b, eb), hint, etag: eb }),
        // Another file's tag: an ETag means something only for the resource that sent it. (Two small
        // files may share one when it is made of size and mtime; then take a made-up one.)
        full(c, { conditions: [['If-None-Match', ea !== ec ? ea : otherTag(ec, rand)]], why: why(c, ec), hint, etag: ec }),
      ]);
      await runCachingSteps(ctx, conn, steps, { mode: 'one-by-one', before: last, hint });
    },
  },
  {
    id: '8.5',
    title: t('If-Modified-Since at the mtime, later, in the future: 304; a second earlier: 200', 'If-Modified-Since 等于修改时间、更晚、在未来：304；早一秒：200'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const [f, g] = pick(ctx, site, 2) as [Known, Known];
      const conn = await connectOrExplain(ctx);
      const { etags, last } = await learnETags(ctx, conn, [f, g]);
      const at = (k: Known): number => wholeSeconds(k.mtimeMs);
      const later = ctx.rng.int(1, 400 * 86_400) * 1000;
      const future = Date.now() + ctx.rng.int(1, 3650) * 86_400_000;
      const ims = (v: number): Conditions => [['If-Modified-Since', imfFixdate(v)]];
      const unchanged = (k: Known, v: number, how: Text): Text =>
        t(`${k.file} was last modified at ${k.lastModified}, ${how.en} ${imfFixdate(v)}: it has not been modified since that date`, `${k.file} 最后一次修改是在 ${k.lastModified}，${how.zh} ${imfFixdate(v)}：从那个日期以来它没有被修改过`);
      const steps = ctx.rng.shuffle([
        notModified(f, etags[0]!, ims(at(f)), unchanged(f, at(f), t('which is exactly', '正好就是')), HINT_IF_MODIFIED_SINCE),
        notModified(g, etags[1]!, ims(at(g) + later), unchanged(g, at(g) + later, t('which is before', '早于')), HINT_IF_MODIFIED_SINCE),
        notModified(f, etags[0]!, ims(future), unchanged(f, future, t('which is before', '早于')), t(`${HINT_IF_MODIFIED_SINCE.en} A date in the future is still a date: the file has not changed since then either.`, `${HINT_IF_MODIFIED_SINCE.zh}未来的日期也是日期：文件在那之后同样没有变。`)),
        full(g, { conditions: ims(at(g) - 1000), etag: etags[1]!, hint: HINT_IF_MODIFIED_SINCE, why: t(`${g.file} was last modified at ${g.lastModified}, one second after ${imfFixdate(at(g) - 1000)}: it has changed since, so the client gets it`, `${g.file} 最后一次修改是在 ${g.lastModified}，比 ${imfFixdate(at(g) - 1000)} 晚一秒：在那之后它变了，所以要给客户端文件`) }),
        full(f, { conditions: ims(Date.UTC(ctx.rng.int(1990, 1999), ctx.rng.int(0, 11), ctx.rng.int(1, 28), ctx.rng.int(0, 23))), etag: etags[0]!, hint: HINT_IF_MODIFIED_SINCE, why: t(`${f.file} was last modified at ${f.lastModified}, long after that date`, `${f.file} 最后一次修改是在 ${f.lastModified}，远在那个日期之后`) }),
      ]);
      await runCachingSteps(ctx, conn, steps, { mode: 'one-by-one', before: last, hint: HINT_IF_MODIFIED_SINCE });
    },
  },
  {
    id: '8.6',
    title: t('an If-Modified-Since that is not a date is ignored: 200', '不是日期的 If-Modified-Since 被忽略：200'),
    points: 1,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const files = pick(ctx, site, 4);
      const conn = await connectOrExplain(ctx);
      const { etags, last } = await learnETags(ctx, conn, [files[0]!]);
      const values = notDates(ctx, files[0]!);
      const steps = values.map((v, i) =>
        full(files[i]!, {
          conditions: [['If-Modified-Since', v]],
          ...(i === 0 ? { etag: etags[0]! } : {}),
          hint: HINT_NOT_A_DATE,
          why: t(`${JSON.stringify(v)} is not an HTTP date, so the condition is ignored (RFC 9110 §13.1.3) and the answer is what GET gets without it: 200 with the file — not 304, not 400`, `${JSON.stringify(v)} 不是 HTTP 日期，所以这个条件被忽略（RFC 9110 §13.1.3），回应就和没有它时的 GET 一样：200 和文件——不是 304，也不是 400`),
        }),
      );
      await runCachingSteps(ctx, conn, steps, { mode: 'one-by-one', before: last, hint: HINT_NOT_A_DATE });
    },
  },
  {
    id: '8.7',
    title: t('the obsolete date formats (RFC 850, asctime) are read too', '也能读取已废弃的日期格式（RFC 850、asctime）'),
    points: 1,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const [f, g] = pick(ctx, site, 2) as [Known, Known];
      const conn = await connectOrExplain(ctx);
      const { etags, last } = await learnETags(ctx, conn, [f, g]);
      const at = (k: Known): number => wholeSeconds(k.mtimeMs);
      const day = 86_400_000;
      const ims = (v: string): Conditions => [['If-Modified-Since', v]];
      const same = (k: Known, v: string): Text => t(`"${v}" is ${k.lastModified} written in an older format that HTTP recipients must still read (RFC 9110 §5.6.7): ${k.file} has not changed since`, `"${v}" 就是用旧格式写的 ${k.lastModified}，HTTP 接收方仍然必须能读（RFC 9110 §5.6.7）：${k.file} 从那以后没有变`);
      const day1 = (k: Known, v: string, after: boolean): Text =>
        after
          ? t(`"${v}" (asctime, which means GMT) is a day after ${k.file} was last modified (${k.lastModified})`, `"${v}"（asctime 格式，表示 GMT）比 ${k.file} 的最后修改时间（${k.lastModified}）晚一天`)
          : t(`"${v}" (asctime, which means GMT) is a day before ${k.file} was last modified (${k.lastModified}): it has changed since`, `"${v}"（asctime 格式，表示 GMT）比 ${k.file} 的最后修改时间（${k.lastModified}）早一天：在那之后它变了`);
      // asctime has no zone: a day either side keeps the answer the same whatever zone a parser assumes.
      const steps = ctx.rng.shuffle([
        notModified(f, etags[0]!, ims(rfc850Date(at(f))), same(f, rfc850Date(at(f))), HINT_OLD_FORMATS),
        full(f, { conditions: ims(rfc850Date(at(f) - 1000)), etag: etags[0]!, hint: HINT_OLD_FORMATS, why: t(`"${rfc850Date(at(f) - 1000)}" is one second before ${f.file} was last modified (${f.lastModified})`, `"${rfc850Date(at(f) - 1000)}" 比 ${f.file} 的最后修改时间（${f.lastModified}）早一秒`) }),
        notModified(g, etags[1]!, ims(asctimeDate(at(g) + day)), day1(g, asctimeDate(at(g) + day), true), HINT_OLD_FORMATS),
        full(g, { conditions: ims(asctimeDate(at(g) - day)), etag: etags[1]!, hint: HINT_OLD_FORMATS, why: day1(g, asctimeDate(at(g) - day), false) }),
      ]);
      await runCachingSteps(ctx, conn, steps, { mode: 'one-by-one', before: last, hint: HINT_OLD_FORMATS });
    },
  },
  {
    id: '8.8',
    title: t('If-None-Match decides when both conditions are sent', '两个条件都在时由 If-None-Match 决定'),
    points: 2,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const [f, g] = pick(ctx, site, 2) as [Known, Known];
      const conn = await connectOrExplain(ctx);
      const { etags, last } = await learnETags(ctx, conn, [f, g]);
      const [ef, eg] = etags as [string, string];
      const old = imfFixdate(Date.UTC(ctx.rng.int(1995, 2000), ctx.rng.int(0, 11), ctx.rng.int(1, 28)));
      const both = (e: string, d: string): Conditions => (ctx.rng.int(0, 1) ? [['If-None-Match', e], ['If-Modified-Since', d]] : [['If-Modified-Since', d], ['If-None-Match', e]]);
      const other = otherTag(eg, (n) => ctx.rng.int(0, n - 1));
      const steps = ctx.rng.shuffle([
        notModified(f, ef, both(ef, old), t(`If-None-Match carries the current ETag (${ef}); when If-None-Match is present, If-Modified-Since (${old}, before the file's time) is ignored (RFC 9110 §13.2.2)`, `If-None-Match 带的是当前的 ETag（${ef}）；只要有 If-None-Match，If-Modified-Since（${old}，早于文件的修改时间）就被忽略（RFC 9110 §13.2.2）`), HINT_PRECEDENCE),
        full(g, { conditions: both(other, g.lastModified), etag: eg, hint: HINT_PRECEDENCE, why: t(`If-None-Match (${other}) does not match the current ETag (${eg}), and it decides: If-Modified-Since (${g.lastModified}, the file's own time) is ignored when If-None-Match is present (RFC 9110 §13.2.2)`, `If-None-Match（${other}）和当前 ETag（${eg}）不匹配，而且由它决定：有 If-None-Match 时，If-Modified-Since（${g.lastModified}，正是文件的修改时间）被忽略（RFC 9110 §13.2.2）`) }),
        notModified(g, eg, both(weakForm(eg), notDates(ctx, g)[0]!), t(`If-None-Match (${weakForm(eg)}) matches the current ETag; the If-Modified-Since beside it does not matter`, `If-None-Match（${weakForm(eg)}）匹配当前的 ETag；旁边的 If-Modified-Since 无关紧要`), HINT_PRECEDENCE),
      ]);
      await runCachingSteps(ctx, conn, steps, { mode: 'one-by-one', before: last, hint: HINT_PRECEDENCE });
    },
  },
  {
    id: '8.9',
    title: t('HEAD is conditional too: 304 when current, else the 200 head with validators', 'HEAD 也是条件请求：副本有效时 304，否则回带验证器的 200 响应头'),
    points: 1,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const [f, g] = pick(ctx, site, 2) as [Known, Known];
      const conn = await connectOrExplain(ctx);
      const { etags, last } = await learnETags(ctx, conn, [f, g]);
      const [ef, eg] = etags as [string, string];
      const steps = ctx.rng.shuffle([
        notModified(f, ef, [['If-None-Match', ef]], t(`HEAD with If-None-Match: ${ef}, the current ETag of ${f.file}: a HEAD is evaluated like a GET`, `HEAD 带着 If-None-Match: ${ef}，正是 ${f.file} 当前的 ETag：HEAD 的条件判断和 GET 一样`), HINT_HEAD_CONDITIONAL, 'HEAD'),
        notModified(g, eg, [['If-Modified-Since', g.lastModified]], t(`HEAD with If-Modified-Since: ${g.lastModified}, the time ${g.file} was last modified: a HEAD is evaluated like a GET`, `HEAD 带着 If-Modified-Since: ${g.lastModified}，正是 ${g.file} 的最后修改时间：HEAD 的条件判断和 GET 一样`), HINT_HEAD_CONDITIONAL, 'HEAD'),
        full(g, { method: 'HEAD', conditions: [['If-Modified-Since', imfFixdate(wholeSeconds(g.mtimeMs) - 1000)]], etag: eg, hint: HINT_HEAD_CONDITIONAL, why: t(`${g.file} changed one second after that date: the 200 head GET would send, validators included`, `${g.file} 在那个日期之后一秒被修改过：回 GET 会发送的 200 响应头，包括验证器`) }),
        full(f, { method: 'HEAD', conditions: [['If-None-Match', otherTag(ef, (n) => ctx.rng.int(0, n - 1))]], etag: ef, hint: HINT_HEAD_CONDITIONAL, why: t(`the tag does not match ${ef}: the 200 head GET would send, validators included`, `这个标签和 ${ef} 不匹配：回 GET 会发送的 200 响应头，包括验证器`) }),
      ]);
      await runCachingSteps(ctx, conn, steps, { mode: 'one-by-one', before: last, hint: HINT_HEAD_CONDITIONAL });
    },
  },
  {
    id: '8.10',
    title: t('a changed file gets a new ETag and Last-Modified; the old ones no longer match', '文件变了就有新的 ETag 和 Last-Modified；旧的不再匹配'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const f = know(site, ctx.rng.pick(site.files.filter((x) => x.role === 'text' || x.role === 'nested')));
      const abs = path.join(site.root, f.file);
      const conn = await connectOrExplain(ctx);
      const { etags, last } = await learnETags(ctx, conn, [f]);
      const e1 = etags[0]!;
      // Same size, other bytes, a later mtime: what an editor's save looks like. An ETag made of the
      // size alone, or kept from start-up, does not move.
      let bytes: Buffer;
      do bytes = Buffer.from(Array.from({ length: f.body.length }, () => 0x61 + ctx.rng.int(0, 25)));
      while (bytes.equals(f.body));
      const seconds = ctx.rng.int(2, 30 * 86_400);
      const mtime = new Date(wholeSeconds(f.mtimeMs) + seconds * 1000 + ctx.rng.int(1, 999));
      try {
        writeFileSync(abs, bytes);
        utimesSync(abs, mtime, mtime);
        const g = know(site, f, f.url);
        const changed = t(`${f.file} was rewritten after the server sent ETag ${e1} and Last-Modified ${f.lastModified} for it: same size, new bytes, modified ${formatMs(seconds * 1000)} later (at ${g.lastModified})`, `服务器为 ${f.file} 发出 ETag ${e1} 和 Last-Modified ${f.lastModified} 之后，这个文件被重写了：大小不变，内容变了，修改时间晚了 ${formatMs(seconds * 1000)}（${g.lastModified}）`);
        let e2 = '';
        const newTag = (v: { etag: string }, x: Exchange): void => {
          if (v.etag === e1) {
            fail({
              summary: t(`${x.what.en}: the ETag is still ${e1}, but ${changed.en}`, `${x.what.zh}：ETag 还是 ${e1}，可是${changed.zh}`),
              expected: t('a new ETag: the tag names one version of the file, and this is another', '一个新的 ETag：标签代表文件的一个版本，而现在是另一个版本'),
              hint: HINT_CHANGED,
              conn: x.conn,
            });
          }
          e2 = v.etag;
        };
        const first = full(g, { conditions: [['If-None-Match', e1]], hint: HINT_CHANGED, onValidators: newTag, why: t(`${changed.en}; the client's tag is the old one, so it gets the new bytes`, `${changed.zh}；客户端的标签是旧的，所以要给它新的字节`) });
        const xs = await runCachingSteps(ctx, conn, [first], { mode: 'one-by-one', before: last, hint: HINT_CHANGED });
        const rest = [
          full(g, { conditions: [['If-Modified-Since', f.lastModified]], etag: e2, hint: HINT_CHANGED, why: t(`${changed.en}; the client's date is the old Last-Modified, so the file has been modified since`, `${changed.zh}；客户端给的日期是旧的 Last-Modified，所以文件在那之后被修改过`) }),
          notModified(g, e2, [['If-None-Match', e2]], t(`${e2} is the ETag the server sent for the new version a moment ago`, `${e2} 是服务器刚才为新版本发出的 ETag`), HINT_IF_NONE_MATCH),
        ];
        await runCachingSteps(ctx, conn, rest, { mode: 'one-by-one', before: prev(xs[0]!, last.index + 1), hint: HINT_CHANGED });
      } finally {
        // The other checks share this site: put the file back as it was.
        writeFileSync(abs, f.body);
        utimesSync(abs, new Date(f.mtimeMs), new Date(f.mtimeMs));
      }
    },
  },
  {
    id: '8.11',
    title: t('a folder without its trailing slash: 301 to the folder with it, query kept', '不带结尾斜杠的文件夹：301 到带斜杠的地址，查询字符串保留'),
    points: 2,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const dirs = ctx.rng.shuffle(folders(site));
      const [d1, d2] = [dirs[0]!, dirs[1] ?? dirs[0]!];
      const q = query(ctx);
      const index = know(site, site.files.find((f) => f.role === 'dir-index' && f.url === `${d2}/index.html`)!, `${d2}/${q}`);
      const why = (d: string): Text => t(`"${d.slice(1)}" is a folder, and its address ends with a slash`, `"${d.slice(1)}" 是一个文件夹，它的地址以斜杠结尾`);
      const steps = [
        redirect(d1, 301, `${d1}/`, why(d1), HINT_FOLDER),
        redirect(`${d2}${q}`, 301, `${d2}/${q}`, t(`${why(d2).en}; the query comes along`, `${why(d2).zh}；查询字符串要一起带上`), HINT_FOLDER),
        redirect(d1, 301, `${d1}/`, why(d1), HINT_FOLDER, 'HEAD'),
        // Where the redirect leads: the folder's index page.
        full(index, { hint: HINT_FOLDER }),
      ];
      const conn = await connectOrExplain(ctx);
      await runCachingSteps(ctx, conn, steps, { mode: 'one-by-one', hint: HINT_FOLDER, date: true });
    },
  },
  {
    id: '8.12',
    title: t('_redirects: its rules answer 301 or 302 (302 when no code is given), Location as written plus the query', '_redirects：规则回 301 或 302（不写状态码时为 302），Location 照写，再加上查询字符串'),
    points: 2,
    timeoutMs: 6000,
    async run(ctx) {
      const { rules, repeated } = loadRedirects(ctx.root);
      const plain = ctx.rng.shuffle(rules.filter((r) => r.from !== repeated.first.from));
      const why = (r: RedirectRule): Text =>
        r.explicit
          ? t(`line ${r.line} of _redirects says "${r.from} ${r.to} ${r.code}"`, `_redirects 第 ${r.line} 行写的是 "${r.from} ${r.to} ${r.code}"`)
          : t(`line ${r.line} of _redirects says "${r.from} ${r.to}", with no code: a temporary redirect, 302`, `_redirects 第 ${r.line} 行写的是 "${r.from} ${r.to}"，没有状态码：临时重定向，302`);
      const steps = plain.map((r, i) => {
        const q = i % 2 === 1 ? query(ctx) : '';
        const w = why(r);
        return redirect(`${r.from}${q}`, r.code, `${r.to}${q}`, q ? t(`${w.en}; the query comes along`, `${w.zh}；查询字符串要一起带上`) : w, HINT_REDIRECTS_FILE, i === 2 ? 'HEAD' : 'GET');
      });
      const conn = await connectOrExplain(ctx);
      await runCachingSteps(ctx, conn, steps, { mode: 'one-by-one', hint: HINT_REDIRECTS_FILE, date: true });
    },
  },
  {
    id: '8.13',
    title: t('_redirects: comments, malformed lines and unknown codes are skipped; the first rule for a path wins', '_redirects：注释、格式错误的行和未知状态码都被跳过；同一路径以第一条规则为准'),
    points: 2,
    timeoutMs: 6000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const { skipped, repeated } = loadRedirects(ctx.root);
      const WHY: Record<string, Text> = {
        'one-field': t('it has one field, no target', '它只有一个字段，没有目标'),
        'four-fields': t('it has four fields', '它有四个字段'),
        'unknown-code': t('its code is neither 301 nor 302', '它的状态码既不是 301 也不是 302'),
        'not-a-path': t('its "from" does not start with /', '它的 "from" 不以 / 开头'),
        comment: t('it is a comment', '它是注释'),
      };
      const steps = ctx.rng.shuffle(
        skipped.map((s) =>
          missing(site, s.from, {
            hint: HINT_REDIRECTS_FILE,
            why: t(`404 Not Found: the only line of _redirects about ${s.from} is line ${s.line}, ${JSON.stringify(s.text)}, which is not a rule — ${WHY[s.why]!.en} — so it is skipped, and there is no such file`, `404 Not Found：_redirects 里关于 ${s.from} 的只有第 ${s.line} 行 ${JSON.stringify(s.text)}，它不是一条规则——${WHY[s.why]!.zh}——所以被跳过，而且也没有这个文件`),
          }),
        ),
      );
      const { first, second } = repeated;
      steps.splice(
        ctx.rng.int(0, steps.length),
        0,
        redirect(first.from, first.code, first.to, t(`lines ${first.line} and ${second.line} of _redirects both name ${first.from}; the first rule wins ("${first.from} ${first.to} ${first.code}")`, `_redirects 第 ${first.line} 行和第 ${second.line} 行都是 ${first.from} 的规则；以第一条为准（"${first.from} ${first.to} ${first.code}"）`), HINT_REDIRECTS_FILE),
      );
      const conn = await connectOrExplain(ctx);
      await runCachingSteps(ctx, conn, steps, { mode: 'one-by-one', hint: HINT_REDIRECTS_FILE });
    },
  },
  {
    id: '8.14',
    title: t('keep-alive across 301, 302 and 304: pipelined, every response in order', '301、302、304 之间保持连接：管线化，每个响应按顺序到达'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const files = pick(ctx, site, 4);
      const [a, b, c, d] = files as [Known, Known, Known, Known];
      const conn = await connectOrExplain(ctx);
      const { etags, last } = await learnETags(ctx, conn, [a, c]);
      const [ea, ec] = etags as [string, string];
      const dir = ctx.rng.pick(folders(site));
      const rule = ctx.rng.pick(loadRedirects(ctx.root).rules);
      const q = query(ctx);
      // A 304 between two 200s, a 301 and a 302 among them, a HEAD 304, and a 404: in one write.
      const steps: CachingStep[] = [
        full(b),
        notModified(a, ea, [['If-None-Match', ea]], t(`If-None-Match carries the current ETag of ${a.file}`, `If-None-Match 带的是 ${a.file} 当前的 ETag`), HINT_NOT_MODIFIED),
        full(d),
        redirect(`${dir}${q}`, 301, `${dir}/${q}`, t(`"${dir.slice(1)}" is a folder`, `"${dir.slice(1)}" 是一个文件夹`), HINT_REDIRECT),
        notModified(c, ec, [['If-Modified-Since', c.lastModified]], t(`If-Modified-Since is the time ${c.file} was last modified`, `If-Modified-Since 正是 ${c.file} 的最后修改时间`), HINT_NOT_MODIFIED, 'HEAD'),
        full(c, { etag: ec }),
        redirect(rule.from, rule.code, rule.to, t(`line ${rule.line} of _redirects`, `_redirects 第 ${rule.line} 行`), HINT_REDIRECT),
        missing(site, site.missing[ctx.rng.int(0, 2)]!, { conditions: [['If-None-Match', '*']], why: t('there is no such file: If-None-Match: * matches only a file that exists, so the answer is the plain 404', '没有这个文件：If-None-Match: * 只匹配存在的文件，所以回应就是普通的 404') }),
        notModified(a, ea, [['If-None-Match', weakForm(ea)]], t(`If-None-Match carries the current ETag of ${a.file} (weakly)`, `If-None-Match 带的是 ${a.file} 当前的 ETag（弱比较）`), HINT_NOT_MODIFIED),
      ];
      await runCachingSteps(ctx, conn, steps, {
        mode: 'pipelined',
        before: last,
        hint: HINT_NOT_MODIFIED,
        date: true,
        context: t(`the ${steps.length} requests were sent in one write`, `这 ${steps.length} 个请求是一次写入发送的`),
      });
    },
  },
  {
    id: '8.15',
    title: t('hostile neighbours: a client that stops reading (then reads slowly), one that pauses mid-head; conditional requests still answered at once', '不友好的邻居：一个客户端停止读取（之后读得很慢），一个在请求头中途停顿；条件请求照样立即得到回应'),
    points: 2,
    timeoutMs: 12_000,
    background: true,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const large = know(site, site.files.find((f) => f.role === 'large')!);
      const [f, g] = pick(ctx, site, 2) as [Known, Known];
      const pauseMs = 1200;

      // Client 1 asks for the large file six times over (7–10 MB) and stops reading: more than the
      // kernel's buffers hold (about 4 MB on Linux loopback), so the server's writes to it back up.
      const stalled = await connectOrExplain(ctx, 'client 1 (stops reading)');
      const gets = Array.from({ length: 6 }, () => full(large));
      await stalled.send(Buffer.concat(gets.map((s) => s.request)));
      const silent = stopReading(stalled);
      stalled.note(t('client 1 stopped reading', '客户端 1 停止读取'));
      await ctx.sleep(100);

      const neighbours = t(
        'One client that does not read, or pauses, must not hold up the others: write to each socket and await its "drain" inside that connection\'s own chain, never in something all connections share; and give a head that is still arriving a few seconds at least: a pause of a second is normal.',
        '一个不读数据或者停顿的客户端不能拖住其他客户端：对每个 socket 的写入和对它 "drain" 的等待都要放在这个连接自己的链里，绝不能放在所有连接共用的东西里；还在到达中的请求头至少要等上几秒：停顿一秒很正常。',
      );

      // Client 2: conditional requests one after another, each answered within 2 s.
      const prompt = async (): Promise<void> => {
        const conn = await connectOrExplain(ctx, 'client 2 (conditional requests, while client 1 reads nothing)');
        const because = t(`client 1 had stopped reading its six downloads of ${large.body.length} bytes`, `客户端 1 已经停止读取它那六份各 ${large.body.length} 字节的下载`);
        try {
          const { etags, last } = await learnETags(ctx, conn, [f], { hint: neighbours });
          const e = etags[0]!;
          const steps = [
            notModified(f, e, [['If-None-Match', e]], t('If-None-Match carries the current ETag', 'If-None-Match 带的是当前的 ETag'), HINT_NOT_MODIFIED),
            notModified(f, e, [['If-Modified-Since', f.lastModified]], t("If-Modified-Since is the file's own time", 'If-Modified-Since 正是文件的修改时间'), HINT_NOT_MODIFIED, 'HEAD'),
            full(f, { conditions: [['If-Modified-Since', imfFixdate(wholeSeconds(f.mtimeMs) - 1000)]], etag: e }),
          ];
          await runCachingSteps(ctx, conn, steps, { mode: 'one-by-one', before: last, hint: neighbours });
        } catch (err) {
          if (!(err instanceof CheckFailure)) throw err;
          const init = err.init;
          fail({ ...init, summary: t(`while ${because.en}: ${init.summary.en}`, `在${because.zh}的时候：${init.summary.zh}`) });
        }
      };

      // Client 3: a conditional request whose head stops for 1.2 s in the middle of If-None-Match.
      const paused = async (): Promise<void> => {
        const conn = await connectOrExplain(ctx, 'client 3 (pauses inside a head)');
        const { etags, last } = await learnETags(ctx, conn, [g], { hint: neighbours });
        const e = etags[0]!;
        const s = notModified(g, e, [['If-None-Match', e]], t(`If-None-Match carries the current ETag; the head came in two parts, ${formatMs(pauseMs)} apart`, `If-None-Match 带的是当前的 ETag；请求头分两段到达，中间隔了 ${formatMs(pauseMs)}`), t('Until the empty line arrives, the head is not complete: keep the bytes and wait — a pause of a second is normal on a real network.', '在空行到达之前，请求头还不完整：保留已收到的字节，继续等待——在真实网络上停顿一秒很正常。'));
        const cut = s.request.indexOf(e) + Math.max(1, Math.floor(e.length / 2));
        const reproduce = reproduceInParts([s.request.subarray(0, cut), s.request.subarray(cut)], pauseMs);
        conn.note(t(`client 3 sends ${cut} bytes of the head, then pauses ${formatMs(pauseMs)}`, `客户端 3 发送请求头的 ${cut} 字节，然后停顿 ${formatMs(pauseMs)}`));
        await conn.send(s.request.subarray(0, cut));
        await ctx.sleep(pauseMs);
        if (conn.closed || conn.buffered > 0) {
          const got = conn.peek();
          fail({
            kind: got.length > 0 ? 'wrong' : conn.closed === 'reset' ? 'reset' : 'closed-early',
            summary: t(
              `${s.name}: after ${cut} of the head's ${s.request.length} bytes (in the middle of If-None-Match) the client paused for ${formatMs(pauseMs)}, and meanwhile the server ${got.length > 0 ? `answered: ${escapeBytes(got, 40)}` : conn.closed === 'reset' ? 'reset the connection' : 'closed the connection'}`,
              `${s.name}：请求头共 ${s.request.length} 字节，发到第 ${cut} 字节（If-None-Match 中间）时客户端停顿了 ${formatMs(pauseMs)}，服务器就在这期间${got.length > 0 ? `作出了回应：${escapeBytes(got, 40)}` : conn.closed === 'reset' ? '重置了连接' : '关闭了连接'}`,
            ),
            expected: t('the server waits for the rest of the head (a pause of a second or so is normal on a real network), then answers 304', '服务器等待请求头的剩余部分（在真实网络上停顿一秒左右很正常），然后回应 304'),
            hint: neighbours,
            conn,
            reproduce,
          });
        }
        await conn.send(s.request.subarray(cut));
        await runCachingSteps(ctx, conn, [s], { mode: 'pipelined', alreadySent: true, before: last, reproduce, hint: neighbours });
      };

      await firstFailureInOrder([prompt(), paused()]);

      // Client 1 reads again, slowly — a chunk, a pause, a chunk: the six copies, intact, with their
      // validators. A server that lost track of a partial write, or wrote past backpressure, shows it.
      const pauseEach = 3;
      silent.resume();
      const slow = readSlowly(stalled, pauseEach);
      stalled.note(t(`client 1 reads again, slowly: one chunk, then ${pauseEach} ms of nothing, again and again`, `客户端 1 恢复读取，但读得很慢：读一块，停 ${pauseEach} 毫秒，如此反复`));
      try {
        await runCachingSteps(ctx, stalled, gets, {
          mode: 'pipelined',
          alreadySent: true,
          timeoutMs: 10_000,
          hint: t(
            'A slow reader gets every byte in the end: when socket.write() returns false, wait for "drain" before writing more, and never give up on a response half-way (nor end the socket before the last write is out).',
            '读得慢的客户端最终也要收到每一个字节：socket.write() 返回 false 时，先等 "drain" 再继续写，绝不能把响应写到一半就放弃（也不能在最后一次写入完成之前结束 socket）。',
          ),
          context: t(`the 6 requests were sent in one write; the client read nothing for a while, then slowly`, `这 6 个请求是一次写入发送的；客户端有一阵子什么都没读，之后读得很慢`),
        });
      } finally {
        await slow.stop();
      }
    },
  },
];

/** Hints for `npm run hint 8`, gentlest first: each gives a little more away. */
const hints: Text[] = [
  t(
    'Watch a real client: curl -v -I http://127.0.0.1:9000/style.css shows the headers. Copy the ETag it prints and ask again with curl -v -H \'If-None-Match: "…"\' — a caching server answers 304 Not Modified with no body.',
    '观察真实的客户端：curl -v -I http://127.0.0.1:9000/style.css 会显示响应头。复制它打印出的 ETag，再用 curl -v -H \'If-None-Match: "…"\' 请求一次——支持缓存的服务器会回 304 Not Modified，不带正文。',
  ),
  t(
    'Start with the headers: Date on every response (new Date().toUTCString(), where you write every head), and on every 200 for a file Last-Modified (new Date(stat.mtimeMs).toUTCString()) and ETag (a quoted tag made of size and mtime: `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`).',
    '先把头部加上：每个响应都带 Date（在写所有响应头的地方加 new Date().toUTCString()）；每个文件的 200 响应都带 Last-Modified（new Date(stat.mtimeMs).toUTCString()）和 ETag（由大小和修改时间组成、带引号的标签：`"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`）。',
  ),
  t(
    'Then the 304: if If-None-Match is present, it decides — "*" or any listed tag equal to your ETag once a W/ prefix is dropped means 304. Otherwise, if If-Modified-Since parses (Date.parse is not NaN) and Math.floor(stat.mtimeMs / 1000) * 1000 <= that date, 304. A 304 is a head only: status line, Date, ETag, empty line. HEAD goes through the same test.',
    '然后是 304：如果有 If-None-Match，就由它决定——是 "*"，或者列表里有某个标签去掉 W/ 前缀后等于你的 ETag，就回 304。否则，如果 If-Modified-Since 能解析（Date.parse 不是 NaN），并且 Math.floor(stat.mtimeMs / 1000) * 1000 <= 这个日期，也回 304。304 只有响应头：状态行、Date、ETag、空行。HEAD 也走同样的判断。',
  ),
  t(
    'Dates: anything Date.parse cannot read is ignored (200, never 400). The asctime format ("Sun Nov  6 08:49:37 1994") has no zone — add " GMT" before Date.parse, or it is read as local time. Cut the file\'s mtime to whole seconds before comparing: Last-Modified had no milliseconds, so the date the client sends back has none either.',
    '日期：Date.parse 读不了的一律忽略（回 200，绝不回 400）。asctime 格式（"Sun Nov  6 08:49:37 1994"）没有时区——先加上 " GMT" 再交给 Date.parse，否则会被当成本地时间。比较之前把文件的修改时间截断到整秒：Last-Modified 里没有毫秒，客户端送回来的日期也就没有毫秒。',
  ),
  t(
    'Folders: when the path names a folder and does not end in "/", answer 301 with Location: the path + "/" + the query as it came ("?x=1"). _redirects: read it when the server starts; for each line, trim it, skip empty lines and "#" comments, split on whitespace; keep it only with 2 or 3 fields, a "from" starting with "/", and a code of exactly 301 or 302 (none: 302); the first rule for a path wins.',
    '文件夹：路径指向文件夹而且不以 "/" 结尾时，回 301，Location 是路径 + "/" + 原样的查询字符串（"?x=1"）。_redirects：服务器启动时读取；每一行先去掉首尾空白，跳过空行和 "#" 注释，按空白分割；只有 2 或 3 个字段、"from" 以 "/" 开头、状态码正好是 301 或 302（省略则为 302）的行才保留；同一路径以第一条规则为准。',
  ),
  t(
    'Order inside respond(): method (405) → _redirects rule for the path (301/302) → the file: a folder without "/" (301), a folder with "/" (its index.html), missing (404) → stat → conditions (304) → 200 with Date, Last-Modified, ETag, Content-Length. Every response, redirects and 304s included, goes through the same head writer (Date) and the same keep-alive machinery as in stage 6.',
    'respond() 里的顺序：方法（405）→ 路径对应的 _redirects 规则（301/302）→ 文件：不带 "/" 的文件夹（301）、带 "/" 的文件夹（它的 index.html）、不存在（404）→ stat → 条件判断（304）→ 带 Date、Last-Modified、ETag、Content-Length 的 200。每个响应，包括重定向和 304，都经过同一个写响应头的函数（Date）和第 6 阶段那套保持连接的机制。',
  ),
];

export default defineStage(import.meta.url, {
  title: t('Redirects and caching: 301, 302, 304', '重定向与缓存：301、302、304'),
  checks,
  hints,
  site: { features: ['media-types', 'binary', 'large', 'unknown-type', 'folder-index', 'nested', 'spaced', 'unicode', 'redirects', 'dated'] },
});
