/**
 * Assertions over length-prefixed frames, for a protocol where each frame the client sends is
 * answered by one frame of the same length: read a reply and say exactly how it went wrong — part
 * of a header, a length little-endian or counting the header, several frames answered as one, a
 * payload cut short. What the payload must be, and the hints, are the stage's: it passes them in.
 */
import { fail } from '../failure.ts';
import { t, type Text } from '../i18n.ts';
import { type Conn, type WireError, formatMs } from '../wire/conn.ts';
import { escapeBytes, firstDifference } from '../wire/escape.ts';
import {
  encodeFrame,
  hex,
  lengthMistake,
  readFrameHeader,
  readFramePayload,
  reproduceWrites,
  type Delivery,
} from '../wire/frames.ts';
import { kindOf } from './kinds.ts';

/** "1 byte", "3 frames". */
export const plural = (n: number, word: string, words = `${word}s`): string => `${n} ${n === 1 ? word : words}`;

/** Two hints as one: a sentence after a sentence. */
export function joinHints(a: Text, b: Text): Text {
  return t(`${a.en} ${b.en}`, `${a.zh}${b.zh}`);
}

/** Which hint fits which way a reply can go wrong; the stage knows its learners' likely mistakes. */
export interface FrameHints {
  /** Nothing came within the bound. */
  silent: Text;
  /** The connection ended instead of a reply. */
  closed: Text;
  /**
   * Put before `closed` when the server hung up without a byte after our one write (what a
   * skeleton that ends every connection does); leave it out where a crash is the likelier story.
   */
  hungUp?: Text;
  /** The server closed the connection before we had sent anything. */
  closedBeforeSending: Text;
  /** Only part of a reply's header came back. */
  partialHeader: Text;
  /** The payload stopped short of the length its header announced. */
  payloadCutShort: Text;
  /** The length was written little-endian. */
  byteOrder: Text;
  /** The length counts the 4 header bytes too. */
  countsHeader: Text;
  /** The length is this frame's and the next ones' together: frames read at once, answered as one. */
  merged: Text;
  /** Any other wrong length. */
  wrongLength: Text;
}

export interface FrameExpectation {
  /** Which reply this is, for the message: "the reply to frame 3 of 7". */
  what: Text;
  timeoutMs: number;
  /** The reply wanted, in words ("a 5-byte frame: header 00 00 00 05, then …"). */
  expected: Text;
  /** Frames sent right after the one this answers, to recognise several frames answered as one. */
  following?: readonly Buffer[];
  hints: FrameHints;
  /** Fails with the story of a payload that is not `want`: all of it, or what came before the end. */
  wrongPayload(got: Buffer): never;
}

/** How a wait for a reply ended, in words. */
function endedHow(err: WireError, timeoutMs: number): Text {
  switch (err.kind) {
    case 'timeout':
      return t(`nothing more within ${formatMs(timeoutMs)}, and the connection stayed open`, `${formatMs(timeoutMs)} 内再没有数据，连接仍然开着`);
    case 'closed':
      return t('the server closed the connection', '服务器关闭了连接');
    case 'reset':
      return t('the connection was reset', '连接被重置');
    case 'flooded':
      return t('the server kept sending far more than asked (flooded)', '服务器发来的数据远超预期（数据泛滥）');
    default:
      return t('the check ran out of time', '本检查超时了');
  }
}

/**
 * Could this be a server that ends every connection at once? It looks like one that closed after at
 * most one write without a byte back (and without our FIN).
 */
function hungUpAtOnce(conn: Conn): boolean {
  const writes = conn.events.filter((e) => e.kind === 'send').length;
  return conn.receivedTotal === 0 && writes <= 1 && !conn.events.some((e) => e.kind === 'fin-sent');
}

/** The server hung up before we had sent a byte. */
function closedBeforeWeSent(conn: Conn): boolean {
  const fin = conn.events.findIndex((e) => e.kind === 'fin-received' || e.kind === 'reset-received');
  const send = conn.events.findIndex((e) => e.kind === 'send');
  return fin >= 0 && (send < 0 || fin < send);
}

/** Reads one reply frame and requires its payload to be `want`, under a header announcing its length. */
export async function expectFrame(conn: Conn, want: Buffer, o: FrameExpectation): Promise<void> {
  const n = want.length;
  const { expected, hints } = o;
  const head = await readFrameHeader(conn, o.timeoutMs);
  if (!head.ok) {
    const { partial, ending: err } = head;
    const ending = endedHow(err, o.timeoutMs);
    if (partial.length > 0) {
      fail({
        kind: kindOf(err),
        summary: t(
          `${o.what.en}: only ${plural(partial.length, 'byte')} of a 4-byte header came back (${hex(partial)}), then ${ending.en}`,
          `${o.what.zh}：4 字节的头部只回来了 ${partial.length} 字节（${hex(partial)}），然后${ending.zh}`,
        ),
        expected,
        diff: { expected: encodeFrame(want), actual: partial },
        hint: hints.partialHeader,
        conn,
        reproduce: reproduceWrites(conn),
      });
    }
    if (closedBeforeWeSent(conn)) {
      fail({
        kind: 'closed-early',
        summary: t(`${o.what.en}: the server closed the connection as soon as we connected, before we sent anything`, `${o.what.zh}：我们一连上，还没发送任何数据，服务器就关闭了连接`),
        expected,
        hint: hints.closedBeforeSending,
        conn,
      });
    }
    fail({
      kind: kindOf(err),
      summary: err.kind === 'timeout'
        ? t(`${o.what.en}: no reply within ${formatMs(o.timeoutMs)}; the connection stayed open`, `${o.what.zh}：${formatMs(o.timeoutMs)} 内没有回复，连接仍然开着`)
        : t(`${o.what.en}: instead of a reply, ${ending.en}`, `${o.what.zh}：没有回复，而是${ending.zh}`),
      expected,
      hint: err.kind === 'timeout' ? hints.silent : hints.hungUp && hungUpAtOnce(conn) ? joinHints(hints.hungUp, hints.closed) : hints.closed,
      conn,
      reproduce: reproduceWrites(conn),
    });
  }

  if (head.length !== n) wrongLength(conn, head.header, want, head.length, o);

  const body = await readFramePayload(conn, n, o.timeoutMs);
  if (!body.ok) {
    const { partial, ending: err } = body;
    if (firstDifference(want.subarray(0, partial.length), partial) >= 0) o.wrongPayload(partial);
    const ending = endedHow(err, o.timeoutMs);
    fail({
      kind: kindOf(err),
      summary: t(
        `${o.what.en}: the reply's header announced ${n} bytes but only ${partial.length} followed, then ${ending.en}`,
        `${o.what.zh}：回复的头部声明了 ${n} 字节，但后面只跟了 ${partial.length} 字节，然后${ending.zh}`,
      ),
      expected,
      diff: { expected: encodeFrame(want), actual: Buffer.concat([head.header, partial]) },
      hint: hints.payloadCutShort,
      conn,
      reproduce: reproduceWrites(conn),
    });
  }
  if (!body.payload.equals(want)) o.wrongPayload(body.payload);
}

/** A header announcing `declared` bytes where `want` has another length: what that most likely means. */
function wrongLength(conn: Conn, header: Buffer, want: Buffer, declared: number, o: FrameExpectation): never {
  const n = want.length;
  const says = t(`the reply's header is ${hex(header)}, which says ${declared} bytes`, `回复的头部是 ${hex(header)}，表示 ${declared} 字节`);
  const mistake = lengthMistake(declared, n, o.following);
  let story: Text;
  let hint: Text;
  if (mistake?.cause === 'byte-order') {
    story = t(`: that is ${n} with its bytes in the wrong order — little-endian`, `：这是把 ${n} 的字节顺序弄反了——小端序`);
    hint = o.hints.byteOrder;
  } else if (mistake?.cause === 'counts-header') {
    story = t(`: ${n} + 4 — it counts the 4 header bytes too`, `：${n} + 4——把 4 字节头部也算进去了`);
    hint = o.hints.countsHeader;
  } else if (mistake?.cause === 'merged') {
    story = t(
      `: exactly this frame and the next ${plural(mistake.frames, 'frame')} taken together, headers included — frames that arrived in one read were answered as one message`,
      `：正好是这个帧加上后面 ${mistake.frames} 个帧的总长度（连同它们的头部）——同一次读取到的几个帧被当成一条消息回复了`,
    );
    hint = o.hints.merged;
  } else {
    story = t(`, but the frame we sent carried ${plural(n, 'payload byte')}`, `，但我们发送的帧带有 ${n} 个负载字节`);
    hint = o.hints.wrongLength;
  }
  fail({
    summary: t(`${o.what.en}: ${says.en}${story.en}`, `${o.what.zh}：${says.zh}${story.zh}`),
    expected: o.expected,
    diff: { expected: encodeFrame(want), actual: Buffer.concat([header, conn.peek()]) },
    hint,
    conn,
    reproduce: reproduceWrites(conn),
  });
}

/** After the last expected reply, nothing else may arrive for `ms`. */
export async function expectNoMoreFrames(conn: Conn, ms: number, replies: number): Promise<void> {
  const extra = await conn.drainFor(ms);
  if (extra.length > 0) {
    fail({
      summary: t(
        `after the ${plural(replies, 'expected reply', 'expected replies')}, the server sent ${extra.length} more bytes: ${escapeBytes(extra, 48)}`,
        `在预期的 ${replies} 个回复之后，服务器又多发了 ${extra.length} 字节：${escapeBytes(extra, 48)}`,
      ),
      expected: t('exactly one reply per frame, nothing else', '每个帧恰好一个回复，没有别的'),
      hint: t('Send exactly one frame back per complete frame received: no greeting, no newline, no second copy.', '每收到一个完整的帧，就恰好发回一个帧：不要欢迎语，不要换行，不要重复发送。'),
      conn,
      reproduce: reproduceWrites(conn),
    });
  }
}

/** How a frame travelled, in words: "it was split over 3 writes, one cut inside its header after 2 bytes". */
export function describeTravel(d: Delivery): Text {
  const parts: Text[] = [];
  if (d.writes === 1) parts.push(t('it travelled in one write', '整帧在一次写入中发出'));
  else {
    const cut = d.headerCuts.length ? t(`, one cut inside its header after ${plural(d.headerCuts[0]!, 'byte')}`, `，其中一刀切在头部第 ${d.headerCuts[0]} 字节之后`) : t('', '');
    parts.push(t(`it was split over ${d.writes} writes${cut.en}`, `被拆成 ${d.writes} 次写入${cut.zh}`));
  }
  if (d.sharedWith.length > 0) {
    const frames = d.sharedWith.slice(0, 4).map((k) => k + 1);
    const more = d.sharedWith.length > 4;
    parts.push(t(
      `${d.writes === 1 ? 'that' : 'its first'} write also carried ${frames.length === 1 && !more ? 'frame' : 'frames'} ${frames.join(', ')}${more ? ', …' : ''}`,
      `${d.writes === 1 ? '这次' : '第一次'}写入里还带着第 ${frames.join('、')}${more ? '……' : ''} 帧`,
    ));
  }
  return t(parts.map((p) => p.en).join('; '), parts.map((p) => p.zh).join('；'));
}
