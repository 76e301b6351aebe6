/**
 * Stage 4 — message framing. Frames are a 4-byte big-endian length N and N payload bytes; the
 * server answers each frame with a frame of the same length, payload reversed. The checks cut the
 * byte stream the way TCP may: many frames in one write, one frame in many writes (inside the
 * header too), one byte at a time, random boundaries over hundreds of frames. A server that treats
 * a read as a message, or hopes pauses keep messages apart, fails here with the idea that broke.
 * Lengths are tried at both ends of the 32-bit field, and clients take their time: they pause for a
 * second mid-frame, or stop reading megabytes of replies and then read them slowly, while others
 * must be served.
 */
import { fail } from '../../failure.ts';
import { t, type Text } from '../../i18n.ts';
import { connectionText } from '../../wire/labels.ts';
import { defineStage } from '../../stage.ts';
import type { Check } from '../../types.ts';
import { type Conn, WireError, formatMs } from '../../wire/conn.ts';
import { escapeBytes } from '../../wire/escape.ts';
import {
  HEADER_BYTES,
  MAX_PAYLOAD,
  describeDelivery,
  encodeFrame,
  frameHeader,
  frameOffsets,
  hex,
  reproduceWrites,
  reversed,
  swapped32,
  writeOffsets,
} from '../../wire/frames.ts';
import { splitRandomly } from '../../expect/bytes.ts';
import { readSlowly, sendWithPause, stopReading, untilUnreadArrives } from '../../wire/adversary.ts';
import { describeTravel, expectFrame, expectNoMoreFrames, joinHints, plural } from '../../expect/frames.ts';
import { kindOf } from '../../expect/kinds.ts';

/** Bound on the first reply to a frame: a working server answers in a millisecond or two. */
const REPLY_MS = 1500;
/** Bound on each further reply once replies are flowing. */
const NEXT_MS = 1000;
/** Bound on the server closing after our FIN, or after an oversize header. */
const CLOSE_MS = 1200;
/** Pause between the pieces of a split frame, so each piece reaches the server as its own read. */
const PIECE_GAP_MS = 12;
/**
 * The pause after a piece that ends inside a header: that cut is the one some servers miss. Long
 * enough that it reaches the server as a read of its own even when a busy machine keeps the server
 * waiting for the CPU, so such a server fails on every run (4.4, 4.5, 4.8, 4.10).
 */
const HEADER_GAP_MS = 150;

/**
 * How long a client of 4.12 stays quiet: longer than any idle timeout a server could call short,
 * and far enough above the time a frame of the other checks takes on a loaded machine (up to half
 * a second) that a guard between the two is caught, or not, the same way every time.
 */
const PAUSE_MS = 1500;
/** 4.13: replies owed to client 1, how long it reads nothing, and how it reads afterwards. */
const BACKLOG_BYTES = 6 * 1024 * 1024;
const SILENT_MS = 1000;
const BACKED_UP_MS = 300;
const OTHERS_GAP_MS = 250;
const SLOW_READ_GAP_MS = 5;

// ---------------------------------------------------------------------------------------------
// Hints: each names the framing idea that broke.

const HINT_LOOP = t(
  "Two frames arrived in one read and you replied once: keep a buffer and loop while it holds a complete frame. One 'data' event can carry any number of frames; after taking one out, look at what is left.",
  "两个帧在同一次读取中到达，而你只回复了一次：要维护一个接收缓冲区，只要里面还有完整的帧就循环处理。一次 'data' 事件可能带来任意多个帧；取出一个帧之后，接着看缓冲区里剩下的内容。",
);
const HINT_SPLIT = t(
  "A read can end anywhere — inside the 4-byte header or inside the payload. Append every chunk to a per-connection buffer; read the length only once 4 bytes are there, and answer only once 4 + N bytes are there. Until then, keep the bytes and wait for the next 'data' event.",
  "一次读取可能在任何位置结束——4 字节的头部中间，或者负载中间。把每一块数据追加到这个连接自己的缓冲区里；攒够 4 字节才读取长度，攒够 4 + N 字节才回复。在那之前，保留已收到的字节，等下一个 'data' 事件。",
);
const HINT_STREAM = t(
  'Reads do not line up with frames: a read may end inside a header, inside a payload or between two frames, and may hold many frames. Keep one buffer per connection, append every chunk, and loop: while it holds 4 bytes plus the N they announce, take that frame out and answer it.',
  '读取和帧是对不齐的：一次读取可能在头部中间、负载中间或两个帧之间结束，也可能包含很多个帧。每个连接维护一个缓冲区，每收到一块就追加进去，然后循环：只要缓冲区里有 4 字节头部外加它声明的 N 字节，就取出这个帧并回复。',
);
const HINT_HEADER = t(
  "The reply's header is the payload length as 4 bytes, big-endian: header.writeUInt32BE(payload.length). It counts the payload only, not the header itself.",
  '回复的头部是负载长度，占 4 字节，大端序：header.writeUInt32BE(payload.length)。它只计算负载，不包括头部本身。',
);
const HINT_BIG_ENDIAN = t(
  'Lengths on the wire are big-endian ("network byte order"): the most significant byte comes first. Use readUInt32BE and writeUInt32BE, not the …LE versions.',
  '线路上的长度是大端序（“网络字节序”）：最高位字节在前。用 readUInt32BE 和 writeUInt32BE，不要用 …LE 版本。',
);
const HINT_REVERSE_WHOLE = t(
  'The reply is the whole payload reversed. Wait until the frame is complete, then reverse it once: reversing each chunk as it arrives only looks right when a frame happens to arrive in one piece.',
  '回复是把整个负载反转。等帧完整了再一次性反转：每收到一块就反转一块，只有在整个帧恰好一次到达时才看起来是对的。',
);
const HINT_NOT_REVERSED = t('Reverse the payload before sending it back: Buffer.from(payload).reverse().', '发回去之前先把负载反转：Buffer.from(payload).reverse()。');
const HINT_BINARY = t(
  'Keep everything as Buffers: no setEncoding(), no toString(), no string concatenation (buf += chunk). Payloads are arbitrary bytes; decoding them as UTF-8 replaces invalid sequences and changes their length.',
  '全程使用 Buffer：不要 setEncoding()，不要 toString()，不要拼接字符串（buf += chunk）。负载是任意字节，按 UTF-8 解码会替换掉非法的字节序列，长度也会变。',
);
const HINT_LIMIT = t(
  "Check the length as soon as the 4 header bytes are in: if N > 1 048 576, close the connection right away (socket.destroySoon() sends the replies already written, then closes). Don't wait for the payload — a client can announce 4 GiB and never send it.",
  '4 字节头部一到就检查长度：如果 N > 1 048 576，立即关闭连接（socket.destroySoon() 会先把已经写出的回复发完再关闭）。不要等负载——客户端可以声明 4 GiB，却永远不发过来。',
);
const HINT_PER_CONNECTION = t(
  'Keep the receive buffer inside the connection handler, one per socket. A buffer shared by all clients splices a slow client\'s half-frame into someone else\'s stream; and never wait (sleep, loop) for one client\'s bytes — Node serves every socket from the same thread.',
  '接收缓冲区要放在连接回调里面，每个 socket 一个。所有客户端共用一个缓冲区，会把慢客户端的半个帧拼进别人的数据流里；也不要为了等某个客户端的字节而等待（sleep、循环）——Node 在同一个线程里服务所有 socket。',
);

const HINT_PAUSE = t(
  'A client may pause for seconds — in the middle of a header, in the middle of a payload, or between frames — and then go on. Keep the bytes you have and wait: no timeout that closes a connection because it is quiet or a frame is slow to complete.',
  '客户端可能停顿好几秒——在头部中间、负载中间或者两个帧之间——然后继续发送。保留已经收到的字节，耐心等待：不要因为连接安静或者某个帧迟迟没有收完，就用超时关闭连接。',
);
const HINT_NOT_STUCK = t(
  "One client that does not read its replies must not hold up anyone else. When socket.write() returns false, pause that socket alone (socket.pause() until its 'drain'); never make every client wait in one queue, or behind one flag, for that socket to drain.",
  "一个不读取回复的客户端不能拖住其他任何人。socket.write() 返回 false 时，只暂停那一个 socket（socket.pause()，直到它的 'drain'）；不要让所有客户端排在同一个队列里、或者被同一个标志挡住，去等那个 socket 腾出空间。",
);
const HINT_SLOW_READER = t(
  "A client may stop reading for a while, or read slowly; every reply must still reach it, in order. When socket.write() returns false, stop reading that client's frames (socket.pause()) and go on when it drains (socket.on('drain', () => socket.resume())). Never drop replies or the connection because writes are slow.",
  "客户端可能暂时停止读取，或者读得很慢；每个回复仍然必须按顺序送到。socket.write() 返回 false 时，先停止读取这个客户端的帧（socket.pause()），等它腾出空间后再继续（socket.on('drain', () => socket.resume())）。不要因为写得慢就丢掉回复或断开连接。",
);

const HINT_HUNG_UP = t(
  "The server hung up without sending a single byte. If it does that the moment a client connects, that is the skeleton's socket.end(): replace it with frame handling.",
  '服务器一个字节都没发就挂断了。如果客户端一连上它就挂断，那是骨架代码里的 socket.end()：把它换成处理帧的代码。',
);
const HINT_CLOSED_AT_ONCE = t(
  "Keep the connection open and read from it: the skeleton ends every connection at once (socket.end()) so the grader can tell you what is missing — remove that line when you handle frames.",
  '保持连接打开并从中读取：骨架代码一接受连接就调用 socket.end() 结束它，好让评测器告诉你缺了什么——开始处理帧之后把那一行删掉。',
);

// ---------------------------------------------------------------------------------------------
// Reading and judging replies.

interface ReplyOptions {
  /** Which reply this is, for the message: "the reply to frame 3 of 7". */
  what: Text;
  timeoutMs: number;
  /** The framing idea a missing reply most likely means in this check. */
  hintSilent: Text;
  /** When the connection ended instead of a reply (default: hintSilent). */
  hintClosed?: Text;
  /** When a reply came but is wrong and its bytes tell no more specific story. */
  hintWrong?: Text;
  /** Mention the skeleton when the server hangs up at once (default true; off where a crash is the likelier story). */
  skeletonHint?: boolean;
  /** Frames sent right after this one, to recognise several frames answered as one. */
  following?: readonly Buffer[];
  /** When a reply stops part-way (default: reply to whole frames only, and send all of it). */
  hintCutShort?: Text;
}

function expectedFrame(payload: Buffer): Text {
  const n = payload.length;
  if (n === 0) return t('an empty frame back: just the header 00 00 00 00', '回复一个空帧：只有头部 00 00 00 00');
  return t(
    `a ${n}-byte frame: header ${hex(frameHeader(n))}, then the ${plural(n, 'payload byte')} in reverse order`,
    `一个 ${n} 字节的帧：头部 ${hex(frameHeader(n))}，然后是倒序的 ${n} 个负载字节`,
  );
}

/** Reads one reply frame and requires it to answer `payload`: same length, payload reversed. */
async function expectReply(conn: Conn, payload: Buffer, o: ReplyOptions): Promise<void> {
  const hintClosed = o.hintClosed ?? o.hintSilent;
  await expectFrame(conn, reversed(payload), {
    what: o.what,
    timeoutMs: o.timeoutMs,
    expected: expectedFrame(payload),
    following: o.following,
    hints: {
      silent: o.hintSilent,
      closed: hintClosed,
      hungUp: o.skeletonHint !== false ? HINT_HUNG_UP : undefined,
      closedBeforeSending: HINT_CLOSED_AT_ONCE,
      partialHeader: HINT_HEADER,
      payloadCutShort: o.hintCutShort ?? joinHints(t('Reply only when the whole frame has arrived, and send the whole reply.', '等整个帧都到了再回复，并且把回复完整发出。'), HINT_SPLIT),
      byteOrder: HINT_BIG_ENDIAN,
      countsHeader: HINT_HEADER,
      merged: HINT_LOOP,
      wrongLength: o.hintWrong ?? HINT_HEADER,
    },
    wrongPayload: (got) => wrongPayload(conn, payload, got, o),
  });
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && Buffer.from(a).sort().equals(Buffer.from(b).sort());
}

/** U+FFFD as UTF-8, and as it looks once a server has reversed it. */
const REPLACEMENT = [Buffer.from([0xef, 0xbf, 0xbd]), Buffer.from([0xbd, 0xbf, 0xef])];

function wrongPayload(conn: Conn, payload: Buffer, got: Buffer, o: ReplyOptions): never {
  const want = reversed(payload);
  const complete = got.length === payload.length;
  let story: Text;
  let hint: Text;
  if (!payload.equals(want) && got.equals(payload.subarray(0, got.length))) {
    story = t('the payload came back in its original order, not reversed', '负载按原来的顺序发回来了，没有反转');
    hint = HINT_NOT_REVERSED;
  } else if (REPLACEMENT.some((r) => got.includes(r) && !payload.includes(r))) {
    story = t(
      'the reply contains ef bf bd (or bd bf ef, reversed), the UTF-8 replacement character "�", which we never sent: the bytes went through a string somewhere',
      '回复里出现了 ef bf bd（或反转后的 bd bf ef），即 UTF-8 替换字符“�”，而我们从没发过它：这些字节在某处被当成字符串处理了',
    );
    hint = HINT_BINARY;
  } else if (complete && sameBytes(got, payload)) {
    story = t('the right bytes in the wrong order: not the whole payload reversed', '字节都对，顺序不对：不是把整个负载反转');
    hint = HINT_REVERSE_WHOLE;
  } else {
    story = t(
      `the payload differs from ours reversed (the diff below compares payloads, header excluded)`,
      `负载和我们发送的负载反转后不一致（下面的差异只比较负载，不含头部）`,
    );
    hint = o.hintWrong ?? HINT_STREAM;
  }
  fail({
    summary: t(`${o.what.en}: the header was right, but ${story.en}`, `${o.what.zh}：头部正确，但${story.zh}`),
    expected: expectedFrame(payload),
    diff: { expected: want, actual: got },
    hint,
    conn,
    reproduce: reproduceWrites(conn),
  });
}

/**
 * After a header announcing `n` > 1 MiB: no more bytes, and the connection closes within CLOSE_MS.
 * (Replies to earlier frames on it have been read already.)
 */
async function expectRefused(conn: Conn, n: number): Promise<void> {
  const { data, how } = await conn.readToEnd(CLOSE_MS);
  const over = n === MAX_PAYLOAD + 1 ? t(', one over the limit', '，比上限多 1 字节') : t(`, ${n >= 2 ** 31 ? 'at the top of the 32-bit range' : 'far over the limit'}`, `，${n >= 2 ** 31 ? '接近 32 位范围的顶端' : '远超上限'}`);
  // A length with the top bit set, read as a signed number, is negative: it passes "n > MAX".
  const signed = n >= 2 ** 31 ? n - 2 ** 32 : undefined;
  const hint =
    signed === undefined
      ? HINT_LIMIT
      : t(
          `${HINT_LIMIT.en} Read the length unsigned: ${hex(frameHeader(n))} is ${n} with readUInt32BE, but ${signed} with readInt32BE — or with (b[0] << 24) | …, since JavaScript's bit operators work on signed 32-bit numbers (add >>> 0). A negative length passes "length > MAX".`,
          `${HINT_LIMIT.zh}长度要按无符号数读取：${hex(frameHeader(n))} 用 readUInt32BE 读是 ${n}，用 readInt32BE 读却是 ${signed}——用 (b[0] << 24) | … 拼也一样，因为 JavaScript 的位运算按有符号 32 位整数计算（要再 >>> 0）。负数的长度能通过 “length > MAX” 的检查。`,
        );
  if (data.length > 0) {
    fail({
      summary: t(
        `after a header announcing ${n} bytes (${hex(frameHeader(n))})${over.en}, the server sent ${data.length} more bytes instead of just closing: ${escapeBytes(data, 32)}`,
        `收到声明 ${n} 字节（${hex(frameHeader(n))}）${over.zh}的头部后，服务器没有直接关闭，而是又发了 ${data.length} 字节：${escapeBytes(data, 32)}`,
      ),
      expected: t('no reply to the oversize frame: the connection closes', '不回复超限帧：直接关闭连接'),
      hint,
      conn,
      reproduce: reproduceWrites(conn),
    });
  }
  if (how === 'open') {
    fail({
      kind: 'not-closed',
      summary: t(
        `the header announced ${n} bytes (${hex(frameHeader(n))})${over.en}, and ${formatMs(CLOSE_MS)} later the connection was still open: the server is waiting for a payload it must refuse`,
        `头部声明了 ${n} 字节（${hex(frameHeader(n))}）${over.zh}，而 ${formatMs(CLOSE_MS)} 之后连接仍然开着：服务器在等一个本该拒绝的负载`,
      ),
      expected: t(`the server closes the connection within ${formatMs(CLOSE_MS)} of the header`, `收到头部后 ${formatMs(CLOSE_MS)} 内服务器关闭连接`),
      hint,
      conn,
      reproduce: reproduceWrites(conn),
    });
  }
}

function textPayload(rng: { word(): string }, label: string): Buffer {
  return Buffer.from(`${label}: ${rng.word()} ${rng.word()}`);
}

// ---------------------------------------------------------------------------------------------

const checks: Check[] = [
  {
    id: '4.1',
    title: t('one frame comes back reversed', '一个帧，反转后返回'),
    points: 1,
    timeoutMs: 4000,
    async run(ctx) {
      const conn = await ctx.connect();
      const payload = textPayload(ctx.rng, 'hello, socklab');
      const n = payload.length;
      await conn.send(encodeFrame(payload));
      await expectReply(conn, payload, {
        what: t(`the reply to one ${n}-byte frame`, `对一个 ${n} 字节帧的回复`),
        timeoutMs: REPLY_MS,
        hintSilent: t(
          `Nothing came back. Keep the bytes that arrive; once 4 are in, N = buffer.readUInt32BE(0); once 4 + N are in, write a header with N followed by the payload reversed. (Reading the length little-endian makes this header say ${swapped32(n)}, and the server waits for bytes that never come.)`,
          `什么都没回来。把收到的字节存起来；攒够 4 字节后，N = buffer.readUInt32BE(0)；攒够 4 + N 字节后，写回一个值为 N 的头部，再跟上反转后的负载。（如果按小端序读长度，这个头部会被读成 ${swapped32(n)}，服务器就会一直等根本不会来的字节。）`,
        ),
        hintClosed: t(
          `If your server closed because it judged the frame too big, check the byte order: ${hex(frameHeader(n))} is ${n} read big-endian (readUInt32BE), but ${swapped32(n)} read little-endian — over the 1 MiB limit.`,
          `如果你的服务器是因为认为这个帧太大才关闭的，检查一下字节序：${hex(frameHeader(n))} 按大端序（readUInt32BE）读是 ${n}，按小端序读却是 ${swapped32(n)}——超过了 1 MiB 的上限。`,
        ),
      });
      await expectNoMoreFrames(conn, 60, 1);
    },
  },
  {
    id: '4.2',
    title: t('a zero-length frame', '长度为 0 的帧'),
    points: 1,
    timeoutMs: 5000,
    async run(ctx) {
      const conn = await ctx.connect();
      await conn.send(frameHeader(0));
      await expectReply(conn, Buffer.alloc(0), {
        what: t('the reply to a zero-length frame (just the header 00 00 00 00)', '对零长度帧（只有头部 00 00 00 00）的回复'),
        timeoutMs: REPLY_MS,
        hintSilent: t(
          "A frame of length 0 is complete as soon as its 4 header bytes are in: answer 00 00 00 00 at once. Look for conditions that treat 0 as 'nothing yet', like buffer.length > 4 (instead of >= 4 + N) or if (length) …",
          '长度为 0 的帧在 4 字节头部到齐时就完整了：立刻回复 00 00 00 00。检查有没有把 0 当成“还没收到”的条件，比如 buffer.length > 4（应为 >= 4 + N）或 if (length) …',
        ),
      });
      const payload = textPayload(ctx.rng, 'after the empty one');
      await conn.send(encodeFrame(payload));
      await expectReply(conn, payload, {
        what: t(`the reply to a ${payload.length}-byte frame sent after the zero-length one`, `零长度帧之后发送的 ${payload.length} 字节帧的回复`),
        timeoutMs: REPLY_MS,
        hintSilent: t('After an empty frame the connection goes on: the next 4 bytes are the next header.', '空帧之后连接照常继续：接下来的 4 字节就是下一个帧的头部。'),
      });
    },
  },
  {
    id: '4.3',
    title: t('several frames in one write (sticky packets)', '多个帧合在一次写入里（粘包）'),
    points: 2,
    timeoutMs: 7000,
    async run(ctx) {
      const conn = await ctx.connect();
      const count = ctx.rng.int(3, 6);
      const payloads = Array.from({ length: count }, (_, i) => textPayload(ctx.rng, `frame ${i + 1} of ${count}`));
      await conn.send(Buffer.concat(payloads.map(encodeFrame)));
      for (let i = 0; i < count; i++) {
        await expectReply(conn, payloads[i]!, {
          what: t(`the reply to frame ${i + 1} of ${count}, all ${count} sent in a single write`, `对第 ${i + 1}/${count} 帧的回复（${count} 个帧在一次写入中发出）`),
          timeoutMs: i === 0 ? REPLY_MS : NEXT_MS,
          following: payloads.slice(i + 1),
          hintSilent:
            i === 0
              ? t(
                  'All the frames arrived together, most likely in a single read. Take the first frame out of the buffer, answer it, and look again: the rest of the buffer is the next frames.',
                  '所有帧是一起到达的，很可能就在一次读取里。从缓冲区取出第一个帧、回复它，然后再看一遍：缓冲区里剩下的就是后面的帧。',
                )
              : t(
                  `You answered ${i} of the ${count} frames that arrived together, then went quiet. ${HINT_LOOP.en}`,
                  `一起到达的 ${count} 个帧你只回复了 ${i} 个，然后就没动静了。${HINT_LOOP.zh}`,
                ),
          hintWrong: HINT_LOOP,
        });
      }
      await expectNoMoreFrames(conn, 60, count);
    },
  },
  {
    id: '4.4',
    title: t('one frame split over many writes, even inside the header', '一个帧拆成多次写入，头部也被拆开'),
    points: 2,
    timeoutMs: 5000,
    async run(ctx) {
      const conn = await ctx.connect();
      const payload = ctx.rng.bytes(ctx.rng.int(40, 200));
      const frame = encodeFrame(payload);
      const headerCut = ctx.rng.int(1, 3);
      const pieces = [frame.subarray(0, headerCut), ...splitRandomly(frame.subarray(headerCut), ctx.rng.int(4, 6), ctx.rng)];
      // A longer pause after the piece that ends inside the header, so that cut reaches the server
      // as its own read even on a busy machine.
      const writing = (async () => {
        await conn.send(pieces[0]!);
        await conn.pause(HEADER_GAP_MS);
        await conn.sendChunks(pieces.slice(1), PIECE_GAP_MS);
      })();
      writing.catch(() => {});
      await expectReply(conn, payload, {
        what: t(
          `the reply to one ${payload.length}-byte frame sent as ${pieces.length} writes, the first cut after ${plural(headerCut, 'header byte')}`,
          `对一个 ${payload.length} 字节帧的回复（分 ${pieces.length} 次写入，第一刀切在头部第 ${headerCut} 字节之后）`,
        ),
        timeoutMs: REPLY_MS + HEADER_GAP_MS + pieces.length * PIECE_GAP_MS,
        hintSilent: HINT_SPLIT,
        hintWrong: HINT_SPLIT,
      });
      await writing;
    },
  },
  {
    id: '4.5',
    title: t('a frame written one byte at a time', '逐字节写入的一个帧'),
    points: 1,
    timeoutMs: 5000,
    async run(ctx) {
      const conn = await ctx.connect();
      const payload = Buffer.from(ctx.rng.word(8, 14));
      const frame = encodeFrame(payload);
      const bytes = [...frame].map((b) => Buffer.from([b]));
      const writing = (async () => {
        await conn.send(bytes[0]!);
        await conn.pause(HEADER_GAP_MS); // the first header byte alone, whatever the machine's load
        await conn.sendChunks(bytes.slice(1), 3);
      })();
      writing.catch(() => {});
      await expectReply(conn, payload, {
        what: t(`the reply to a ${payload.length}-byte frame sent in ${bytes.length} one-byte writes`, `对一个 ${payload.length} 字节帧的回复（分 ${bytes.length} 次、每次 1 字节写入）`),
        timeoutMs: REPLY_MS + HEADER_GAP_MS + bytes.length * 5,
        hintSilent: HINT_SPLIT,
        hintWrong: HINT_SPLIT,
      });
      await writing;
    },
  },
  {
    id: '4.6',
    title: t('a frame of exactly 1 MiB (the largest allowed)', '恰好 1 MiB 的帧（允许的最大值）'),
    points: 2,
    timeoutMs: 6000,
    async run(ctx) {
      const conn = await ctx.connect();
      const payload = ctx.rng.bytes(MAX_PAYLOAD);
      const frame = encodeFrame(payload);
      const chunk = 64 * 1024;
      const pieces: Buffer[] = [];
      for (let off = 0; off < frame.length; off += chunk) pieces.push(frame.subarray(off, off + chunk));
      const writing = conn.sendChunks(pieces);
      writing.catch(() => {});
      await expectReply(conn, payload, {
        what: t(`the reply to a frame of exactly ${MAX_PAYLOAD} bytes, sent in ${pieces.length} writes`, `对恰好 ${MAX_PAYLOAD} 字节的帧的回复（分 ${pieces.length} 次写入）`),
        timeoutMs: 3000,
        hintSilent: t(
          'A big frame arrives in many reads (typically 64 KiB each). Keep appending until 4 + N bytes are there; only then answer. A single read will never hold all of it.',
          '大帧会分成很多次读取到达（通常每次 64 KiB）。持续追加，直到攒够 4 + N 字节再回复。一次读取永远装不下它。',
        ),
        hintClosed: t(
          'N = 1 048 576 is allowed: only N > 1 048 576 is refused. Check length > MAX, not length >= MAX.',
          'N = 1 048 576 是允许的：只有 N > 1 048 576 才拒绝。判断条件应该是 length > MAX，而不是 length >= MAX。',
        ),
      });
      await writing;
    },
  },
  {
    id: '4.7',
    title: t('headers over the limit, up to 2^32 − 1: close, serve others', '超出上限的头部（直到 2^32 − 1）：立即关闭，照常服务他人'),
    points: 2,
    timeoutMs: 10000,
    async run(ctx) {
      const first = textPayload(ctx.rng, 'a fine frame');
      const tooBig = MAX_PAYLOAD + 1;
      const conn = await ctx.connect('client 1');
      // A valid frame, then a header announcing 1 MiB + 1 and the first few payload bytes: the
      // server must answer the first, refuse the second as soon as its header is in, and close.
      await conn.send(Buffer.concat([encodeFrame(first), frameHeader(tooBig), ctx.rng.bytes(16)]));
      await expectReply(conn, first, {
        what: t('the reply to a valid frame sent just before the oversize header', '对超限头部之前那个正常帧的回复'),
        timeoutMs: REPLY_MS,
        hintSilent: HINT_STREAM,
        hintClosed: t(
          'Frames before the oversize one still get their replies: close with socket.destroySoon() or socket.end(), which send what you have written first — not socket.destroy().',
          '超限帧之前的帧仍然要回复：用 socket.destroySoon() 或 socket.end() 关闭，它们会先把已写出的数据发完——不要用 socket.destroy()。',
        ),
      });
      await expectRefused(conn, tooBig);
      // Closed (FIN or reset — either is a refusal). Now the server must still serve others.
      const survive = t(
        "Refusing a frame means closing that one socket. Don't throw, call process.exit() or server.close(): one bad client must not take the server down.",
        '拒绝一个帧意味着关闭那一个 socket。不要抛异常、不要调用 process.exit() 或 server.close()：一个捣乱的客户端不能让整个服务器停摆。',
      );
      let next: Conn;
      try {
        next = await ctx.connect('client 2');
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        fail({
          kind: 'crashed',
          summary: t(`after client 1's oversize header, the server no longer accepts connections (client 2: ${err.text.en})`, `收到客户端 1 的超限头部之后，服务器不再接受连接（客户端 2：${err.text.zh}）`),
          expected: t('only the offending connection closes; the server keeps serving others', '只关闭出问题的那个连接；服务器继续服务其他人'),
          hint: survive,
          conn,
          reproduce: reproduceWrites(conn),
        });
      }
      // A server that is dying may still accept client 2 for a moment, then drop it: same story.
      const payload = textPayload(ctx.rng, 'client 2');
      await next.send(encodeFrame(payload)).catch(() => {});
      await expectReply(next, payload, {
        what: t("client 2's frame, sent after client 1's oversize header", '客户端 1 发出超限头部之后，客户端 2 发送的帧'),
        timeoutMs: REPLY_MS,
        hintSilent: t('Refusing one client must leave the others untouched: close only that socket, and keep no state shared between connections.', '拒绝一个客户端不能影响其他人：只关闭那一个 socket，连接之间也不要共享状态。'),
        hintClosed: survive,
        skeletonHint: false,
      });
      // The far end of the field, each on a connection of its own. 2^32 − 1 comes before 2^31: read
      // as a signed number it is −1, which such a server tends to answer at once; −2^31 can send it
      // into a loop that never ends, and the check would only see it hang.
      const extremes = [0xffffffff, 0x80000000, ctx.rng.int(0x80000001, 0xfffffffe), 0x7fffffff];
      for (const [k, n] of extremes.entries()) {
        const c = await ctx.connect(`client ${k + 3} (announces ${n} bytes)`);
        // The header alone: the server must refuse it without waiting for a payload.
        await c.send(frameHeader(n));
        await expectRefused(c, n);
        c.abort();
      }
    },
  },
  {
    id: '4.8',
    title: t('hundreds of frames, random sizes, random write boundaries', '数百个帧，随机大小，随机写入边界'),
    points: 3,
    timeoutMs: 10000,
    async run(ctx) {
      const { rng } = ctx;
      const count = rng.int(200, 260);
      const payloads = Array.from({ length: count }, () => {
        const r = rng.next();
        const size = r < 0.08 ? 0 : r < 0.5 ? rng.int(1, 32) : r < 0.8 ? rng.int(33, 600) : r < 0.95 ? rng.int(601, 8000) : rng.int(8001, 70000);
        return rng.bytes(size);
      });
      const stream = Buffer.concat(payloads.map(encodeFrame));
      // Writes of every size: a few bytes (cutting headers), a frame or so, many frames at once.
      const writes: Buffer[] = [];
      for (let off = 0; off < stream.length; ) {
        const r = rng.next();
        const size = r < 0.35 ? rng.int(1, 7) : r < 0.7 ? rng.int(8, 400) : r < 0.9 ? rng.int(401, 6000) : rng.int(6001, 90000);
        writes.push(stream.subarray(off, off + size));
        off += size;
      }
      const frames = frameOffsets(payloads);
      // One cut, two bytes into the sixth frame's header, is held open for a while: a server that
      // cannot take a header in two reads then fails here on every run, not only on a quick machine.
      const hold = frames[5]! + 2;
      const starts = writeOffsets(writes);
      const spanning = starts.findIndex((off, k) => off < hold && hold < (starts[k + 1] ?? 0));
      if (spanning >= 0) writes.splice(spanning, 1, writes[spanning]!.subarray(0, hold - starts[spanning]!), writes[spanning]!.subarray(hold - starts[spanning]!));
      const cuts = writeOffsets(writes);
      const held = cuts.indexOf(hold);
      const conn = await ctx.connect();
      const writing = (async () => {
        await conn.sendChunks(writes.slice(0, held));
        await conn.pause(HEADER_GAP_MS);
        await conn.sendChunks(writes.slice(held));
      })();
      writing.catch(() => {});
      for (let i = 0; i < count; i++) {
        const travel = describeTravel(describeDelivery(i, frames, cuts));
        const n = payloads[i]!.length;
        await expectReply(conn, payloads[i]!, {
          what: t(
            `the reply to frame ${i + 1} of ${count} (${plural(n, 'byte')}; ${travel.en})`,
            `对第 ${i + 1}/${count} 帧（${n} 字节；${travel.zh}）的回复`,
          ),
          timeoutMs: i === 0 ? REPLY_MS : NEXT_MS,
          following: payloads.slice(i + 1, i + 40),
          hintSilent: HINT_STREAM,
          hintWrong: HINT_STREAM,
        });
      }
      await writing;
    },
  },
  {
    id: '4.9',
    title: t('binary payloads: all 256 byte values, fake headers', '二进制负载：全部 256 种字节值，夹带假头部'),
    points: 1,
    timeoutMs: 6000,
    async run(ctx) {
      const conn = await ctx.connect();
      const tricky = Buffer.concat([
        frameHeader(3),
        Buffer.from('abc\r\n\n'),
        Buffer.from([0x00, 0x00, 0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0x80, 0xf0, 0x9f]),
        Buffer.from('中文'),
        ctx.rng.bytes(32),
      ]);
      const payloads: [Text, Buffer][] = [
        [t('all 256 byte values, shuffled', '打乱顺序的全部 256 种字节值'), Buffer.from(ctx.rng.shuffle([...Array(256).keys()]))],
        [t('bytes that look like a header, CR LF, NUL, invalid UTF-8', '看起来像头部的字节、CR LF、NUL、非法 UTF-8'), tricky],
        [t('4000 random bytes', '4000 个随机字节'), ctx.rng.bytes(4000)],
      ];
      for (const [label, payload] of payloads) {
        await conn.send(encodeFrame(payload));
        await expectReply(conn, payload, {
          what: t(`the reply to a frame of ${label.en}`, `对一个“${label.zh}”帧的回复`),
          timeoutMs: REPLY_MS,
          hintSilent: t(
            `Nothing came back for a binary frame. ${HINT_BINARY.en} The payload is opaque: bytes inside it that look like a header or a newline are just data — only the length says where a frame ends.`,
            `二进制帧没有收到回复。${HINT_BINARY.zh}负载对协议是不透明的：里面看起来像头部或换行的字节都只是数据——只有长度决定帧在哪里结束。`,
          ),
          hintWrong: HINT_BINARY,
        });
      }
    },
  },
  {
    id: '4.10',
    title: t('a slow client mid-frame does not hold up fast ones', '慢客户端卡在半个帧时，不耽误快客户端'),
    points: 2,
    timeoutMs: 8000,
    async run(ctx) {
      const { rng } = ctx;
      const slowPayload = rng.bytes(rng.int(48, 96));
      const slowFrame = encodeFrame(slowPayload);
      const headerCut = rng.int(1, 3);
      const held = slowFrame.length - rng.int(1, 8); // the slow client holds its last bytes back
      const dribble = [slowFrame.subarray(headerCut, HEADER_BYTES), ...splitRandomly(slowFrame.subarray(HEADER_BYTES, held), 4, rng)];
      const fastClients = 3;
      const perClient = 4;
      const fastPayloads = Array.from({ length: fastClients }, (_, k) => Array.from({ length: perClient }, (_, i) => textPayload(rng, `fast client ${k + 2}, frame ${i + 1}`)));

      const slow = await ctx.connect('client 1 (slow)');
      await slow.send(slowFrame.subarray(0, headerCut));
      const dribbling = (async () => {
        await slow.pause(HEADER_GAP_MS); // stopped inside its header, long enough to be a read of its own
        await slow.sendChunks(dribble, 10);
      })();
      dribbling.catch(() => {});
      await Promise.all(
        fastPayloads.map(async (mine, k) => {
          const conn = await ctx.connect(`client ${k + 2} (fast)`);
          for (let i = 0; i < perClient; i++) {
            await conn.send(encodeFrame(mine[i]!));
            await expectReply(conn, mine[i]!, {
              what: t(
                `the reply to fast client ${k + 2}'s frame ${i + 1} of ${perClient}, while client 1 was in the middle of a frame`,
                `在客户端 1 只发了半个帧的时候，对快客户端 ${k + 2} 第 ${i + 1}/${perClient} 帧的回复`,
              ),
              timeoutMs: REPLY_MS,
              hintSilent: HINT_PER_CONNECTION,
              hintWrong: HINT_PER_CONNECTION,
            });
          }
        }),
      );
      await dribbling;
      await slow.send(slowFrame.subarray(held));
      await expectReply(slow, slowPayload, {
        what: t(
          `the reply to slow client 1's ${slowPayload.length}-byte frame, which arrived in ${dribble.length + 2} pieces while the others were served`,
          `对慢客户端 1 的 ${slowPayload.length} 字节帧的回复（这个帧在服务其他客户端期间分 ${dribble.length + 2} 块到达）`,
        ),
        timeoutMs: REPLY_MS,
        hintSilent: t(
          `A frame that takes its time must still be answered when it completes. ${HINT_PER_CONNECTION.en}`,
          `慢慢到达的帧，在它完整时也必须回复。${HINT_PER_CONNECTION.zh}`,
        ),
        hintWrong: HINT_PER_CONNECTION,
      });
    },
  },
  {
    id: '4.11',
    title: t('half-close: answer whole frames, drop a partial one', '半关闭：回复完整的帧，丢弃残缺的帧'),
    points: 2,
    timeoutMs: 7000,
    async run(ctx) {
      const { rng } = ctx;
      // Two clients at once: one ends inside a payload, one inside a header. Inputs first, so the
      // order in which the connections open cannot change them.
      const plans = (['payload', 'header'] as const).map((where, k) => {
        const count = rng.int(2, 4);
        const payloads = Array.from({ length: count }, (_, i) => textPayload(rng, `client ${k + 1}, frame ${i + 1}`));
        const last = rng.bytes(rng.int(20, 60));
        const partial = where === 'payload' ? encodeFrame(last).subarray(0, HEADER_BYTES + rng.int(1, last.length - 1)) : frameHeader(last.length).subarray(0, rng.int(1, 3));
        return { label: `client ${k + 1}`, where, payloads, partial, lastLength: last.length + HEADER_BYTES };
      });
      await Promise.all(
        plans.map(async (plan) => {
          const conn = await ctx.connect(plan.label);
          const count = plan.payloads.length;
          await conn.send(Buffer.concat([...plan.payloads.map(encodeFrame), plan.partial]));
          conn.end();
          const trailing = plan.where === 'payload'
            ? t(`${plan.partial.length} of the ${plan.lastLength} bytes of a last frame (its header and part of its payload)`, `最后一个帧 ${plan.lastLength} 字节中的 ${plan.partial.length} 字节（头部和部分负载）`)
            : t(`the first ${plural(plan.partial.length, 'byte')} of a last frame's header`, `最后一个帧头部的前 ${plan.partial.length} 字节`);
          for (let i = 0; i < count; i++) {
            await expectReply(conn, plan.payloads[i]!, {
              what: t(
                `${plan.label}: the reply to complete frame ${i + 1} of ${count}, sent with ${trailing.en} and then our FIN`,
                `${connectionText(plan.label).zh}：对完整帧 ${i + 1}/${count} 的回复（随后还发了${trailing.zh}，然后是 FIN）`,
              ),
              timeoutMs: i === 0 ? REPLY_MS : NEXT_MS,
              hintSilent: HINT_STREAM,
              hintClosed: t(
                "The client half-closed after sending complete frames; each still needs its reply before you close. If replies are written later (after a timer, a promise), note that Node ends your side as soon as 'end' fires unless you create the server with allowHalfOpen: true — then call socket.end() yourself after the last reply.",
                "客户端在发完若干完整帧之后半关闭了；关闭之前，每个完整帧都还要回复。如果回复是稍后才写的（定时器、Promise 之后），要知道 Node 默认在 'end' 触发时就结束你这一侧——除非创建服务器时设置 allowHalfOpen: true，然后在最后一个回复之后自己调用 socket.end()。",
              ),
            });
          }
          const { data, how } = await conn.readToEnd(CLOSE_MS);
          if (data.length > 0) {
            fail({
              summary: t(
                `${plan.label}: after the ${plural(count, 'reply', 'replies')}, the server sent ${data.length} more bytes (${escapeBytes(data, 32)}) — it answered the incomplete last frame, of which we had sent only ${trailing.en}`,
                `${connectionText(plan.label).zh}：在 ${count} 个回复之后，服务器又发了 ${data.length} 字节（${escapeBytes(data, 32)}）——它回复了残缺的最后一个帧，而那个帧我们只发了${trailing.zh}`,
              ),
              expected: t(`${plural(count, 'reply', 'replies')}, then the server closes`, `${count} 个回复，然后服务器关闭连接`),
              hint: t(
                "An incomplete frame at the end is discarded, never answered: on 'end', whatever is left in the buffer is not a message. Only the length header says where a frame ends.",
                "末尾残缺的帧直接丢弃，不要回复：'end' 触发时缓冲区里剩下的不是一条消息。只有长度头部能说明一个帧在哪里结束。",
              ),
              conn,
              reproduce: reproduceWrites(conn),
            });
          }
          if (how === 'open') {
            fail({
              kind: 'not-closed',
              summary: t(
                `${plan.label}: all ${plural(count, 'reply', 'replies')} arrived, but ${formatMs(CLOSE_MS)} after our FIN the connection was still open`,
                `${connectionText(plan.label).zh}：${count} 个回复都收到了，但我们发出 FIN ${formatMs(CLOSE_MS)} 之后，连接仍然开着`,
              ),
              expected: t('after the client half-closes: answer the complete frames, drop the incomplete rest, then close (FIN)', '客户端半关闭后：回复完整的帧，丢弃残缺的部分，然后关闭（FIN）'),
              hint: t(
                "When the client half-closes, the socket emits 'end': no more bytes will come, so a partial frame will never complete. Call socket.end() then (Node does it for you unless the server was created with allowHalfOpen: true).",
                "客户端半关闭时，socket 会触发 'end'：不会再有字节到来，残缺的帧永远不会完整。这时调用 socket.end()（除非创建服务器时设置了 allowHalfOpen: true，否则 Node 会自动这么做）。",
              ),
              conn,
              reproduce: reproduceWrites(conn),
            });
          }
          if (how !== 'fin') {
            fail({
              kind: kindOf(how),
              summary: t(`${plan.label}: after the replies, the connection was ${how === 'reset' ? 'reset' : 'flooded'} instead of closed normally`, `${connectionText(plan.label).zh}：回复之后，连接${how === 'reset' ? '被重置了' : '数据泛滥'}，而不是正常关闭`),
              expected: t('a normal close (FIN)', '正常关闭（FIN）'),
              hint: t('Close with socket.end(), which sends a FIN after the data already written — not socket.destroy() while bytes are still unread.', '用 socket.end() 关闭，它会在已写出的数据之后发送 FIN——不要在还有未读字节时调用 socket.destroy()。'),
              conn,
              reproduce: reproduceWrites(conn),
            });
          }
        }),
      );
    },
  },
  {
    id: '4.12',
    title: t('pauses of 1.5 s inside a header, inside a payload and between frames', '在头部中间、负载中间和两个帧之间停顿 1.5 秒'),
    points: 2,
    timeoutMs: 7000,
    background: true,
    async run(ctx) {
      const { rng } = ctx;
      // Inputs first, so the order in which the clients run cannot change them.
      const a1 = rng.bytes(rng.int(20, 200));
      const a2 = textPayload(rng, 'client 1, after its pause');
      const headerCut = rng.int(1, 3);
      const b = rng.bytes(rng.int(300, 3000));
      const payloadCut = HEADER_BYTES + rng.int(1, b.length - 1);
      const c1 = textPayload(rng, 'client 3, before its pause');
      const c2 = textPayload(rng, 'client 3, after its pause');
      const pause = formatMs(PAUSE_MS);
      await Promise.all([
        (async () => {
          const conn = await ctx.connect('client 1 (pauses inside a header)');
          const sending = sendWithPause(conn, Buffer.concat([encodeFrame(a1), encodeFrame(a2)]), headerCut, PAUSE_MS);
          sending.catch(() => {});
          const what = (i: number, p: Buffer): Text => t(
            `client 1: the reply to frame ${i} (${plural(p.length, 'byte')}); the client sent ${plural(headerCut, 'header byte')}, paused ${pause}, then the rest of the frame and a second one in one write`,
            `客户端 1：对第 ${i} 帧（${p.length} 字节）的回复；客户端先发了头部的 ${headerCut} 字节，停顿 ${pause}，再在一次写入里发出这个帧的其余部分和第二个帧`,
          );
          await expectReply(conn, a1, { what: what(1, a1), timeoutMs: PAUSE_MS + REPLY_MS, hintSilent: HINT_SPLIT, hintClosed: HINT_PAUSE, skeletonHint: false });
          await expectReply(conn, a2, { what: what(2, a2), timeoutMs: NEXT_MS, hintSilent: HINT_LOOP, hintClosed: HINT_PAUSE, hintWrong: HINT_LOOP, skeletonHint: false });
          await sending;
        })(),
        (async () => {
          const conn = await ctx.connect('client 2 (pauses inside a payload)');
          const sending = sendWithPause(conn, encodeFrame(b), payloadCut, PAUSE_MS);
          sending.catch(() => {});
          await expectReply(conn, b, {
            what: t(
              `client 2: the reply to a ${b.length}-byte frame; the client sent its header and ${plural(payloadCut - HEADER_BYTES, 'payload byte')}, paused ${pause}, then the rest`,
              `客户端 2：对一个 ${b.length} 字节帧的回复；客户端先发了头部和 ${payloadCut - HEADER_BYTES} 个负载字节，停顿 ${pause}，再发出其余部分`,
            ),
            timeoutMs: PAUSE_MS + REPLY_MS,
            hintSilent: HINT_SPLIT,
            hintClosed: HINT_PAUSE,
            hintWrong: HINT_SPLIT,
            skeletonHint: false,
          });
          await sending;
        })(),
        (async () => {
          const conn = await ctx.connect('client 3 (quiet between frames)');
          await conn.send(encodeFrame(c1));
          await expectReply(conn, c1, { what: t('client 3: the reply to its first frame', '客户端 3：对它第一个帧的回复'), timeoutMs: REPLY_MS, hintSilent: HINT_STREAM });
          conn.note(t(`stays quiet for ${pause}, then sends another frame`, `安静 ${pause}，然后再发一个帧`));
          await conn.pause(PAUSE_MS);
          await conn.send(encodeFrame(c2)).catch(() => {});
          await expectReply(conn, c2, {
            what: t(`client 3: the reply to a frame sent after ${pause} of quiet on the connection`, `客户端 3：连接安静 ${pause} 之后发送的帧的回复`),
            timeoutMs: REPLY_MS,
            hintSilent: HINT_PAUSE,
            hintClosed: HINT_PAUSE,
            skeletonHint: false,
          });
        })(),
      ]);
    },
  },
  {
    id: '4.13',
    title: t('6 MiB of replies to a client that stops reading, then reads slowly; others served meanwhile', '向一个先停止读取、再慢慢读的客户端回复 6 MiB；同时照常服务其他人'),
    points: 3,
    timeoutMs: 20000,
    background: true,
    async run(ctx) {
      const { rng } = ctx;
      // Big frames of different lengths, a small one after each: more than the kernel's buffers
      // between us hold (about 4 MB on Linux loopback), so the server must keep replies — or stop
      // reading this client — until the client reads again.
      // Each big payload is a window of one random block, rotated: as good as fresh dice for
      // telling replies apart, at a sixth of the cost (6 MiB of dice block the grader for ~70 ms).
      const block = rng.bytes(MAX_PAYLOAD);
      const payloads: Buffer[] = [];
      let total = 0;
      while (total < BACKLOG_BYTES) {
        const at = rng.int(1, MAX_PAYLOAD - 1);
        const big = Buffer.concat([block.subarray(at), block.subarray(0, at)]).subarray(0, rng.int(MAX_PAYLOAD / 2, MAX_PAYLOAD));
        payloads.push(big, textPayload(rng, `client 1, small frame ${payloads.length + 2}`));
        total += big.length;
      }
      payloads.push(textPayload(rng, `client 1, small frame ${payloads.length + 1}`));
      // One write per frame, but the last two small ones together: the stream ends with two frames
      // in one read whatever the timing, so a server that answers one frame per read is always
      // left owing one (rather than only when the reads happened to fall that way).
      const frames = payloads.map(encodeFrame);
      const writes = [...frames.slice(0, -2), Buffer.concat(frames.slice(-2))];
      const others = Array.from({ length: 3 }, (_, k) => Array.from({ length: 3 }, (_, i) => textPayload(rng, `client ${k + 2}, frame ${i + 1}`)));
      const mib = (total / 1024 / 1024).toFixed(1);

      const slow = await ctx.connect('client 1 (stops reading, then reads slowly)');
      stopReading(slow);
      let settled = false;
      const writing = slow.sendChunks(writes).finally(() => (settled = true));
      writing.catch(() => {});
      // Once replies are arriving, wait until the server has taken all of client 1's frames, or has
      // stopped taking them (pausing a client whose replies back up is right), and a little more:
      // from then on the server holds replies it cannot send, whatever it does about it.
      if (await untilUnreadArrives(slow, REPLY_MS)) {
        const since = Date.now();
        let unsent = -1;
        let still = 0;
        while (!settled && still < 10 && Date.now() - since < SILENT_MS) {
          await ctx.sleep(10);
          still = slow.unsent > 0 && slow.unsent === unsent ? still + 1 : 0;
          unsent = slow.unsent;
        }
        await ctx.sleep(BACKED_UP_MS);
        await Promise.all(
          others.map(async (mine, k) => {
            const conn = await ctx.connect(`client ${k + 2}`);
            for (const [i, p] of mine.entries()) {
              // Spread over half a second: a server that gets stuck behind client 1 only after a
              // while (a queue that reaches client 1's replies late) is caught all the same.
              if (i > 0) await ctx.sleep(OTHERS_GAP_MS);
              await conn.send(encodeFrame(p));
              await expectReply(conn, p, {
                what: t(
                  `client ${k + 2}: the reply to frame ${i + 1} of ${mine.length}, sent while client 1 was not reading its ${mib} MiB of replies`,
                  `客户端 ${k + 2}：对第 ${i + 1}/${mine.length} 帧的回复（发送时客户端 1 没有读取它那 ${mib} MiB 的回复）`,
                ),
                timeoutMs: REPLY_MS,
                hintSilent: HINT_NOT_STUCK,
                hintWrong: HINT_PER_CONNECTION,
              });
            }
            conn.abort();
          }),
        );
        await ctx.sleep(Math.max(0, since + SILENT_MS - Date.now()));
      }
      const reader = readSlowly(slow, SLOW_READ_GAP_MS);
      for (const [i, p] of payloads.entries()) {
        await expectReply(slow, p, {
          what: t(
            `client 1: the reply to frame ${i + 1} of ${payloads.length} (${plural(p.length, 'byte')}); the client sent ${mib} MiB of frames, read nothing for ${formatMs(SILENT_MS)}, then read slowly`,
            `客户端 1：对第 ${i + 1}/${payloads.length} 帧（${p.length} 字节）的回复；客户端发出 ${mib} MiB 的帧，${formatMs(SILENT_MS)} 内什么都没读，然后慢慢读`,
          ),
          timeoutMs: 6000,
          hintSilent: HINT_SLOW_READER,
          hintClosed: HINT_SLOW_READER,
          hintCutShort: HINT_SLOW_READER,
          hintWrong: HINT_SLOW_READER,
          skeletonHint: false,
        });
      }
      await reader.stop();
      await writing;
    },
  },
];

/** Hints for `npm run hint 4`, gentlest first: each gives a little more away. */
const hints: Text[] = [
    t(
      "Watch it misbehave first: run PORT=9000 npx tsx exercises/04-message-framing/server.ts, then in another terminal node -e 'const s=require(\"net\").connect(9000,\"127.0.0.1\",()=>s.end(Buffer.from([0,0,0,3,97,98,99])));s.on(\"data\",d=>console.log(d))'. A working server answers <Buffer 00 00 00 03 63 62 61>: the same length, then \"cba\". The skeleton hangs up at once — that socket.end() is the line to replace.",
      "先亲眼看看它哪里不对：运行 PORT=9000 npx tsx exercises/04-message-framing/server.ts，再在另一个终端运行 node -e 'const s=require(\"net\").connect(9000,\"127.0.0.1\",()=>s.end(Buffer.from([0,0,0,3,97,98,99])));s.on(\"data\",d=>console.log(d))'。正确的服务器会回复 <Buffer 00 00 00 03 63 62 61>：长度不变，后面是 \"cba\"。骨架代码一连上就挂断了——要替换的就是那行 socket.end()。",
    ),
    t(
      "A 'data' event is not a message. It may hold half a frame, exactly one, or three and a bit. Give each connection its own buffer (a variable inside the connection handler) and append every chunk to it: Buffer.concat([pending, chunk]).",
      "一次 'data' 事件不等于一条消息。它可能只有半个帧，可能正好一个，也可能是三个多一点。给每个连接准备一个自己的缓冲区（连接回调里的一个变量），每收到一块就追加进去：Buffer.concat([pending, chunk])。",
    ),
    t(
      'After appending, loop: while the buffer holds at least 4 bytes, read N = pending.readUInt32BE(0); if it holds fewer than 4 + N bytes, stop and wait for more; otherwise take the payload (pending.subarray(4, 4 + N)), answer it, and cut the frame off the front (pending = pending.subarray(4 + N)). A while, not an if: several frames can be waiting.',
      '追加之后循环处理：只要缓冲区里至少有 4 字节，就读出 N = pending.readUInt32BE(0)；如果不足 4 + N 字节，就停下来等更多数据；否则取出负载（pending.subarray(4, 4 + N)），回复它，再把这个帧从缓冲区前面切掉（pending = pending.subarray(4 + N)）。要用 while 而不是 if：可能有好几个帧在排队。',
    ),
    t(
      'The reply: a 4-byte header made with Buffer.alloc(4) and header.writeUInt32BE(N) — big-endian, and N counts the payload only — followed by Buffer.from(payload).reverse(). An empty payload (N = 0) is a complete frame too: answer 00 00 00 00.',
      '回复：用 Buffer.alloc(4) 和 header.writeUInt32BE(N) 做出 4 字节头部——大端序，N 只计算负载——后面跟上 Buffer.from(payload).reverse()。空负载（N = 0）也是完整的帧：回复 00 00 00 00。',
    ),
    t(
      "The limit: check N as soon as you have read it, before waiting for the payload. If N > 1 048 576, stop reading (socket.pause()) and close with socket.destroySoon(), which still sends the replies you already wrote. Never throw: one bad client must not stop the server.",
      "上限：一读出 N 就检查，不要等负载。如果 N > 1 048 576，就停止读取（socket.pause()），并用 socket.destroySoon() 关闭连接，它仍会把已经写出的回复发出去。不要抛异常：一个捣乱的客户端不能让服务器停下来。",
    ),
    t(
      "Half-close: when the client sends FIN, 'end' fires. Every complete frame has been answered by then if you reply inside the 'data' handler; whatever is left in the buffer is an incomplete frame — drop it. Node then ends your side for you (allowHalfOpen is false by default). Add socket.on('error', …) as in stage 1, and pause on write() === false until 'drain'.",
      "半关闭：客户端发送 FIN 时会触发 'end'。如果你在 'data' 回调里就回复，那时所有完整的帧都已经回复过了；缓冲区里剩下的是残缺的帧——丢掉即可。然后 Node 会替你关闭这一侧（allowHalfOpen 默认为 false）。像第 1 关一样加上 socket.on('error', …)，并在 write() 返回 false 时暂停读取，直到 'drain'。",
    ),
];

export default defineStage(import.meta.url, {
  title: t('Message framing', '消息分帧'),
  checks,
  hints,
});
