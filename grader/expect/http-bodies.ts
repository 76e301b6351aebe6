/**
 * Requests that carry a body, from the client's side. A body changes what a client must do and what
 * it can see: it says how long the body is (Content-Length), may ask the server first whether the
 * body is wanted at all (`Expect: 100-continue`, answered by an interim `100 Continue` or at once
 * by the final status), sends it — in pieces, slowly, or never — and then looks at what the server
 * did with it, on the wire and on disk.
 *
 * Here: building such requests byte for byte (any Content-Length, several, or none), sending a large
 * body without ever waiting unboundedly on a server that stopped reading, the 100-continue dance and
 * its failures in words, reading the members of a JSON object in the order they were written, and
 * snapshots of a folder to tell what a request wrote.
 */
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fail } from '../failure.ts';
import { t, type Text } from '../i18n.ts';
import { type Conn, WireError, formatMs } from '../wire/conn.ts';
import type { HttpResponse } from '../wire/http.ts';
import { readExact, type Previous } from './http-persistent.ts';

// ─── Building a request with a body ──────────────────────────────────────────────────────────────

export interface BodyRequestInit {
  method: string;
  /** The request-target exactly as sent (already percent-encoded). */
  target: string;
  /** Sent after Host, in this order, names as written. */
  headers?: readonly (readonly [string, string])[];
  /**
   * The Content-Length field(s) to send: by default one, with the body's length; a string or a list
   * of strings to send exactly those values (one field each); `false` for none.
   */
  contentLength?: string | readonly string[] | false;
  body: Buffer;
  /** Default "HTTP/1.1". */
  version?: string;
}

export interface BodyRequest {
  init: BodyRequestInit;
  /** "PUT /uploads/a.txt" */
  name: string;
  /** The head, up to and including the empty line. */
  head: Buffer;
  body: Buffer;
  /** Head and body together. */
  bytes: Buffer;
}

/** The bytes of a request with a body, Content-Length as asked (the Host header always first). */
export function bodyRequest(init: BodyRequestInit): BodyRequest {
  const lines = [`${init.method} ${init.target} ${init.version ?? 'HTTP/1.1'}`, 'Host: localhost'];
  for (const [name, value] of init.headers ?? []) lines.push(`${name}: ${value}`);
  const cl = init.contentLength === undefined ? [String(init.body.length)] : init.contentLength === false ? [] : typeof init.contentLength === 'string' ? [init.contentLength] : init.contentLength;
  for (const v of cl) lines.push(`Content-Length: ${v}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return { init, name: `${init.method} ${init.target}`, head, body: init.body, bytes: Buffer.concat([head, init.body]) };
}

/** Whether the request asks `Expect: 100-continue`. */
export const asksContinue = (r: BodyRequest): boolean => (r.init.headers ?? []).some(([n, v]) => n.toLowerCase() === 'expect' && v.toLowerCase() === '100-continue');

// ─── Sending a body without waiting forever ──────────────────────────────────────────────────────

export interface SendOutcome {
  /** Bytes of `data` handed to the kernel. */
  sent: number;
  /** all: everything went out; stopped: `stopIf` said so; closed: the connection ended; stalled: the server took nothing for `stallMs`. */
  how: 'all' | 'stopped' | 'closed' | 'stalled';
}

/**
 * Sends `data` in writes of `chunkSize` bytes. A server that stops reading would make a plain send
 * wait forever once the kernel's buffers are full: here a write the server does not take within
 * `stallMs` ends the sending (`stalled`). `stopIf` is asked before each write (for example: the
 * server has answered already, so the rest would be read by nobody).
 */
export async function sendWatching(conn: Conn, data: Buffer, o: { chunkSize?: number; stallMs?: number; stopIf?: () => boolean } = {}): Promise<SendOutcome> {
  const size = o.chunkSize ?? 64 * 1024;
  const stallMs = o.stallMs ?? 2000;
  let sent = 0;
  while (sent < data.length) {
    if (conn.closed) return { sent, how: 'closed' };
    if (o.stopIf?.()) return { sent, how: 'stopped' };
    const chunk = data.subarray(sent, sent + size);
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((resolve) => {
      timer = setTimeout(() => resolve('stalled'), stallMs);
    });
    try {
      const r = await Promise.race([conn.send(chunk).then(() => 'sent' as const), stalled]);
      if (r === 'stalled') return { sent, how: 'stalled' };
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      return { sent, how: 'closed' };
    } finally {
      clearTimeout(timer);
    }
    sent += chunk.length;
  }
  return { sent, how: 'all' };
}

// ─── Expect: 100-continue ────────────────────────────────────────────────────────────────────────

/** `HTTP/1.1 100 Continue` — the interim answer that tells the client to send the body now. */
export const CONTINUE_LINE = 'HTTP/1.1 100 Continue\\r\\n\\r\\n';

export type ContinueOutcome =
  /** An interim 100: send the body. */
  | { kind: 'continue'; res: HttpResponse; ms: number }
  /** A final status instead (2xx to 5xx). */
  | { kind: 'final'; res: HttpResponse; ms: number }
  /** Nothing within the bound, the connection still open. */
  | { kind: 'silent'; ms: number };

export interface ContinueOptions {
  /** "the response to PUT /uploads/a.txt" */
  what: Text;
  /** How long the client waits before it gives up waiting (curl: 1 s). */
  boundMs: number;
  hint?: Text;
  previous?: Previous;
  reproduce?: string;
}

/**
 * After a head with `Expect: 100-continue` and before its body: what the server says first. Other
 * interim answers (102, 103) are passed over; a connection that ends, or bytes that are not a
 * response, fail here with readExact's words.
 */
export async function awaitContinue(conn: Conn, o: ContinueOptions): Promise<ContinueOutcome> {
  const started = Date.now();
  for (;;) {
    const left = Math.max(0, started + o.boundMs - Date.now());
    if (conn.buffered === 0) {
      try {
        await conn.waitFor(1, left);
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        if (err.kind === 'timeout') return { kind: 'silent', ms: Date.now() - started };
        // The connection ended: readExact says so in its words.
      }
    }
    const res = await readExact(conn, { what: o.what, timeoutMs: Math.max(left, 500), hint: o.hint, previous: o.previous, reproduce: o.reproduce });
    const ms = Date.now() - started;
    if (res.status === 100) return { kind: 'continue', res, ms };
    if (res.status >= 200) return { kind: 'final', res, ms };
  }
}

const HINT_CONTINUE = t(
  'A client that sends "Expect: 100-continue" (the value is case-insensitive) sends only the head and waits: it wants to know whether the body is wanted before it sends megabytes for nothing. Decide from the head alone. If you will take the body, write "HTTP/1.1 100 Continue\\r\\n\\r\\n" at once (in its turn among the responses of the connection), then read the body and send the final response as usual. If you will refuse it (too large, bad name, no length), send the final status at once instead — and no 100.',
  '发送了 "Expect: 100-continue"（值不区分大小写）的客户端只发请求头，然后等待：它想在发送可能白费的几兆字节之前，先知道服务器要不要这个正文。只根据请求头做决定。如果你会接受正文，就立即写出 "HTTP/1.1 100 Continue\\r\\n\\r\\n"（按这个连接上响应的顺序轮到它时），然后读取正文，照常发送最终响应。如果你会拒绝（太大、名字不合法、没有长度），就立即发送最终状态——而且不要发 100。',
);

/**
 * The body will be accepted: the server must answer the head with `100 Continue` within the bound,
 * before the body is sent. Fails, in words, when it waits for the body instead, answers with a final
 * status, or says nothing. Returns the 100 and how long it took.
 */
export async function expectContinue(conn: Conn, r: BodyRequest, o: ContinueOptions): Promise<{ res: HttpResponse; ms: number }> {
  const out = await awaitContinue(conn, o);
  const hint = o.hint ?? HINT_CONTINUE;
  const sent = t(
    `we sent the head of ${r.name} with Expect: 100-continue and a Content-Length of ${r.body.length}, and held the body back`,
    `我们发送了 ${r.name} 的请求头（带 Expect: 100-continue，Content-Length 为 ${r.body.length}），先不发正文`,
  );
  if (out.kind === 'silent') {
    fail({
      kind: 'hung',
      summary: t(
        `${sent.en}; ${formatMs(o.boundMs)} later nothing had come back — the server is waiting for a body that the client is waiting for permission to send`,
        `${sent.zh}；${formatMs(o.boundMs)} 之后什么都没有回来——服务器在等正文，而客户端在等服务器允许它发送正文`,
      ),
      expected: t(
        `${CONTINUE_LINE} within ${formatMs(o.boundMs)}, before the body; then, after the body, the final response. (curl waits 1 s for the 100 and then sends the body anyway — so a server without 100-continue seems to work, but makes every upload a second slower, and clients that wait longer hang.)`,
        `${formatMs(o.boundMs)} 内、正文之前收到 ${CONTINUE_LINE}；正文发完之后再收到最终响应。（curl 等 100 等 1 秒，然后无论如何都会发送正文——所以不支持 100-continue 的服务器看起来也能用，但每次上传都慢一秒，而等得更久的客户端就会一直卡住。）`,
      ),
      hint,
      conn,
      reproduce: o.reproduce,
    });
  }
  if (out.kind === 'final') {
    const early = out.res.status < 300;
    fail({
      summary: early
        ? t(
            `${sent.en}; the server answered ${out.res.status} ${out.res.reason} at once — a final success for a body it has not received`,
            `${sent.zh}；服务器立即回应了 ${out.res.status} ${out.res.reason}——还没收到正文就给出了成功的最终响应`,
          )
        : t(
            `${sent.en}; the server answered ${out.res.status} ${out.res.reason} at once, but this request is acceptable: its body should have been asked for with 100 Continue`,
            `${sent.zh}；服务器立即回应了 ${out.res.status} ${out.res.reason}，可这个请求是合法的：应该用 100 Continue 请客户端发送正文`,
          ),
      expected: t(`${CONTINUE_LINE} first; the final response only after the ${r.body.length}-byte body`, `先是 ${CONTINUE_LINE}；最终响应要等 ${r.body.length} 字节的正文之后`),
      hint,
      conn,
      reproduce: o.reproduce,
    });
  }
  return { res: out.res, ms: out.ms };
}

/**
 * The body will be refused (`why`): the final status must come at once, without a 100 and without
 * waiting for the body. Returns the final response.
 */
export async function expectRefusedAtOnce(conn: Conn, r: BodyRequest, why: Text, statuses: readonly number[], o: ContinueOptions): Promise<HttpResponse> {
  const out = await awaitContinue(conn, o);
  const hint = o.hint ?? HINT_CONTINUE;
  const sent = t(
    `we sent the head of ${r.name} with Expect: 100-continue (${why.en}), and held the body back`,
    `我们发送了 ${r.name} 的请求头，带 Expect: 100-continue（${why.zh}），先不发正文`,
  );
  const want = statuses.join(' or ');
  if (out.kind === 'silent') {
    fail({
      kind: 'hung',
      summary: t(
        `${sent.en}; ${formatMs(o.boundMs)} later nothing had come back — the server waits for a body it is going to refuse anyway`,
        `${sent.zh}；${formatMs(o.boundMs)} 之后什么都没有回来——服务器在等一个反正要拒绝的正文`,
      ),
      expected: t(`the final status (${want}) at once, decided from the head alone`, `立即收到最终状态（${want}），只根据请求头就能决定`),
      hint,
      conn,
      reproduce: o.reproduce,
    });
  }
  if (out.kind === 'continue') {
    fail({
      summary: t(
        `${sent.en}; the server answered 100 Continue — it invites the client to send a body it is going to refuse`,
        `${sent.zh}；服务器回应了 100 Continue——它请客户端发送一个它反正要拒绝的正文`,
      ),
      expected: t(
        `no 100: the final status (${want}) at once, so the client never sends the body (that is what Expect: 100-continue is for)`,
        `不要发 100：立即发送最终状态（${want}），这样客户端根本不会发送正文（这正是 Expect: 100-continue 的用处）`,
      ),
      hint,
      conn,
      reproduce: o.reproduce,
    });
  }
  return out.res;
}

/**
 * A node one-liner that sends `head`, waits for the server's first answer (or `waitMs`), then sends
 * `body` — the way a client using Expect: 100-continue behaves — and prints what comes back.
 */
export function reproduceContinue(head: Buffer, body: Buffer, waitMs = 1000, port = 9000): string {
  const h = JSON.stringify(head.toString('latin1')).replaceAll("'", '\\u0027');
  const b = body.length <= 2000 ? `Buffer.from(${JSON.stringify(body.toString('base64'))},"base64")` : `Buffer.alloc(${body.length},97)`;
  return (
    `node -e 'const s=require("net").connect(${port},"127.0.0.1",()=>s.write(Buffer.from(${h},"latin1")));let sent=0;` +
    `const go=()=>{if(!sent++)s.write(${b})};s.once("data",go);setTimeout(go,${waitMs});s.on("data",d=>process.stdout.write(d))'`
  );
}

/**
 * A node one-liner that sends `head` and then `bodyBytes` filler bytes (never the rest), and prints
 * what comes back and whether the server closed: for a body the server must refuse unread.
 */
export function reproduceHeadAndPart(head: Buffer, bodyBytes: number, port = 9000): string {
  const h = JSON.stringify(head.toString('latin1')).replaceAll("'", '\\u0027');
  return (
    `node -e 'const s=require("net").connect(${port},"127.0.0.1",()=>{s.write(Buffer.from(${h},"latin1"));s.write(Buffer.alloc(${bodyBytes},120))});` +
    `s.on("data",d=>process.stdout.write(d));s.on("end",()=>console.log("\\n[the server closed the connection]"))'`
  );
}

// ─── A JSON object's members, in the order they were written ─────────────────────────────────────

export type JsonMembers =
  | { ok: true; members: [string, unknown][]; duplicates: string[] }
  | { ok: false; offset: number; why: Text };

/**
 * Parses `text` as JSON whose top level is an object, and returns its members in the order they
 * appear in the text. `JSON.parse` cannot: it keeps only the last of a repeated name, and a
 * JavaScript object lists names that look like array indices first.
 */
export function jsonObjectMembers(text: string): JsonMembers {
  let i = 0;
  class Bad {
    constructor(
      readonly offset: number,
      readonly why: Text,
    ) {}
  }
  const bad = (why: Text, at = i): never => {
    throw new Bad(at, why);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const str = (): string => {
    if (text[i] !== '"') bad(t('expected a string in double quotes here', '这里应该是一个用双引号括起来的字符串'));
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) bad(t('this string never ends: a closing " is missing', '这个字符串没有结束：缺少结尾的 "'), start);
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return bad(
        t('this string is not valid JSON: a control character (such as a raw line break) or a bad escape inside it — write \\n, \\" and \\\\ for newline, quote and backslash', '这个字符串不是合法的 JSON：里面有控制字符（例如未转义的换行）或错误的转义——换行、引号和反斜杠要写成 \\n、\\" 和 \\\\'),
        start,
      );
    }
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '"') return str();
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') return i++, out;
      for (;;) {
        ws();
        const k = str();
        ws();
        if (text[i] !== ':') bad(t('expected ":" after the name', '名字后面应该是 ":"'));
        i++;
        out[k] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return i++, out;
        else bad(t('expected "," or "}"', '这里应该是 "," 或 "}"'));
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') return i++, out;
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return i++, out;
        else bad(t('expected "," or "]"', '这里应该是 "," 或 "]"'));
      }
    }
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) return bad(t('not a JSON value', '这不是一个 JSON 值'));
    i += m[0].length;
    return JSON.parse(m[0]) as unknown;
  };
  try {
    ws();
    if (text[i] !== '{') bad(t('a JSON object starts with "{"', 'JSON 对象以 "{" 开头'));
    i++;
    const members: [string, unknown][] = [];
    const seen = new Set<string>();
    const duplicates: string[] = [];
    ws();
    if (text[i] === '}') i++;
    else {
      for (;;) {
        ws();
        const k = str();
        ws();
        if (text[i] !== ':') bad(t('expected ":" after the name', '名字后面应该是 ":"'));
        i++;
        const v = value();
        if (seen.has(k)) duplicates.push(k);
        seen.add(k);
        members.push([k, v]);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          break;
        } else bad(t('expected "," or "}"', '这里应该是 "," 或 "}"'));
      }
    }
    ws();
    if (i < text.length) bad(t('more text after the end of the object', '对象结束之后还有别的内容'));
    return { ok: true, members, duplicates };
  } catch (err) {
    if (err instanceof Bad) return { ok: false, offset: err.offset, why: err.why };
    throw err;
  }
}

// ─── What a request wrote on disk ────────────────────────────────────────────────────────────────

export interface FileFacts {
  kind: 'file' | 'dir' | 'other';
  size: number;
  mtimeMs: number;
  ino: number;
}

/** Every entry under `dir` (relative paths with "/"), with what tells a change: size, mtime, inode. */
export function snapshotTree(dir: string): Map<string, FileFacts> {
  const out = new Map<string, FileFacts>();
  const walk = (rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(path.join(dir, rel));
    } catch {
      return; // gone meanwhile, or not a folder any more
    }
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      try {
        const st = lstatSync(path.join(dir, r));
        const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
        out.set(r, { kind, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
        if (kind === 'dir') walk(r);
      } catch {
        /* gone meanwhile */
      }
    }
  };
  walk('');
  return out;
}

export interface TreeChanges {
  created: string[];
  changed: string[];
  removed: string[];
}

/** What differs between two snapshots of one folder (folders count as changed only when created or removed). */
export function treeChanges(before: Map<string, FileFacts>, after: Map<string, FileFacts>): TreeChanges {
  const created: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [p, a] of after) {
    const b = before.get(p);
    if (!b) created.push(p);
    else if (a.kind !== b.kind || (a.kind !== 'dir' && (a.size !== b.size || a.mtimeMs !== b.mtimeMs || a.ino !== b.ino))) changed.push(p);
  }
  for (const p of before.keys()) if (!after.has(p)) removed.push(p);
  return { created, changed, removed };
}

export const noChanges = (c: TreeChanges): boolean => c.created.length === 0 && c.changed.length === 0 && c.removed.length === 0;

/** "created uploads/a.txt; changed index.html" — for messages. */
export function describeChanges(c: TreeChanges): Text {
  const en: string[] = [];
  const zh: string[] = [];
  if (c.created.length) en.push(`created ${c.created.join(', ')}`), zh.push(`新建了 ${c.created.join('、')}`);
  if (c.changed.length) en.push(`changed ${c.changed.join(', ')}`), zh.push(`修改了 ${c.changed.join('、')}`);
  if (c.removed.length) en.push(`removed ${c.removed.join(', ')}`), zh.push(`删除了 ${c.removed.join('、')}`);
  return t(en.join('; '), zh.join('；'));
}

