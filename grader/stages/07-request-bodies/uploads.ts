/**
 * Stage 7's own vocabulary: a connection that carries uploads and forms one request after another
 * (`Line`), the answers a PUT must get (201 with Location, 204 without a body), and what must be on
 * disk afterwards — byte for byte, with a diagnosis when it is not (the body read as text, the old
 * file's tail left behind, the next request written into the file, half an upload).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CheckFailure, fail } from '../../failure.ts';
import { t, type Text } from '../../i18n.ts';
import type { CheckContext } from '../../types.ts';
import type { Conn } from '../../wire/conn.ts';
import { escapeBytes } from '../../wire/escape.ts';
import type { HttpResponse } from '../../wire/http.ts';
import { connectOrExplain, type Exchange } from '../../expect/http.ts';
import { readExact, reproduceConn, sendWrites, type Previous } from '../../expect/http-persistent.ts';
import { bodyRequest, type BodyRequest } from '../../expect/http-bodies.ts';

export const MAX_BODY = 10 * 1024 * 1024;

// ─── Names and requests ──────────────────────────────────────────────────────────────────────────

/**
 * A name as a request-target segment: UTF-8 percent-encoded, except letters, digits and "-._~".
 * `keep` lists characters sent as they are ("+" to prove it stays a plus); `lower` writes the hex
 * digits in lower case (%e7 means the same as %E7).
 */
export function encodeName(name: string, o: { keep?: string; lower?: boolean } = {}): string {
  let out = '';
  for (const ch of name) {
    if (/[A-Za-z0-9\-._~]/.test(ch) || o.keep?.includes(ch)) out += ch;
    else for (const b of Buffer.from(ch)) out += '%' + (o.lower ? b.toString(16).padStart(2, '0') : b.toString(16).toUpperCase().padStart(2, '0'));
  }
  return out;
}

export const uploadUrl = (name: string, o?: { keep?: string; lower?: boolean }): string => `/uploads/${encodeName(name, o)}`;

const UA: [string, string] = ['User-Agent', 'socklab-grader (bodies)'];

/** PUT /uploads/<name> with `body`; `target` overrides the encoded URL (for names sent oddly). */
export function putRequest(name: string, body: Buffer, o: { target?: string; headers?: [string, string][]; contentLength?: string | string[] | false } = {}): BodyRequest {
  return bodyRequest({
    method: 'PUT',
    target: o.target ?? uploadUrl(name),
    headers: [UA, ['Content-Type', 'application/octet-stream'], ...(o.headers ?? [])],
    body,
    ...(o.contentLength !== undefined ? { contentLength: o.contentLength } : {}),
  });
}

export interface GetRequest {
  name: string;
  method: string;
  target: string;
  bytes: Buffer;
}

/** A plain GET, as bytes. */
export function getRequest(target: string, method = 'GET'): GetRequest {
  return { name: `${method} ${target}`, method, target, bytes: Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: socklab-grader (bodies)\r\nAccept: */*\r\n\r\n`, 'latin1') };
}

export type AnyRequest = BodyRequest | GetRequest;

const isBody = (r: AnyRequest): r is BodyRequest => 'init' in r;

/**
 * The same requests as a curl command line (one connection, `--next` between them), for a learner
 * to replay against a server run by hand — the bodies random bytes of the same sizes. Undefined
 * when curl cannot send one of them as it was sent (no or odd Content-Length, Transfer-Encoding).
 */
export function curlFor(reqs: readonly AnyRequest[], port = 9000): string | undefined {
  const files: string[] = [];
  const parts: string[] = [];
  const url = (target: string): string => `http://127.0.0.1:${port}${target}`;
  for (const r of reqs) {
    if (!isBody(r)) {
      if (r.method !== 'GET') return undefined;
      parts.push(url(r.target));
      continue;
    }
    const { init } = r;
    if (init.contentLength !== undefined || (init.headers ?? []).some(([n]) => /^(transfer-encoding|expect)$/i.test(n))) return undefined;
    if (init.method === 'PUT') {
      const file = `body${files.length + 1}.bin`;
      files.push(`head -c ${r.body.length} /dev/urandom > ${file}`);
      parts.push(`-T ${file} ${url(init.target)}`);
    } else if (init.method === 'POST' && /^[\x20-\x26\x28-\x7e]*$/.test(r.body.toString('latin1'))) {
      parts.push(`--data-binary '${r.body.toString('latin1')}' ${url(init.target)}`);
    } else return undefined;
  }
  if (parts.length === 0) return undefined;
  return [...files, `curl -sv ${parts.join(' --next ')}`].join(' && ');
}

/**
 * A node one-liner that sends these requests in one write — each body as filler bytes of its
 * length — and prints what comes back: a pipeline, which curl cannot send.
 */
export function reproduceInOneWrite(reqs: readonly AnyRequest[], port = 9000): string {
  const parts = reqs.map((r) => (isBody(r) ? [r.head.toString('latin1'), r.body.length] : [r.bytes.toString('latin1'), 0]));
  const json = JSON.stringify(parts).replaceAll("'", '\\u0027');
  return (
    `node -e 'const parts=${json};const s=require("net").connect(${port},"127.0.0.1",()=>s.write(Buffer.concat(parts.flatMap(([h,n])=>[Buffer.from(h,"latin1"),Buffer.alloc(n,120)]))));` +
    `s.pipe(process.stdout)'`
  );
}

/**
 * A body that breaks every shortcut: each byte value 0–255 at least once, CR LF and a blank line,
 * something that looks like a request head, bytes that are not UTF-8, then seeded random bytes.
 */
export function hostileBody(ctx: CheckContext, size: number): Buffer {
  const every = Buffer.from(ctx.rng.shuffle(Array.from({ length: 256 }, (_, i) => i)));
  const fake = Buffer.from('\r\n\r\nGET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n');
  const broken = Buffer.from([0xc3, 0x28, 0xe4, 0xbd, 0x0a, 0xff, 0xfe, 0x00]);
  const head = Buffer.concat([every, fake, broken]);
  return Buffer.concat([head, ctx.rng.bytes(Math.max(0, size - head.length))]).subarray(0, Math.max(size, 0));
}

/** UTF-8 text with Chinese in it, `size` bytes or a little more. */
export function textBody(ctx: CheckContext, size: number): Buffer {
  const phrases = ['上传的文件要一个字节都不差。', '正文的长度由 Content-Length 决定。', '先写临时文件，再重命名。', `${ctx.rng.word()} ${ctx.rng.word()}\n`];
  let s = '';
  while (Buffer.byteLength(s) < size) s += ctx.rng.pick(phrases);
  return Buffer.from(s);
}

/** A name unlikely to clash with another check's: a seeded word, the check's number, an extension. */
export function freshName(ctx: CheckContext, tag: string, ext: string): string {
  return `${ctx.rng.word(3, 7)}-${tag}-${ctx.rng.int(10, 99)}${ext}`;
}

// ─── A connection carrying several requests ──────────────────────────────────────────────────────

/** One connection, and what has been answered on it so far (so failures can count responses). */
export class Line {
  count = 0;
  previous: Previous | undefined;
  /** The whole requests sent so far, for a curl line that replays them. */
  readonly requests: AnyRequest[] = [];
  constructor(
    readonly ctx: CheckContext,
    readonly conn: Conn,
  ) {}

  static async open(ctx: CheckContext, label?: string | Text, after?: Text): Promise<Line> {
    return new Line(ctx, await connectOrExplain(ctx, label, after));
  }

  /** Writes, quietly stopping if the server has closed (reading says what happened). */
  async send(...writes: Buffer[]): Promise<void> {
    await sendWrites(this.ctx, this.conn, writes, 0);
  }

  /** Sends whole requests, all in one write. */
  async request(...reqs: AnyRequest[]): Promise<void> {
    this.requests.push(...reqs);
    await this.send(Buffer.concat(reqs.map((r) => r.bytes)));
  }

  /** Runs the checks of an answer; a failure without a replay command gets this connection's. */
  async judge(fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      const reproduce = this.reproduce();
      if (err instanceof CheckFailure && !err.init.reproduce && reproduce) throw new CheckFailure({ ...err.init, reproduce });
      throw err;
    }
  }

  /** A command that replays this connection: its bytes while they are few, else curl with bodies of the same sizes. */
  reproduce(): string | undefined {
    if (this.conn.sentTotal <= 1500) return reproduceConn(this.conn);
    return curlFor(this.requests);
  }

  what(name: string): Text {
    const n = this.count + 1;
    return n > 1
      ? t(`the response to ${name} (response ${n} on this connection)`, `${name} 的响应（这个连接上的第 ${n} 个响应）`)
      : t(`the response to ${name}`, `${name} 的响应`);
  }

  /**
   * Reads the response to `name` exactly. Interim responses before it (a `100 Continue` the request
   * asked for, or one it did not: a client must take any number of them) are passed over.
   */
  async read(name: string, o: { method?: string; hint?: Text; timeoutMs?: number; context?: Text; reproduce?: string; what?: Text } = {}): Promise<Exchange> {
    const what = o.what ?? this.what(name);
    let res: HttpResponse;
    for (;;) {
      res = await readExact(this.conn, {
        ...(o.method ? { method: o.method } : {}),
        what,
        timeoutMs: o.timeoutMs ?? 2000,
        hint: o.hint,
        previous: this.previous,
        context: o.context,
        ...(o.reproduce ?? this.reproduce() ? { reproduce: o.reproduce ?? this.reproduce() } : {}),
      });
      if (res.status >= 100 && res.status < 200 && res.status !== 101) continue;
      break;
    }
    this.count++;
    this.previous = { name, index: this.count };
    return { conn: this.conn, res, request: Buffer.alloc(0), name, what };
  }
}

// ─── What a PUT must be answered ─────────────────────────────────────────────────────────────────

export const HINT_PUT = t(
  'PUT /uploads/<name>: decode the name (decodeURIComponent), read exactly Content-Length bytes of body into STATIC_DIR/uploads/<name>, then answer 201 Created with a Location header and a Content-Length when the file is new, 204 No Content (no body) when it replaced one.',
  'PUT /uploads/<name>：解码名字（decodeURIComponent），把正好 Content-Length 个字节的正文写入 STATIC_DIR/uploads/<name>，然后回应：文件是新的就回 201 Created，带 Location 头部和 Content-Length；替换了已有文件就回 204 No Content（没有正文）。',
);

const statusStory = (x: Exchange, existed: boolean, name: string): { summary: Text; hint: Text } | undefined => {
  const s = x.res.status;
  if (s === 204 && !existed)
    return {
      summary: t(`${x.what.en}: 204 No Content, but uploads/${name} did not exist before this PUT — it was created, not replaced`, `${x.what.zh}：204 No Content，可是在这次 PUT 之前 uploads/${name} 并不存在——文件是新建的，不是替换的`),
      hint: t('Look whether the file exists before you store the body (fs.stat, or fs.access): 201 Created for a new file, 204 No Content for one that was there.', '保存正文之前先看文件是否已经存在（fs.stat 或 fs.access）：新文件回 201 Created，原来就有的文件回 204 No Content。'),
    };
  if (s === 201 && existed)
    return {
      summary: t(`${x.what.en}: 201 Created, but uploads/${name} existed already (an earlier PUT stored it) — it was replaced, not created`, `${x.what.zh}：201 Created，可是 uploads/${name} 已经存在（之前的 PUT 存过它）——它是被替换的，不是新建的`),
      hint: t('201 says "a new resource now exists"; when the PUT replaced a file that was there, answer 204 No Content. Find out before you rename (or write) the new file over it.', '201 的意思是"新建了一个资源"；如果 PUT 替换了原有的文件，要回 204 No Content。在把新文件重命名（或写入）过去之前先弄清楚。'),
    };
  if (s === 200)
    return {
      summary: t(`${x.what.en}: 200 OK — HTTP allows it for a replaced file, but this contract asks for ${existed ? '204 No Content' : '201 Created'}`, `${x.what.zh}：200 OK——HTTP 允许用它回应替换，但这个约定要求 ${existed ? '204 No Content' : '201 Created'}`),
      hint: HINT_PUT,
    };
  if (s === 400)
    return {
      summary: t(`${x.what.en}: 400 Bad Request, but this upload is valid — the name uploads/${name} is one plain file name, and the Content-Length matches the body`, `${x.what.zh}：400 Bad Request，可这次上传是合法的——名字 uploads/${name} 是一个普通的文件名，Content-Length 也和正文一致`),
      hint: t(
        'Refuse only names that would leave uploads/ or are not a single name: after decoding, "." or "..", a "/", or a NUL. Spaces, Chinese, "+", "%", quotes are all fine in a file name. And read the body from exactly where the head ends: a 400 to a well-formed request usually means it was parsed from the wrong bytes.',
        '只拒绝会离开 uploads/ 或者不是单个名字的名字：解码之后是 "." 或 ".."、含有 "/"、或者含有 NUL。空格、中文、"+"、"%"、引号在文件名里都没问题。另外正文要从请求头结束的地方开始读：对格式正确的请求回 400，通常是从错误的字节开始解析了它。',
      ),
    };
  if (s === 404 || s === 405 || s === 501)
    return {
      summary: t(`${x.what.en}: ${s} ${x.res.reason} — the server does not take PUT /uploads/<name> yet`, `${x.what.zh}：${s} ${x.res.reason}——服务器还不接受 PUT /uploads/<name>`),
      hint: HINT_PUT,
    };
  return undefined;
};

/** Fails unless the answer to a PUT is 204 (replaced) or 201 with Location (new). */
export function expectPutAnswer(x: Exchange, name: string, existed: boolean, hint: Text = HINT_PUT): void {
  const want = existed ? 204 : 201;
  if (x.res.status !== want) {
    const story = statusStory(x, existed, name);
    fail({
      summary: story?.summary ?? t(`${x.what.en}: the status is ${x.res.status} ${x.res.reason}`, `${x.what.zh}：状态码是 ${x.res.status} ${x.res.reason}`),
      expected: existed
        ? t(`204 No Content: uploads/${name} existed and was replaced`, `204 No Content：uploads/${name} 原来就有，被替换了`)
        : t(`201 Created with a Location header: uploads/${name} is new`, `201 Created，带 Location 头部：uploads/${name} 是新文件`),
      hint: story?.hint ?? hint,
      conn: x.conn,
    });
  }
  if (existed) {
    const cl = x.res.header('content-length');
    if (cl !== undefined && cl.trim() !== '0') {
      fail({
        summary: t(`${x.what.en}: 204 No Content with Content-Length: ${cl}`, `${x.what.zh}：204 No Content 却带着 Content-Length: ${cl}`),
        expected: t('a 204 has no body, so no Content-Length either (RFC 9110 §8.6): the head, and nothing after it', '204 没有正文，所以也不带 Content-Length（RFC 9110 §8.6）：只有头部，之后什么都没有'),
        caret: { data: x.res.head, offset: x.res.head.indexOf(cl), note: t('no Content-Length on a 204', '204 不带 Content-Length') },
        hint: t('A 204 No Content response is its status line and headers, then the empty line — nothing else. The client reads the next response right after it.', '204 No Content 响应只有状态行和头部，然后是空行——别的什么都没有。客户端紧接着就读下一个响应。'),
        conn: x.conn,
      });
    }
    return;
  }
  const location = x.res.header('location');
  if (location === undefined) {
    fail({
      summary: t(`${x.what.en}: 201 Created without a Location header`, `${x.what.zh}：201 Created 却没有 Location 头部`),
      expected: t(`Location: ${uploadUrl(name)} — where the new file can be fetched`, `Location: ${uploadUrl(name)}——可以取回新文件的地址`),
      caret: { data: x.res.head, offset: Math.max(0, x.res.head.length - 2), note: t('Location belongs among these headers', 'Location 应该出现在这些头部之中') },
      hint: t(
        'A 201 tells the client where the new resource is: Location: /uploads/<name>, with the name percent-encoded as in the request (encodeURIComponent(name)).',
        '201 要告诉客户端新资源在哪里：Location: /uploads/<name>，名字要像请求里一样进行百分号编码（encodeURIComponent(name)）。',
      ),
      conn: x.conn,
    });
  }
  const problem = locationProblem(location, name);
  if (problem) {
    fail({
      summary: t(`${x.what.en}: Location is "${location}" — ${problem.en}`, `${x.what.zh}：Location 是 "${location}"——${problem.zh}`),
      expected: t(`Location: ${uploadUrl(name)} (or the same as an absolute URL)`, `Location: ${uploadUrl(name)}（或者同样地址的绝对 URL）`),
      hint: t(
        'Location is a URL, not a file path: /uploads/ followed by the name percent-encoded (encodeURIComponent(name)), so spaces and Chinese characters travel as %20 and %E4%BD%A0… — a header carries ASCII only.',
        'Location 是 URL，不是文件路径：/uploads/ 后面跟百分号编码过的名字（encodeURIComponent(name)），这样空格和中文会变成 %20、%E4%BD%A0……——头部里只能有 ASCII。',
      ),
      conn: x.conn,
    });
  }
}

/** What is wrong with a Location for uploads/<name>, or undefined. */
function locationProblem(location: string, name: string): Text | undefined {
  if (!/^[\x21-\x7e]+$/.test(location)) return t('it holds spaces or bytes that are not ASCII: they must be percent-encoded', '里面有空格或非 ASCII 字节：它们必须进行百分号编码');
  const p = location.replace(/^https?:\/\/[^/]+/i, '').split(/[?#]/, 1)[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(Buffer.from(p, 'latin1').toString('latin1'));
  } catch {
    return t('it is not a valid percent-encoded URL', '它不是合法的百分号编码 URL');
  }
  if (decoded === `/uploads/${name}`) return undefined;
  if (name.includes('+') && decoded === `/uploads/${name.replaceAll('+', ' ')}`) return t('decoded, it names the file with a space where the name has a "+": the "+" became a space', '解码之后，它指向的文件名在原本是 "+" 的地方变成了空格："+" 变成了空格');
  if (path.posix.isAbsolute(p) && /^\/(tmp|home|root|var|Users)\//.test(p) && !p.startsWith('/uploads/')) return t('that is a path on the server\'s disk, not a URL the client can fetch', '这是服务器磁盘上的路径，不是客户端能请求的 URL');
  return t(`decoded, it names ${JSON.stringify(decoded)}, not /uploads/${name}`, `解码之后它指向 ${JSON.stringify(decoded)}，而不是 /uploads/${name}`);
}

/** A 204's head ended the response: any bytes right after it are a body it must not have. */
export async function expectNothingAfter204(x: Exchange, ms = 50): Promise<void> {
  const extra = await x.conn.drainFor(ms);
  if (extra.length === 0) return;
  fail({
    summary: t(`${x.what.en}: 204 No Content, then ${extra.length} bytes: ${escapeBytes(extra, 50)}`, `${x.what.zh}：204 No Content 之后又来了 ${extra.length} 字节：${escapeBytes(extra, 50)}`),
    expected: t('nothing after the head of a 204: it has no body, whatever the headers say', '204 的头部之后什么都没有：不管头部怎么写，它都没有正文'),
    hint: t('A 204 No Content response is its status line and headers, then the empty line — nothing else. The client reads the next response right after it.', '204 No Content 响应只有状态行和头部，然后是空行——别的什么都没有。客户端紧接着就读下一个响应。'),
    conn: x.conn,
  });
}

// ─── What is on disk ─────────────────────────────────────────────────────────────────────────────

export const uploadsDir = (ctx: CheckContext): string => path.join(ctx.root, 'uploads');

export function readUpload(ctx: CheckContext, name: string): Buffer | undefined {
  try {
    return readFileSync(path.join(uploadsDir(ctx), name));
  } catch {
    return undefined;
  }
}

export function listUploads(ctx: CheckContext): string[] {
  try {
    return readdirSync(uploadsDir(ctx));
  } catch {
    return [];
  }
}

/** Why `actual` is not `expected`, told from how they differ. */
function diagnose(expected: Buffer, actual: Buffer, old: Buffer | undefined): { what: Text; hint: Text } {
  const asText = Buffer.from(expected.toString('utf8'));
  if (!expected.equals(asText) && actual.equals(asText)) {
    return {
      what: t('every byte that is not valid UTF-8 became EF BF BD (the replacement character "�"): the body went through a string', '每个不是合法 UTF-8 的字节都变成了 EF BF BD（替换字符 "�"）：正文被当成字符串处理过'),
      hint: t('A body is bytes. Keep it as Buffers from the socket to the file — no chunk.toString(), no string concatenation, no encoding argument on write.', '正文是字节。从 socket 到文件全程都用 Buffer——不要 chunk.toString()，不要拼接字符串，写入时也不要传编码参数。'),
    };
  }
  if (actual.length < expected.length && expected.subarray(0, actual.length).equals(actual)) {
    return {
      what: t(`only its first ${actual.length} of ${expected.length} bytes are there`, `只有前 ${actual.length} 字节（共 ${expected.length} 字节）`),
      hint: t(
        'A body arrives in as many chunks as TCP likes: the part that came with the head, then more in later "data" events. Keep writing until Content-Length bytes have gone into the file, and answer only after the file is complete and closed.',
        '正文会分成 TCP 喜欢的任意多块到达：和请求头一起来的那一部分，之后还有更多的 "data" 事件。要一直写，直到 Content-Length 个字节都进了文件；文件完整写完并关闭之后才回应。',
      ),
    };
  }
  if (actual.length > expected.length && actual.subarray(0, expected.length).equals(expected)) {
    const tail = actual.subarray(expected.length);
    if (old && old.length === actual.length && old.subarray(expected.length).equals(tail)) {
      return {
        what: t(`the new ${expected.length} bytes are followed by the last ${tail.length} bytes of the old file`, `新的 ${expected.length} 字节后面还跟着旧文件的最后 ${tail.length} 字节`),
        hint: t('Writing over a file does not shorten it unless you say so: open it with the "w" flag (truncate), or better, write a new temporary file and rename it over the old one.', '覆盖写一个文件并不会让它变短，除非你明确要求：用 "w" 标志打开（截断），更好的做法是写一个新的临时文件，再把它重命名覆盖旧文件。'),
      };
    }
    if (/^(GET|HEAD|PUT|POST) \//.test(tail.toString('latin1'))) {
      return {
        what: t(`after the ${expected.length} bytes of the body comes the next request: ${escapeBytes(tail, 40)}`, `在 ${expected.length} 字节的正文之后，紧跟着下一个请求：${escapeBytes(tail, 40)}`),
        hint: t('Take exactly Content-Length bytes as the body; the bytes after them belong to the next request — keep them in the buffer.', '正文正好是 Content-Length 个字节；之后的字节属于下一个请求——把它们留在缓冲区里。'),
      };
    }
    return {
      what: t(`${tail.length} bytes too many after the body: ${escapeBytes(tail, 40)}`, `正文之后多了 ${tail.length} 字节：${escapeBytes(tail, 40)}`),
      hint: t('Take exactly Content-Length bytes as the body, not a byte more.', '正文正好是 Content-Length 个字节，一个字节都不能多。'),
    };
  }
  return {
    what: t(`its ${actual.length} bytes are not the ${expected.length} bytes that were sent`, `它的 ${actual.length} 字节不是发送的那 ${expected.length} 字节`),
    hint: t('Write the body exactly as it arrived — as Buffers, in order, from the first byte after the head.', '把正文原样写下来——用 Buffer，按顺序，从请求头之后的第一个字节开始。'),
  };
}

/**
 * STATIC_DIR/uploads/<name> holds exactly `expected`. `old` is what it held before (to recognise
 * its tail left behind); `after` says when we looked ("after the 201 to PUT …").
 */
export function expectStored(ctx: CheckContext, name: string, expected: Buffer, o: { after: Text; conn: Conn; old?: Buffer; hint?: Text }): void {
  const actual = readUpload(ctx, name);
  if (actual === undefined) {
    const others = listUploads(ctx);
    const spaced = name.includes('+') && others.includes(name.replaceAll('+', ' '));
    fail({
      summary: spaced
        ? t(`${o.after.en}, there is no file uploads/${name} — but there is "uploads/${name.replaceAll('+', ' ')}": the "+" in the name became a space`, `${o.after.zh}，没有 uploads/${name} 这个文件——却有 "uploads/${name.replaceAll('+', ' ')}"："+" 变成了空格`)
        : t(`${o.after.en}, there is no file uploads/${name} in STATIC_DIR`, `${o.after.zh}，STATIC_DIR 里没有 uploads/${name} 这个文件`),
      expected: t(`STATIC_DIR/uploads/${name} with the ${expected.length} bytes of the body`, `STATIC_DIR/uploads/${name}，内容是正文的 ${expected.length} 个字节`),
      hint: spaced
        ? t('"+" means a space only in a form body (application/x-www-form-urlencoded). In a path it is a plus: decodeURIComponent leaves it alone, and so must you.', '"+" 只有在表单正文（application/x-www-form-urlencoded）里才表示空格。在路径里它就是加号：decodeURIComponent 不会动它，你也不要动。')
        : (o.hint ?? t('Store the body under the decoded name in STATIC_DIR/uploads/ (create the folder if it is missing), and answer only once the file is complete.', '把正文存到 STATIC_DIR/uploads/ 下、用解码后的名字（文件夹不存在就创建它），文件完整之后再回应。')),
      conn: o.conn,
    });
  }
  if (actual.equals(expected)) return;
  const d = diagnose(expected, actual, o.old);
  fail({
    summary: t(`${o.after.en}, uploads/${name} is wrong: ${d.what.en}`, `${o.after.zh}，uploads/${name} 的内容不对：${d.what.zh}`),
    expected: t(`exactly the ${expected.length} bytes of the body that was sent`, `正好是发送的正文的 ${expected.length} 个字节`),
    diff: { expected, actual },
    hint: o.hint ?? d.hint,
    conn: o.conn,
  });
}

/** No file uploads/<name> (after a refusal, or an upload cut short). */
export function expectNotStored(ctx: CheckContext, name: string, o: { after: Text; conn: Conn; hint: Text }): void {
  const actual = readUpload(ctx, name);
  if (actual === undefined) return;
  fail({
    summary: t(`${o.after.en}, uploads/${name} exists (${actual.length} bytes)`, `${o.after.zh}，uploads/${name} 却存在（${actual.length} 字节）`),
    expected: t('no such file: nothing is written for a request that is refused or never completes', '不应该有这个文件：被拒绝或没有完成的请求什么都不写'),
    hint: o.hint,
    conn: o.conn,
  });
}
