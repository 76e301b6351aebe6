/**
 * Assertions for line protocols: every message is a line of UTF-8 text ending in "\n". Read a line
 * within a bound, expect a given line, expect a line of some shape, expect nothing more, expect the
 * server to close. Each compares only what it is given and fails with what arrived, what was
 * expected and what to try; what a line *means* (a chat message, a command) is the check's business.
 */
import { fail } from '../failure.ts';
import { t, type Text } from '../i18n.ts';
import { type Conn, WireError, formatMs } from '../wire/conn.ts';
import { escapeBytes, firstDifference } from '../wire/escape.ts';
import { kindOf } from './kinds.ts';

export const LF = 0x0a;
export const CR = 0x0d;

/** The longest line a reader accepts before it calls the server a flood (a line has no other bound). */
const MAX_LINE_READ = 256 * 1024;


/** A command that replays the exchange, or a function that makes one when a failure needs it. */
export type Reproduce = string | (() => string | undefined);

export interface LineOptions {
  /** Whose line it is and what led to it: "bob's line after alice sent "hi"". */
  what: Text;
  timeoutMs: number;
  /** When no complete line arrived in time. */
  hintSilent?: Text;
  /** When the server closed or reset the connection instead. */
  hintClosed?: Text;
  /** When a different line arrived (after `explain` and the built-in stories found nothing). */
  hintWrong?: Text;
  /** A check's own reading of a wrong line: what it most likely means, and what to try. */
  explain?: (got: Buffer) => Story | undefined;
  reproduce?: Reproduce;
}

/** What a wrong answer most likely means, and what to try. */
export interface Story {
  story: Text;
  hint: Text;
}

const show = (line: Buffer | string): string => escapeBytes(Buffer.concat([Buffer.from(line), Buffer.from([LF])]), 120);

function reproduceOf(r: Reproduce | undefined): string | undefined {
  // '' (rather than undefined) keeps the engine from guessing a command that cannot replay a
  // multi-client exchange.
  if (r === undefined) return undefined;
  return (typeof r === 'function' ? r() : r) ?? '';
}

/**
 * The next line, without its "\n" (a "\r" before it is kept: that is the caller's to judge).
 * Throws the wire's error when no complete line arrives within `timeoutMs`.
 */
export async function readLine(conn: Conn, timeoutMs: number): Promise<Buffer> {
  const line = await conn.readUntil('\n', timeoutMs, MAX_LINE_READ);
  return line.subarray(0, line.length - 1);
}

/** Reads the next line, failing with a message that says how far the server got when none came. */
export async function nextLine(conn: Conn, o: LineOptions, expected?: Text): Promise<Buffer> {
  try {
    return await readLine(conn, o.timeoutMs);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    const partial = conn.peek();
    const kind = kindOf(err);
    const ending =
      err.kind === 'timeout'
        ? t(`nothing more within ${formatMs(o.timeoutMs)}, and the connection stayed open`, `${formatMs(o.timeoutMs)} 内再没有数据，连接仍然开着`)
        : err.kind === 'closed'
          ? t('the server closed the connection', '服务器关闭了连接')
          : err.kind === 'reset'
            ? t('the connection was reset', '连接被重置')
            : err.kind === 'flooded'
              ? t(`more than ${MAX_LINE_READ} bytes arrived without a "\\n"`, `收到了超过 ${MAX_LINE_READ} 字节却没有 "\\n"`)
              : t('the check ran out of time', '本检查超时了');
    const summary =
      partial.length > 0
        ? t(
            `${o.what.en}: only part of a line arrived, ${escapeBytes(partial, 120)} with no "\\n" after it, then ${ending.en}`,
            `${o.what.zh}：只收到了半行 ${escapeBytes(partial, 120)}，后面没有 "\\n"，然后${ending.zh}`,
          )
        : err.kind === 'timeout'
          ? t(`${o.what.en}: no line arrived within ${formatMs(o.timeoutMs)}; the connection stayed open`, `${o.what.zh}：${formatMs(o.timeoutMs)} 内没有收到任何一行，连接仍然开着`)
          : t(`${o.what.en}: no line arrived; instead ${ending.en}`, `${o.what.zh}：没有收到这一行，而是${ending.zh}`);
    fail({
      kind,
      summary,
      expected,
      hint: err.kind === 'timeout' || err.kind === 'aborted' ? o.hintSilent : (o.hintClosed ?? o.hintSilent),
      conn,
      reproduce: reproduceOf(o.reproduce),
    });
  }
}

/** Stories any line protocol can tell from a wrong line alone. */
function builtInStory(got: Buffer, want: Buffer): Story | undefined {
  const replacement = Buffer.from('\uFFFD');
  if (got.includes(replacement) && !want.includes(replacement)) {
    return {
      story: t(
        'it contains "\uFFFD" (U+FFFD, the replacement character, bytes ef bf bd), which nobody sent: a character whose bytes arrived in two reads was decoded one half at a time',
        '其中有 "\uFFFD"（U+FFFD 替换字符，字节 ef bf bd），而谁也没有发送过它：一个字符的字节分两次读到，却被分成两半各自解码了',
      ),
      hint: t(
        "Keep bytes as bytes until you have a whole line: collect each connection's chunks in a Buffer, split on the byte 0x0a, and decode only complete lines (line.toString('utf8')). Decoding each chunk on its own (chunk.toString()) mangles a character cut between two reads.",
        "在凑齐一整行之前，字节就保持为字节：把每个连接收到的块收集在一个 Buffer 里，按字节 0x0a 切分，只解码完整的行（line.toString('utf8')）。每收到一块就单独解码（chunk.toString()），会把被两次读取切开的字符弄坏。",
      ),
    };
  }
  if (got.length === want.length + 1 && got[got.length - 1] === CR && got.subarray(0, want.length).equals(want)) {
    return {
      story: t('it ends in "\\r\\n" where the line should end in "\\n" alone', '它以 "\\r\\n" 结尾，而这一行应该只以 "\\n" 结尾'),
      hint: t(
        'A "\\r" just before the "\\n" belongs to the line ending, not to the text: drop it from every line a client sends, and end your own lines with "\\n" alone.',
        '"\\n" 前面紧挨着的 "\\r" 属于行尾，不属于文本：客户端发来的每一行都要去掉它，你自己发出的行也只用 "\\n" 结尾。',
      ),
    };
  }
  return undefined;
}

/**
 * The bytes around `offset`, cut at character boundaries, so the caret line shows text rather than
 * \x escapes of a character cut in half (the window is the one caretAt() shows).
 */
function charAligned(data: Buffer, offset: number): { data: Buffer; offset: number } {
  const isCont = (i: number): boolean => i < data.length && (data[i]! & 0xc0) === 0x80;
  let start = Math.max(0, offset - 40);
  while (start < offset && isCont(start)) start++;
  let end = Math.min(data.length, offset + 24);
  while (end > offset + 1 && isCont(end)) end--;
  return { data: data.subarray(start, end), offset: offset - start };
}

/** Reads the next line and requires it to be exactly `expected` (given without its "\n"). */
export async function expectLine(conn: Conn, expected: string | Buffer, o: LineOptions): Promise<void> {
  const want = Buffer.from(expected);
  const got = await nextLine(conn, o, t(`the line ${show(want)}`, `这一行：${show(want)}`));
  if (got.equals(want)) return;
  const s = o.explain?.(got) ?? builtInStory(got, want);
  const at = Math.max(0, firstDifference(want, got));
  fail({
    summary: t(
      `${o.what.en}: got ${show(got)}${s ? ` — ${s.story.en}` : ''}`,
      `${o.what.zh}：收到的是 ${show(got)}${s ? `——${s.story.zh}` : ''}`,
    ),
    expected: t(`the line ${show(want)}`, `这一行：${show(want)}`),
    caret: { ...charAligned(Buffer.concat([got, Buffer.from([LF])]), Math.min(at, got.length)), note: t('first byte that differs', '第一个不同的字节') },
    hint: s?.hint ?? o.hintWrong,
    conn,
    reproduce: reproduceOf(o.reproduce),
  });
}

/** Reads the next line and requires `test` to accept it; returns it. `shape` says what it should look like. */
export async function expectLineLike(conn: Conn, test: (line: Buffer) => boolean, shape: Text, o: LineOptions): Promise<Buffer> {
  const got = await nextLine(conn, o, shape);
  if (test(got)) return got;
  const s = o.explain?.(got);
  fail({
    summary: t(`${o.what.en}: got ${show(got)}${s ? ` — ${s.story.en}` : ''}`, `${o.what.zh}：收到的是 ${show(got)}${s ? `——${s.story.zh}` : ''}`),
    expected: shape,
    hint: s?.hint ?? o.hintWrong,
    conn,
    reproduce: reproduceOf(o.reproduce),
  });
}

export interface QuietOptions {
  /** Who should hear nothing, and why: "alice, after her own message". */
  what: Text;
  ms: number;
  hint?: Text;
  explain?: (got: Buffer) => Story | undefined;
  /** Whether the server may close the connection meanwhile (default: no, it must stay open). */
  mayClose?: boolean;
  reproduce?: Reproduce;
}

/** Nothing may arrive for `ms` (and the connection stays open unless `mayClose`). */
export async function expectNoLine(conn: Conn, o: QuietOptions): Promise<void> {
  // Bytes already waiting are the answer at once; otherwise give the server `ms` to say something.
  const extra = await conn.drainFor(conn.buffered > 0 ? 0 : o.ms);
  if (extra.length > 0) {
    const firstLine = extra.indexOf(LF) >= 0 ? extra.subarray(0, extra.indexOf(LF)) : extra;
    const s = o.explain?.(firstLine);
    fail({
      kind: conn.closed === 'flooded' ? 'flooded' : 'wrong',
      summary: t(
        `${o.what.en} should have received nothing, but got ${escapeBytes(extra, 120)}${s ? ` — ${s.story.en}` : ''}`,
        `${o.what.zh}本不该收到任何数据，却收到了 ${escapeBytes(extra, 120)}${s ? `——${s.story.zh}` : ''}`,
      ),
      expected: t('nothing', '什么都不收到'),
      hint: s?.hint ?? o.hint,
      conn,
      reproduce: reproduceOf(o.reproduce),
    });
  }
  if (!o.mayClose && (conn.closed === 'fin' || conn.closed === 'reset')) {
    fail({
      kind: conn.closed === 'fin' ? 'closed-early' : 'reset',
      summary: t(
        `${o.what.en}: the server ${conn.closed === 'fin' ? 'closed' : 'reset'} this connection, which should have stayed open`,
        `${o.what.zh}：服务器${conn.closed === 'fin' ? '关闭' : '重置'}了这个本应保持打开的连接`,
      ),
      expected: t('the connection stays open', '连接保持打开'),
      hint: o.hint,
      conn,
      reproduce: reproduceOf(o.reproduce),
    });
  }
}

export interface CloseOptions {
  what: Text;
  timeoutMs: number;
  /** When the connection was still open at the end of the bound. */
  hintOpen?: Text;
  /** When more bytes came before the close. */
  hintMore?: Text;
  reproduce?: Reproduce;
}

/**
 * The server must close the connection (FIN or reset) within the bound and send nothing more
 * before it does. Returns how it closed.
 */
export async function expectClose(conn: Conn, o: CloseOptions): Promise<'fin' | 'reset'> {
  const { data, how } = await conn.readToEnd(o.timeoutMs);
  if (data.length > 0) {
    fail({
      summary: t(`${o.what.en}: before closing, the server sent ${escapeBytes(data, 120)}`, `${o.what.zh}：服务器在关闭之前又发来了 ${escapeBytes(data, 120)}`),
      expected: t('no more lines: the connection closes', '不再有任何行：连接关闭'),
      hint: o.hintMore,
      conn,
      reproduce: reproduceOf(o.reproduce),
    });
  }
  if (how === 'open' || how === 'flooded') {
    fail({
      kind: how === 'open' ? 'not-closed' : 'flooded',
      summary: t(
        `${o.what.en}: ${formatMs(o.timeoutMs)} later the connection was still open`,
        `${o.what.zh}：${formatMs(o.timeoutMs)} 之后连接仍然开着`,
      ),
      expected: t(`the server closes the connection within ${formatMs(o.timeoutMs)}`, `服务器在 ${formatMs(o.timeoutMs)} 内关闭连接`),
      hint: o.hintOpen,
      conn,
      reproduce: reproduceOf(o.reproduce),
    });
  }
  return how;
}

/**
 * Reads many lines cheaply: takes everything buffered at once and splits it, rather than one
 * `readUntil` per line (which re-scans and copies the backlog each time). For floods of thousands
 * of lines. Its failures read like `nextLine`'s.
 */
export class LineReader {
  private queue: Buffer[] = [];
  private head = 0;
  private rest: Buffer = Buffer.alloc(0);
  /** Bytes of complete lines handed out so far, "\n" included. */
  consumed = 0;

  constructor(readonly conn: Conn) {}

  async next(o: LineOptions): Promise<Buffer> {
    const deadline = Date.now() + o.timeoutMs;
    while (this.head >= this.queue.length) {
      try {
        await this.conn.waitFor(1, Math.max(0, deadline - Date.now()));
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        this.fail(err, o);
      }
      const data = await this.conn.drainFor(0);
      this.split(data);
    }
    const line = this.queue[this.head++]!;
    if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.consumed += line.length + 1;
    return line;
  }

  private split(data: Buffer): void {
    let buf = this.rest.length > 0 ? Buffer.concat([this.rest, data]) : data;
    let at: number;
    while ((at = buf.indexOf(LF)) >= 0) {
      this.queue.push(buf.subarray(0, at));
      buf = buf.subarray(at + 1);
    }
    this.rest = buf;
  }

  private fail(err: WireError, o: LineOptions): never {
    const partial = this.rest;
    const timeout = err.kind === 'timeout' || err.kind === 'aborted';
    fail({
      kind: kindOf(err),
      summary: partial.length > 0
        ? t(`${o.what.en}: only part of a line arrived, ${escapeBytes(partial, 120)} with no "\\n" after it; ${err.text.en}`, `${o.what.zh}：只收到了半行 ${escapeBytes(partial, 120)}，后面没有 "\\n"；${err.text.zh}`)
        : timeout
          ? t(`${o.what.en}: no line arrived within ${formatMs(o.timeoutMs)}; the connection stayed open`, `${o.what.zh}：${formatMs(o.timeoutMs)} 内没有收到任何一行，连接仍然开着`)
          : t(`${o.what.en}: no line arrived; ${err.text.en}`, `${o.what.zh}：没有收到这一行；${err.text.zh}`),
      hint: timeout ? o.hintSilent : (o.hintClosed ?? o.hintSilent),
      conn: this.conn,
      reproduce: reproduceOf(o.reproduce),
    });
  }
}
