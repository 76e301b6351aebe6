/**
 * Validators, conditional requests and redirects from the client's side. A cache keeps a response
 * with its validators — `Last-Modified` (a date) and `ETag` (an opaque tag) — and asks again with
 * `If-Modified-Since` / `If-None-Match`; a `304 Not Modified` then stands for the response it has.
 * Here: HTTP dates (the one format a server sends, the three it must read — RFC 9110 §5.6.7), entity
 * tags and the weak comparison If-None-Match uses (§8.8.3.2), the answer a conditional GET must get
 * (§13.2.2), the checks every response of such a server must pass (Date, Last-Modified, ETag,
 * Location), and a runner over the exact reader of persistent connections (http-persistent.ts) that
 * says so when a 304 or a HEAD answer drags a body behind it.
 */
import { fail } from '../failure.ts';
import { same, t, type Text } from '../i18n.ts';
import type { CheckContext } from '../types.ts';
import { type Conn, WireError, formatMs } from '../wire/conn.ts';
import { escapeBytes } from '../wire/escape.ts';
import { buildRequest, type RequestInit } from '../wire/http.ts';
import type { Exchange } from './http.ts';
import { expectAnswer, readExact, reproduceConn, sendWrites, whatFor, withReproduce, type Expectation, type Previous, type Step } from './http-persistent.ts';

// ─── HTTP dates ──────────────────────────────────────────────────────────────────────────────────

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');
const clock = (d: Date): string => `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;

/** The time as HTTP writes it (IMF-fixdate): "Sun, 06 Nov 1994 08:49:37 GMT". */
export const imfFixdate = (ms: number): string => new Date(ms).toUTCString();

/** The obsolete RFC 850 format: "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit year). */
export function rfc850Date(ms: number): string {
  const d = new Date(ms);
  return `${LONG_DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${two(d.getUTCFullYear() % 100)} ${clock(d)} GMT`;
}

/** The obsolete asctime() format: "Sun Nov  6 08:49:37 1994" (no zone: it means GMT). */
export function asctimeDate(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${clock(d)} ${d.getUTCFullYear()}`;
}

/** HTTP dates have a resolution of one second: a file time as Last-Modified can say it. */
export const wholeSeconds = (ms: number): number => Math.floor(ms / 1000) * 1000;

/** An IMF-fixdate, strictly (the only format a server may send), or undefined. */
export function parseImfFixdate(v: string): number | undefined {
  const m = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d\d):(\d\d):(\d\d) GMT$/.exec(v);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[4]), MONTHS.indexOf(m[3]!), Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]));
  // "31 Feb", "25:00:00" and a wrong day of the week do not survive the round trip.
  return imfFixdate(ms) === v ? ms : undefined;
}

/** What a date a server sent looks like, when it is not an IMF-fixdate: the usual suspects by name. */
function dateFormatProblem(v: string): Text {
  if (/^\d{4}-\d\d-\d\dT/.test(v)) return t('that is ISO 8601 (what toISOString() gives), not the HTTP date format', '这是 ISO 8601 格式（toISOString() 的结果），不是 HTTP 日期格式');
  if (/GMT[+-]\d{4}/.test(v)) return t('that is what Date.toString() gives: local time with a zone name, not the HTTP date format', '这是 Date.toString() 的结果：带时区名称的本地时间，不是 HTTP 日期格式');
  if (/\d{1,2}\/\d{1,2}\/\d{2,4}|上午|下午|AM|PM/.test(v)) return t('that is a locale format (toLocaleString()), not the HTTP date format', '这是本地化格式（toLocaleString() 的结果），不是 HTTP 日期格式');
  if (/^\d+(\.\d+)?$/.test(v)) return t('that is a number (milliseconds or seconds), not a date', '这是一个数字（毫秒数或秒数），不是日期');
  if (/UTC$/.test(v) || /GMT$/.test(v)) return t('it is close, but not exactly the IMF-fixdate layout: "Sun, 06 Nov 1994 08:49:37 GMT" (two-digit day, English names, GMT)', '很接近，但不完全符合 IMF-fixdate 的格式："Sun, 06 Nov 1994 08:49:37 GMT"（日期两位数、英文名称、GMT）');
  return t('that is not in the HTTP date format', '这不是 HTTP 日期格式');
}

// ─── Entity tags ─────────────────────────────────────────────────────────────────────────────────

/** entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (RFC 9110 §8.8.3). */
export const isEntityTag = (v: string): boolean => /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/.test(v);

/** Weak comparison (§8.8.3.2): the opaque tags match, whether either is weak or not. */
export const weaklyEqual = (a: string, b: string): boolean => a.replace(/^W\//, '') === b.replace(/^W\//, '');

/** The tag as a client that keeps only a weak validator would send it back. */
export const weakForm = (tag: string): string => (tag.startsWith('W/') ? tag : `W/${tag}`);

/** A tag of the same shape that is not `tag`: one character inside the quotes changed. */
export function otherTag(tag: string, pick: (n: number) => number): string {
  const start = tag.indexOf('"') + 1;
  const inner = tag.slice(start, -1);
  if (inner.length === 0) return `${tag.slice(0, start)}x"`;
  const i = pick(inner.length);
  const c = inner[i] === 'z' ? 'y' : inner[i] === '0' ? '1' : /[0-9]/.test(inner[i]!) ? '0' : 'z';
  return `${tag.slice(0, start)}${inner.slice(0, i)}${c}${inner.slice(i + 1)}"`;
}

// ─── What a conditional GET must get (RFC 9110 §13.2.2) ─────────────────────────────────────────

/**
 * 304 or 200 for a GET or HEAD of an existing file: If-None-Match decides when present ("*" or any
 * tag weakly equal to the current one); otherwise If-Modified-Since, when it is a valid HTTP date
 * (any of the three formats), at or after the file's time in whole seconds. `parse` reads a date the
 * way the caller knows it (the checks only send dates whose meaning is not in doubt).
 */
export function conditionalStatus(o: { ifNoneMatch?: string; ifModifiedSince?: string; etag: string; mtimeMs: number; parse: (v: string) => number | undefined }): 200 | 304 {
  if (o.ifNoneMatch !== undefined) {
    if (o.ifNoneMatch.trim() === '*') return 304;
    const tags = o.ifNoneMatch.match(/(W\/)?"[^"]*"/g) ?? [];
    return tags.some((tag) => weaklyEqual(tag, o.etag)) ? 304 : 200;
  }
  if (o.ifModifiedSince === undefined) return 200;
  const since = o.parse(o.ifModifiedSince);
  return since !== undefined && wholeSeconds(o.mtimeMs) <= since ? 304 : 200;
}

// ─── Hints ───────────────────────────────────────────────────────────────────────────────────────

export const HINT_DATE = t(
  'Every response carries Date: the moment it was sent, in the HTTP date format — new Date().toUTCString() gives exactly that ("Sun, 06 Nov 1994 08:49:37 GMT"). Add it where you write every head, so 404s, 400s, redirects and 304s get it too.',
  '每个响应都要带 Date：发送它的时刻，用 HTTP 日期格式——new Date().toUTCString() 正好给出这种格式（"Sun, 06 Nov 1994 08:49:37 GMT"）。在你写所有响应头的那个地方加上它，这样 404、400、重定向和 304 也都有了。',
);

export const HINT_VALIDATORS = t(
  'A 200 for a file carries two validators: Last-Modified — the file\'s mtime from fs.stat(), as new Date(stat.mtimeMs).toUTCString() — and ETag, a quoted tag that changes whenever the file does, e.g. `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`. Take both from the stat of the file you are about to send.',
  '文件的 200 响应要带两个验证器：Last-Modified——fs.stat() 得到的文件修改时间，写成 new Date(stat.mtimeMs).toUTCString()——和 ETag，一个带引号、文件一变它就变的标签，例如 `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`。两者都取自你将要发送的那个文件的 stat。',
);

export const HINT_NOT_MODIFIED = t(
  'A 304 Not Modified is a head and nothing else: the status line, Date, the ETag (and Last-Modified if you like), the empty line. No body — not even the file\'s bytes "for good measure": on a kept-alive connection they would be read as the next response.',
  '304 Not Modified 只有响应头：状态行、Date、ETag（愿意的话再加 Last-Modified）、空行。没有正文——文件的字节一个都不能"顺便"发：在保持打开的连接上，它们会被当成下一个响应来读。',
);

export const HINT_IF_NONE_MATCH = t(
  'If-None-Match holds "*" or a list of entity tags, separated by commas, each in double quotes, perhaps with W/ in front. Compare each with your current ETag, ignoring a W/ prefix on either side (the weak comparison RFC 9110 asks for): any match, or "*", means 304.',
  'If-None-Match 的值是 "*"，或者一组用逗号分隔的实体标签，每个都带双引号，前面可能还有 W/。把每一个和你当前的 ETag 比较，两边的 W/ 前缀都忽略（RFC 9110 要求的弱比较）：有一个相同，或者是 "*"，就回 304。',
);

export const HINT_IF_MODIFIED_SINCE = t(
  'If-Modified-Since: parse the date (Date.parse(value); NaN means it is not a date — then ignore the header and answer 200). The file counts as unchanged when its mtime, cut down to whole seconds, is at or before that date: Math.floor(stat.mtimeMs / 1000) * 1000 <= since. Cut the milliseconds: Last-Modified could not carry them, so the date the client sends back never has them.',
  'If-Modified-Since：解析这个日期（Date.parse(value)；得到 NaN 就说明它不是日期——那就忽略这个头部，回 200）。如果文件的修改时间截断到整秒后不晚于这个日期，就算没有变：`Math.floor(stat.mtimeMs / 1000) * 1000 <= since`。一定要去掉毫秒：Last-Modified 表示不了毫秒，所以客户端送回来的日期也从来不带毫秒。',
);

export const HINT_REDIRECT = t(
  'A redirect is a status (301 or 302), a Location header with where to go, and — like every response on a kept-alive connection — a Content-Length for its body (0 or a short note). The client requests the Location next.',
  '重定向就是一个状态码（301 或 302）、一个写明去处的 Location 头部，外加——和保持打开的连接上的所有响应一样——正文的 Content-Length（可以是 0，也可以是一小段说明）。客户端接下来会去请求 Location 指向的地址。',
);

// ─── Checks on one response ──────────────────────────────────────────────────────────────────────

/** Where a header belongs in the head, for a caret. */
const endOfHead = (x: Exchange): number => Math.max(0, x.res.head.length - 2);
const fieldOffset = (x: Exchange, name: string): number => x.res.fields.find((f) => f.name.toLowerCase() === name)?.valueOffset ?? endOfHead(x);

/** The exchange carries a Date that is an IMF-fixdate and says when it was sent (give or take 2 s). */
export function expectDate(x: Exchange, sentAt: number, readAt: number, hint: Text = HINT_DATE): void {
  const v = x.res.header('date');
  if (v === undefined) {
    fail({
      summary: t(`${x.what.en}: there is no Date header`, `${x.what.zh}：没有 Date 头部`),
      expected: t('Date: the time the response was sent, e.g. Date: ' + imfFixdate(readAt) + ' — on every response (RFC 9110 §6.6.1: an origin server with a clock must send it)', 'Date：响应发出的时间，例如 Date: ' + imfFixdate(readAt) + '——每个响应都要有（RFC 9110 §6.6.1：有时钟的源服务器必须发送它）'),
      caret: { data: x.res.head, offset: endOfHead(x), note: t('Date belongs among these headers', 'Date 应该出现在这些头部之中') },
      hint,
      conn: x.conn,
    });
  }
  const at = parseImfFixdate(v);
  if (at === undefined) {
    const why = dateFormatProblem(v);
    fail({
      summary: t(`${x.what.en}: Date is "${v}" — ${why.en}`, `${x.what.zh}：Date 是 "${v}"——${why.zh}`),
      expected: t(`an IMF-fixdate in GMT, e.g. Date: ${imfFixdate(readAt)}`, `GMT 时间的 IMF-fixdate，例如 Date: ${imfFixdate(readAt)}`),
      caret: { data: x.res.head, offset: fieldOffset(x, 'date'), note: t('the layout is: Day, DD Mon YYYY HH:MM:SS GMT', '格式是：Day, DD Mon YYYY HH:MM:SS GMT（英文的星期和月份，GMT）') },
      hint,
      conn: x.conn,
    });
  }
  // The Date names the second the response was made in: between our request and our reading it.
  const slack = 2000;
  if (at < wholeSeconds(sentAt) - slack || at > readAt + slack) {
    const off = at - readAt;
    const hours = Math.round(off / 3_600_000);
    const local = hours !== 0 && Math.abs(off - hours * 3_600_000) < 5000;
    fail({
      summary: t(
        `${x.what.en}: Date is ${v}, but the response was sent at ${imfFixdate(readAt)} — ${formatMs(Math.abs(off))} ${off < 0 ? 'earlier' : 'later'}${local ? `: ${Math.abs(hours)} hours off, which is local time labelled GMT` : ''}`,
        `${x.what.zh}：Date 是 ${v}，可响应是在 ${imfFixdate(readAt)} 发出的——${off < 0 ? '早了' : '晚了'} ${formatMs(Math.abs(off))}${local ? `：正好差 ${Math.abs(hours)} 小时，这是把本地时间标成了 GMT` : ''}`,
      ),
      expected: t('Date: the moment the response is sent, in GMT (new Date().toUTCString() when you write the head)', 'Date：响应发出的那一刻，用 GMT 表示（写响应头时调用 new Date().toUTCString()）'),
      caret: { data: x.res.head, offset: fieldOffset(x, 'date'), note: t('the current time, in GMT', '当前时间，GMT'), },
      hint,
      conn: x.conn,
    });
  }
}

/** Last-Modified is the file's mtime in whole seconds, as an IMF-fixdate; returns the value. */
export function expectLastModified(x: Exchange, mtimeMs: number, file: string, hint: Text = HINT_VALIDATORS): string {
  const want = imfFixdate(wholeSeconds(mtimeMs));
  const v = x.res.header('last-modified');
  if (v === undefined) {
    fail({
      summary: t(`${x.what.en}: there is no Last-Modified header`, `${x.what.zh}：没有 Last-Modified 头部`),
      expected: t(`Last-Modified: ${want} — the time ${file} was last changed (its mtime)`, `Last-Modified: ${want}——${file} 最后一次修改的时间（它的 mtime）`),
      caret: { data: x.res.head, offset: endOfHead(x), note: t('Last-Modified belongs among these headers', 'Last-Modified 应该出现在这些头部之中') },
      hint,
      conn: x.conn,
    });
  }
  const at = parseImfFixdate(v);
  if (at === undefined) {
    const why = dateFormatProblem(v);
    fail({
      summary: t(`${x.what.en}: Last-Modified is "${v}" — ${why.en}`, `${x.what.zh}：Last-Modified 是 "${v}"——${why.zh}`),
      expected: t(`Last-Modified: ${want}`, `Last-Modified: ${want}`),
      caret: { data: x.res.head, offset: fieldOffset(x, 'last-modified'), note: t('the layout is: Day, DD Mon YYYY HH:MM:SS GMT', '格式是：Day, DD Mon YYYY HH:MM:SS GMT（英文的星期和月份，GMT）') },
      hint,
      conn: x.conn,
    });
  }
  if (at !== wholeSeconds(mtimeMs)) {
    const off = at - wholeSeconds(mtimeMs);
    const hours = Math.round(off / 3_600_000);
    const why =
      Math.abs(at - Date.now()) < 60_000
        ? t('that is about now: the time of the response, not of the file', '这差不多就是现在：是响应的时间，而不是文件的时间')
        : hours !== 0 && off === hours * 3_600_000
          ? t(`exactly ${Math.abs(hours)} hours off: local time labelled GMT`, `正好差 ${Math.abs(hours)} 小时：把本地时间标成了 GMT`)
          : off === 1000
            ? t('one second late: the milliseconds were rounded up — cut them off instead', '晚了一秒：毫秒被向上取整了——应该直接截掉')
            : t(`${formatMs(Math.abs(off))} ${off < 0 ? 'before' : 'after'} the file's mtime`, `比文件的 mtime ${off < 0 ? '早' : '晚'} ${formatMs(Math.abs(off))}`);
    fail({
      summary: t(`${x.what.en}: Last-Modified is ${v}, but ${file} was last modified at ${want} — ${why.en}`, `${x.what.zh}：Last-Modified 是 ${v}，但 ${file} 最后一次修改是在 ${want}——${why.zh}`),
      expected: t(`Last-Modified: ${want} (the file's mtime from fs.stat, in GMT, whole seconds)`, `Last-Modified: ${want}（fs.stat 得到的文件修改时间，GMT，整秒）`),
      caret: { data: x.res.head, offset: fieldOffset(x, 'last-modified'), note: t(`the mtime of ${file}: ${want}`, `${file} 的修改时间：${want}`) },
      hint,
      conn: x.conn,
    });
  }
  return v;
}

/** An ETag that is a valid entity tag; returns it. */
export function expectETag(x: Exchange, file: string, hint: Text = HINT_VALIDATORS): string {
  const v = x.res.header('etag');
  if (v === undefined) {
    fail({
      summary: t(`${x.what.en}: there is no ETag header`, `${x.what.zh}：没有 ETag 头部`),
      expected: t(`ETag: "…" — a tag for this version of ${file}, which changes whenever the file changes`, `ETag: "…"——${file} 当前版本的标签，文件一变它就要变`),
      caret: { data: x.res.head, offset: endOfHead(x), note: t('ETag belongs among these headers', 'ETag 应该出现在这些头部之中') },
      hint,
      conn: x.conn,
    });
  }
  if (!isEntityTag(v)) {
    fail({
      summary: t(`${x.what.en}: ETag is ${v}, which is not an entity tag: ${/^W?\/?"/.test(v) ? 'the closing quote is missing, or a character in it is not allowed (no spaces, no quotes inside)' : 'the double quotes are part of the value'}`, `${x.what.zh}：ETag 是 ${v}，这不是合法的实体标签：${/^W?\/?"/.test(v) ? '缺少结尾的引号，或者里面有不允许的字符（不能有空格，里面不能再有引号）' : '双引号是值的一部分'}`),
      expected: t(`ETag: "${v.replace(/^W\//, '').replace(/"/g, '').replace(/[^\x21\x23-\x7e]/g, '') || 'abc-123'}" — in double quotes (W/ in front for a weak tag)`, `ETag: "${v.replace(/^W\//, '').replace(/"/g, '').replace(/[^\x21\x23-\x7e]/g, '') || 'abc-123'}"——放在双引号里（弱标签前面加 W/）`),
      caret: { data: x.res.head, offset: fieldOffset(x, 'etag'), note: t('an entity tag is a quoted string: "…"', '实体标签是一个带引号的字符串："…"') },
      hint,
      conn: x.conn,
    });
  }
  return v;
}

/** The validators of a 200 (or of a 200 to HEAD) for `file`, checked; returns them. */
export function expectValidators(x: Exchange, f: { file: string; mtimeMs: number }, hint?: Text): { etag: string; lastModified: string } {
  const lastModified = expectLastModified(x, f.mtimeMs, f.file, hint);
  return { etag: expectETag(x, f.file, hint), lastModified };
}

/** The response carries `etag` again (a 304, a HEAD, a second GET of an unchanged file). */
export function expectSameETag(x: Exchange, etag: string, why: Text, hint: Text): void {
  const v = x.res.header('etag');
  if (v !== undefined && v === etag) return;
  fail({
    summary:
      v === undefined
        ? t(`${x.what.en}: there is no ETag header, but ${why.en}`, `${x.what.zh}：没有 ETag 头部，但是${why.zh}`)
        : t(`${x.what.en}: ETag is ${v}, but ${why.en}`, `${x.what.zh}：ETag 是 ${v}，但是${why.zh}`),
    expected: same(`ETag: ${etag}`),
    caret: { data: x.res.head, offset: fieldOffset(x, 'etag'), note: same(`ETag: ${etag}`) },
    hint,
    conn: x.conn,
  });
}

/** Location says where to go: `want` exactly, or an absolute URL on this server with that path and query. */
export function expectLocation(x: Exchange, want: string, why: Text, hint: Text): void {
  const v = x.res.header('location');
  // A path-absolute target may come back as an absolute URL (http://127.0.0.1:PORT/dir/): same place.
  const samePlace = (got: string): boolean => got === want || (want.startsWith('/') && /^https?:\/\/[^/?#]+(\/|$)/i.test(got) && got.replace(/^https?:\/\/[^/?#]+/i, '') === want);
  if (v !== undefined && samePlace(v)) return;
  const query = want.indexOf('?') >= 0 ? want.slice(want.indexOf('?')) : '';
  const dropped = v !== undefined && query !== '' && samePlace(v + query);
  fail({
    summary:
      v === undefined
        ? t(`${x.what.en}: the status is ${x.res.status}, but there is no Location header — the client has nowhere to go`, `${x.what.zh}：状态码是 ${x.res.status}，却没有 Location 头部——客户端不知道该去哪里`)
        : t(
            `${x.what.en}: Location is ${v}${dropped ? ` — the query (${query}) was dropped` : ''}`,
            `${x.what.zh}：Location 是 ${v}${dropped ? `——查询字符串（${query}）丢了` : ''}`,
          ),
    expected: t(`Location: ${want} (${why.en})`, `应该是 Location: ${want}（${why.zh}）`),
    caret: { data: x.res.head, offset: fieldOffset(x, 'location'), note: same(`Location: ${want}`) },
    hint: dropped
      ? t(
          `Keep the query: everything from "?" on in the request-target goes onto the end of Location unchanged (${query}). The client asked for that query; the page it lands on needs it too.`,
          `保留查询字符串：请求目标里从 "?" 开始的部分原样接在 Location 后面（${query}）。客户端请求时带着这个查询，它最终到达的页面也需要它。`,
        )
      : hint,
    conn: x.conn,
  });
}

// ─── Running requests on one connection ──────────────────────────────────────────────────────────

/** A request, what its response must be, and what else to check of it. */
export interface CachingStep extends Step {
  /** Why this status, for the "expected" line when another comes back. */
  why?: Text;
  /** The hint for a wrong status. */
  hint?: Text;
  /** Further checks of the response (validators, Location…). */
  verify?: (x: Exchange) => void;
  /** For a response without a body (304, HEAD): the file whose bytes a wrong server sends anyway. */
  bodyOf?: { file: string; body: Buffer };
}

/**
 * A request with extra headers, named by what makes it special: "GET /a.css (If-None-Match: "1-2")".
 * Headers are sent after Host in this order, after a browser's usual two.
 */
export function cachingStep(
  init: RequestInit,
  expect: Expectation,
  o: { conditions?: [string, string][]; why?: Text; hint?: Text; verify?: (x: Exchange) => void; bodyOf?: { file: string; body: Buffer } } = {},
): CachingStep {
  const conditions = o.conditions ?? [];
  const full: RequestInit = { ...init, headers: [...(init.headers ?? [['User-Agent', 'socklab-grader (caching)'], ['Accept', '*/*']]), ...conditions] };
  const name = `${full.method ?? 'GET'} ${full.target}` + (conditions.length ? ` (${conditions.map(([k, v]) => `${k}: ${v}`).join(', ')})` : '');
  return { init: full, name, request: buildRequest(full), expect, ...(o.why ? { why: o.why } : {}), ...(o.hint ? { hint: o.hint } : {}), ...(o.verify ? { verify: o.verify } : {}), ...(o.bodyOf ? { bodyOf: o.bodyOf } : {}) };
}

export interface CachingRunOptions {
  mode: 'one-by-one' | 'pipelined';
  /** Bound on each response (default 2 s). */
  timeoutMs?: number;
  /** The hint for a missing answer or a wrong status when the step has none. */
  hint?: Text;
  /** Responses read before these on the same connection. */
  before?: Previous;
  /** How the requests were sent, for messages. */
  context?: Text;
  /** The replay command, when the default would not do (a pause in the middle). */
  reproduce?: string;
  /** Pipelined: already sent by the caller (in writes of its own). */
  alreadySent?: boolean;
  /**
   * Check Date on every response (default: no). Every response must carry it, but the checks that
   * own it say so; the others judge what they are about, so one missing header is not every failure.
   */
  date?: boolean;
}

const statusText = (s: Expectation['status']): string => (typeof s === 'number' ? [s] : [...s]).map((n) => `${n} ${REASONS[n] ?? ''}`.trim()).join(' or ');
const REASONS: Record<number, string> = { 200: 'OK', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed' };

/**
 * Runs `steps` on `conn` and checks each response: status (saying why that one), then what
 * `expectAnswer` checks (order, type, body), Date (when asked), and the step's own checks. After a response
 * without a body (304, HEAD), the next bytes must be the next status line — or nothing — and a body
 * that follows anyway is named as such.
 */
export async function runCachingSteps(ctx: CheckContext, conn: Conn, steps: readonly CachingStep[], o: CachingRunOptions): Promise<Exchange[]> {
  const offset = o.before?.index ?? 0;
  const n = steps.length + offset;
  const reproduce = o.reproduce ?? reproduceConn(conn, o.mode === 'pipelined' && !o.alreadySent ? [Buffer.concat(steps.map((s) => s.request))] : o.mode === 'one-by-one' ? steps.map((s) => s.request) : []);
  let sentAt = Date.now();
  if (o.mode === 'pipelined' && !o.alreadySent) await sendWrites(ctx, conn, [Buffer.concat(steps.map((s) => s.request))], 0);
  const out: Exchange[] = [];
  let previous = o.before;
  let bodiless: Exchange | undefined;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    const method = s.init.method ?? 'GET';
    if (o.mode === 'one-by-one') {
      if (i > 0 || previous) await ctx.sleep(3);
      sentAt = Date.now();
      await sendWrites(ctx, conn, [s.request], 0);
    }
    // Whatever comes first after a response without a body is either the next status line or a body
    // that should not be there: the same reading, whether the next request is already out or not.
    if (bodiless) await expectStatusLineNext(bodiless, steps[i - 1]!, o.timeoutMs ?? 2000, reproduce);
    const what = whatFor(s, i, n - offset, offset);
    const res = await readExact(conn, { method, what, timeoutMs: o.timeoutMs ?? 2000, hint: o.hint, previous, context: o.context, reproduce });
    const readAt = Date.now();
    const x: Exchange = { conn, res, request: s.request, name: s.name, what };
    await withReproduce(reproduce, async () => {
      const want = typeof s.expect.status === 'number' ? [s.expect.status] : s.expect.status;
      if (!want.includes(res.status)) {
        fail({
          summary: t(`${what.en}: the status is ${res.status} ${res.reason}, expected ${statusText(s.expect.status)}`, `${what.zh}：状态码是 ${res.status} ${res.reason}，应该是 ${statusText(s.expect.status)}`),
          expected: s.why ?? t(`status ${statusText(s.expect.status)}`, `状态码 ${statusText(s.expect.status)}`),
          hint: s.hint ?? o.hint,
          conn,
        });
      }
      await expectAnswer(x, steps, i, s.hint ?? o.hint);
      if (o.date) expectDate(x, sentAt, readAt);
      s.verify?.(x);
    });
    out.push(x);
    bodiless = res.framing === 'none' ? x : undefined;
    previous = { name: s.name, index: i + 1 + offset };
  }
  if (bodiless) await expectNothingMore(ctx, bodiless, steps[steps.length - 1]!, 60, reproduce);
  return out;
}

/** Which response had no body and why: "a 304 has no body", "a response to HEAD has no body". */
function noBodyBecause(x: Exchange): Text {
  return x.res.status === 304
    ? t('a 304 Not Modified has no body — that is the point of it', '304 Not Modified 没有正文——这正是它存在的意义')
    : t('a response to HEAD has no body', 'HEAD 的响应没有正文');
}

function strayBody(x: Exchange, s: CachingStep, stray: Buffer, reproduce: string): never {
  const known = s.bodyOf ?? (s.expect.body && s.expect.file ? { file: s.expect.file, body: s.expect.body } : undefined);
  const file = known?.file;
  const looksLikeFile = known !== undefined && known.body.length > 0 && stray.subarray(0, 16).equals(known.body.subarray(0, Math.min(16, stray.length)));
  const because = noBodyBecause(x);
  fail({
    summary: t(
      `${x.what.en}: after its head, ${stray.length}+ more bytes came that are not the next response's status line${looksLikeFile ? ` — the body of ${file}` : ''}: ${escapeBytes(stray, 50)}. But ${because.en}`,
      `${x.what.zh}：它的响应头之后又来了至少 ${stray.length} 字节，而且不是下一个响应的状态行${looksLikeFile ? `——是 ${file} 的正文` : ''}：${escapeBytes(stray, 50)}。可是${because.zh}`,
    ),
    expected: t(`the head of the ${x.res.status} and nothing after its empty line: the client reads the next response right there`, `${x.res.status} 的响应头，空行之后什么都没有：客户端会从那里直接读下一个响应`),
    hint: x.res.status === 304 ? HINT_NOT_MODIFIED : t('Answer HEAD with the head GET would send and no body.', '对 HEAD 只回应 GET 会发送的响应头，不带正文。'),
    conn: x.conn,
    reproduce,
  });
}

/** The next response must start right after a bodiless one. */
async function expectStatusLineNext(x: Exchange, s: CachingStep, timeoutMs: number, reproduce: string): Promise<void> {
  try {
    await x.conn.waitFor(5, timeoutMs);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    if (x.conn.buffered === 0) return; // nothing at all: readExact tells that story
  }
  const next = x.conn.peek();
  if (next.subarray(0, 5).toString('latin1') !== 'HTTP/'.slice(0, Math.min(5, next.length))) strayBody(x, s, next, reproduce);
}

/** At the end: nothing may follow a bodiless response (a body sent anyway comes within moments). */
async function expectNothingMore(ctx: CheckContext, x: Exchange, s: CachingStep, ms: number, reproduce: string): Promise<void> {
  if (x.conn.buffered === 0) await ctx.sleep(ms);
  if (x.conn.buffered > 0) strayBody(x, s, x.conn.peek(), reproduce);
}
