/**
 * Stage 1 — TCP echo. Every byte a client sends comes back unchanged on the same connection, for
 * many clients at once, and the server closes properly after the client's FIN.
 */
import { CheckFailure, fail } from '../../failure.ts';
import { t, type Text } from '../../i18n.ts';
import { defineStage } from '../../stage.ts';
import type { Check } from '../../types.ts';
import { type Conn, WireError, formatMs } from '../../wire/conn.ts';
import { largePayload, readInBursts, sendUntilStalled, stayQuiet, stopReading } from '../../wire/adversary.ts';
import { expectBytes, expectNothingMore, expectStream } from '../../expect/bytes.ts';
import { kindOf } from '../../expect/kinds.ts';
import { expectNoDescriptorLeak, LEAK_CLIENTS } from '../../expect/leaks.ts';

/**
 * Bound on waiting for a small echo. A working server answers in well under 10 ms; the margin is
 * for a machine busy with other work (a class graded two at a time, tests running beside it).
 */
const REPLY_MS = 2000;

const HINT_BINARY = t(
  "Write back the Buffer you received, as is: no toString(), no setEncoding(), no string concatenation — those decode bytes as UTF-8 text and mangle anything that is not valid text.",
  '把收到的 Buffer 原样写回去：不要 toString()，不要 setEncoding()，不要拼接字符串——这些操作会把字节当成 UTF-8 文本解码，不是合法文本的字节就会被改掉。',
);
const HINT_KEEP_READING = t(
  "Keep echoing for as long as the connection is open: handle every 'data' event, not just the first, and don't close the socket after replying once.",
  '只要连接还开着就继续回显：处理每一个 \'data\' 事件而不只是第一个，回复一次之后不要关闭 socket。',
);
const HINT_STREAM = t(
  'TCP is a byte stream, not a message service: one write may arrive in many reads, and many writes in one read. An echo server must not care — echo each chunk as it arrives.',
  'TCP 是字节流而不是消息服务：一次写入可能分成多次读到，多次写入也可能一次读到。回显服务器不必关心这些——每收到一块就回显一块。',
);

/** Whether a promise has settled, without waiting for it. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  const pending = Symbol();
  return (await Promise.race([p.then(() => true, () => true), Promise.resolve(pending)])) !== pending;
}

const line = (words: string[]): Buffer => Buffer.from(words.join(' ') + '\n');

/** How long a connection stays quiet before it is used again: beyond any short idle timeout. */
const QUIET_MS = 1200;

const HINT_IDLE = t(
  `The client was quiet for ${QUIET_MS / 1000} s, then sent again — and the connection was gone. A connection may sit idle for as long as the client likes: don't close it on a timer (socket.setTimeout() with destroy() or end()), only when the client closes.`,
  `客户端沉默了 ${QUIET_MS / 1000} 秒后再次发送——连接却已经没了。连接空闲多久由客户端决定：不要用定时器关闭它（socket.setTimeout() 配合 destroy() 或 end()），只在客户端关闭时才关闭。`,
);

/**
 * `msg` must come back on `conn` and nowhere else. When it does not, `other` (the client that took
 * the previous turn) is asked whether it got the bytes instead.
 */
async function expectOwnEcho(conn: Conn, other: Conn, msg: Buffer, what: Text, hint: Text, hintWhose: Text): Promise<void> {
  try {
    await expectBytes(conn, msg, { timeoutMs: REPLY_MS, what, hint, hintWhenDifferent: hintWhose });
  } catch (err) {
    if (!(err instanceof CheckFailure) || !other.peek().includes(msg)) throw err;
    fail({
      summary: t(`${what.en}: it never came back to ${conn.label} — ${other.label} received it instead`, `${what.zh}：它没有回到${conn.name.zh}，而是被${other.name.zh}收到了`),
      expected: t(`the echo on ${conn.label}'s own connection, and nothing on ${other.label}'s`, `回显只出现在${conn.name.zh}自己的连接上，${other.name.zh}那里什么都不该有`),
      hint: hintWhose,
      conn: other,
    });
  }
}

const checks: Check[] = [
  {
    id: '1.1',
    title: t('small text round trip', '短文本往返'),
    points: 1,
    timeoutMs: 4000,
    async run(ctx) {
      const conn = await ctx.connect('client', { maxBuffered: 1024 * 1024 });
      const msg = line(['hello,', 'socklab', ctx.rng.word()]);
      await conn.send(msg);
      await expectBytes(conn, msg, {
        timeoutMs: REPLY_MS,
        hint: t(
          "Nothing, or not all of it, came back. In the 'connection' handler, listen for 'data' and write each chunk back: socket.on('data', (chunk) => socket.write(chunk)).",
          "没有回显，或者没有全部回显。在 'connection' 回调里监听 'data'，把每一块写回去：socket.on('data', (chunk) => socket.write(chunk))。",
        ),
        hintWhenDifferent: t('Echo exactly what arrived: no prefix, no prompt, no added newline.', '原样回显收到的内容：不要加前缀、提示符或额外的换行。'),
      });
      await expectNothingMore(conn, 40, t('Echo exactly what arrived: no prefix, no prompt, no added newline.', '原样回显收到的内容：不要加前缀、提示符或额外的换行。'));
    },
  },
  {
    id: '1.2',
    title: t('all 256 byte values come back unchanged', '256 种字节值全部原样返回'),
    points: 1,
    timeoutMs: 4000,
    async run(ctx) {
      const conn = await ctx.connect();
      const all = Buffer.from(ctx.rng.shuffle([...Array(256).keys()]));
      await conn.send(all);
      await expectBytes(conn, all, {
        timeoutMs: REPLY_MS,
        what: t('256 bytes, one of each value 0x00–0xff', '256 个字节，0x00–0xff 每个值一个'),
        hint: HINT_BINARY,
      });
      await expectNothingMore(conn, 40, HINT_BINARY);
    },
  },
  {
    id: '1.3',
    title: t('24 MiB echoed to a client that keeps pausing its reads (backpressure)', '把 24 MiB 回显给一个读读停停的客户端（背压）'),
    points: 2,
    timeoutMs: 20000,
    async run(ctx) {
      // Far more than the kernel's buffers hold on both sides, and read slowly: the server's writes
      // keep finding a full send buffer. A server that drops what write() could not take at once,
      // or ignores how much a send() really sent, loses bytes here; one that stops reading when
      // write() returns false must start again on 'drain'.
      const size = 24 * 1024 * 1024 + ctx.rng.int(0, 65535);
      const data = largePayload(ctx.rng, size);
      const chunk = 64 * 1024;
      const conn = await ctx.connect();
      const reader = readInBursts(conn, 4 * 1024 * 1024, 25);
      const writing = (async () => {
        for (let off = 0; off < size; off += chunk) await conn.send(data.subarray(off, off + chunk));
      })();
      writing.catch(() => {});
      // Bytes lost at the very end look like a stall, not like wrong bytes. So once everything is
      // written and the echo is complete or has stood still for a second, 16 more bytes follow: a
      // server that lost bytes echoes these straight after the gap, and the check can say which
      // bytes went missing instead of "hung". TCP keeps order, so a correct server is unaffected.
      const tail = largePayload(ctx.rng, 16);
      const tailing = (async () => {
        await writing;
        let seen = -1;
        let since = Date.now();
        while (conn.receivedTotal < size && !conn.closed && Date.now() - since < 1000) {
          if (conn.receivedTotal !== seen) [seen, since] = [conn.receivedTotal, Date.now()];
          await ctx.sleep(100);
        }
        if (!conn.closed) await conn.send(tail);
      })();
      tailing.catch(() => {});
      const hintStream = t(
        "Echo each chunk as it arrives rather than collecting everything until the client closes. If the transfer stalls part-way, you may pause reading when write() returns false and never resume — resume on 'drain', or simply use socket.pipe(socket), which does both.",
        "每收到一块就回显，不要攒到客户端关闭才发。如果传输中途卡住，可能是 write() 返回 false 时你暂停了读取却再也没有恢复——在 'drain' 事件里恢复，或者直接用 socket.pipe(socket)，它两件事都会做。",
      );
      try {
        await conn.waitFor(1, REPLY_MS); // fail fast when nothing comes back at all
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        fail({
          kind: kindOf(err),
          summary: t(
            `we kept sending (${conn.sentTotal} bytes so far) but no echo came back: ${err.text.en}`,
            `我们一直在发送（目前 ${conn.sentTotal} 字节），但没有收到任何回显：${err.text.zh}`,
          ),
          expected: t('the echo to start flowing back while we are still sending', '在我们还在发送时，回显就开始流回来'),
          hint: hintStream,
          conn,
        });
      }
      await expectStream(conn, Buffer.concat([data, tail]), {
        stallMs: 3000,
        what: t(`the echo of ${size + tail.length} bytes sent in ${Math.ceil(size / chunk) + 1} writes, read with pauses`, `分 ${Math.ceil(size / chunk) + 1} 次写入、被读读停停地读取的 ${size + tail.length} 字节的回显`),
        hint: hintStream,
        hintWhenDifferent: t(
          "Bytes went missing or changed where the client read slowly. When socket.write() returns false the chunk is still queued — never drop or skip data then, and never reuse a Buffer you have passed to write() (it is sent later, as it is by then). In other languages, send() may send only part of what you give it: send the rest (Python: sendall()).",
          '在客户端读得慢的地方，字节丢了或者变了。socket.write() 返回 false 时，这一块仍然在队列里——这时不要丢弃或跳过数据，也不要复用已经交给 write() 的 Buffer（它稍后才发送，发送的是那时的内容）。在其他语言里，send() 可能只发出你给它的一部分：剩下的要接着发（Python：sendall()）。',
        ),
      });
      reader.stop();
      await tailing;
    },
  },
  {
    id: '1.4',
    title: t('several messages on one connection, the last after 1.2 s of silence', '同一连接上的多条消息，最后一条在沉默 1.2 秒之后'),
    points: 1,
    timeoutMs: 7000,
    background: true,
    async run(ctx) {
      const conn = await ctx.connect();
      const count = ctx.rng.int(3, 5);
      for (let i = 1; i <= count; i++) {
        // A person at a keyboard, a program waiting on its own input: a connection may sit quiet
        // for seconds and then be used again.
        if (i === count) await stayQuiet(conn, QUIET_MS);
        const msg = line([`message ${i} of ${count}:`, ctx.rng.word(), ctx.rng.word()]);
        await conn.send(msg);
        await expectBytes(conn, msg, {
          timeoutMs: REPLY_MS,
          what:
            i === count
              ? t(`the echo of message ${i} of ${count}, sent after ${formatMs(QUIET_MS)} of silence`, `第 ${i}/${count} 条消息的回显（在沉默 ${formatMs(QUIET_MS)} 之后发送）`)
              : t(`the echo of message ${i} of ${count} (each sent after the previous echo came back)`, `第 ${i}/${count} 条消息的回显（每条都在上一条的回显收到之后才发送）`),
          hint: i === count ? HINT_IDLE : i > 1 ? HINT_KEEP_READING : undefined,
        });
      }
    },
  },
  {
    id: '1.5',
    title: t('a message written one byte at a time', '逐字节写入的一条消息'),
    points: 1,
    timeoutMs: 5000,
    async run(ctx) {
      const conn = await ctx.connect();
      const msg = line(['one', 'byte', 'at', 'a', 'time:', ctx.rng.word()]);
      const bytes = [...msg].map((b) => Buffer.from([b]));
      // The bound starts after the last byte: how long the dribble itself takes is the machine's
      // business (timers run late when it is busy), not the server's.
      await conn.sendChunks(bytes, 3).catch((err: unknown) => {
        if (!(err instanceof WireError)) throw err; // the server hung up part-way: what came back says how
      });
      await expectBytes(conn, msg, {
        timeoutMs: REPLY_MS,
        what: t(`the echo of ${msg.length} bytes sent in ${msg.length} separate writes`, `分 ${msg.length} 次单独写入的 ${msg.length} 字节的回显`),
        hint: HINT_STREAM,
      });
    },
  },
  {
    id: '1.6',
    title: t('several messages written as one write', '多条消息合成一次写入'),
    points: 1,
    timeoutMs: 4000,
    async run(ctx) {
      const conn = await ctx.connect();
      const count = ctx.rng.int(3, 6);
      const msgs = Array.from({ length: count }, (_, i) => line([`line ${i + 1}:`, ctx.rng.word()]));
      const all = Buffer.concat(msgs);
      await conn.send(all);
      await expectBytes(conn, all, {
        timeoutMs: REPLY_MS,
        what: t(`the echo of ${count} lines sent in a single write`, `一次写入的 ${count} 行的回显`),
        hint: HINT_STREAM,
      });
    },
  },
  {
    id: '1.7',
    title: t('one client after another', '一个接一个的客户端'),
    points: 1,
    timeoutMs: 8000,
    async run(ctx) {
      const total = 5;
      for (let i = 1; i <= total; i++) {
        let conn;
        try {
          conn = await ctx.connect(`client ${i}`);
        } catch (err) {
          if (!(err instanceof WireError)) throw err;
          fail({
            kind: 'crashed',
            summary: t(`client ${i} of ${total} could not connect after the earlier clients had left: ${err.text.en}`, `前面的客户端离开之后，第 ${i}/${total} 个客户端连不上：${err.text.zh}`),
            expected: t('the server keeps accepting new connections after a client disconnects', '客户端断开后，服务器继续接受新连接'),
            hint: t(
              "A server outlives its clients: when one disconnects, clean up that socket only. Don't call process.exit() or server.close() in a socket's 'end' or 'close' handler.",
              "服务器要比客户端活得久：某个客户端断开时，只清理那一个 socket。不要在 socket 的 'end' 或 'close' 回调里调用 process.exit() 或 server.close()。",
            ),
            conn: err.conn,
          });
        }
        const msg = line([`client ${i} of ${total}`, ctx.rng.word()]);
        await conn.send(msg);
        await expectBytes(conn, msg, { timeoutMs: REPLY_MS, what: t(`the echo to client ${i} of ${total}`, `给第 ${i}/${total} 个客户端的回显`) });
        conn.end();
        await conn.readToEnd(300); // a server's FIN is polite, not required here
        conn.abort();
      }
    },
  },
  {
    id: '1.8',
    title: t('clients at once, each getting only its own echo, while one stops reading', '多个客户端同时访问，各自只收到自己的回显，其中一个停止读取'),
    points: 2,
    timeoutMs: 12000,
    async run(ctx) {
      const oneAtATime = t(
        'Serve every connection independently: in Node, each socket gets its own event handlers, so no loop over clients and no waiting for one client to leave. Never keep a single "current client", and never wait for one client\'s \'drain\' before serving the others.',
        '每个连接都要各自独立地处理：在 Node 里，每个 socket 有自己的事件回调，所以不需要遍历客户端，也不用等一个客户端离开。不要只维护一个“当前客户端”，也不要为了等某一个客户端的 \'drain\' 而耽误其他客户端。',
      );
      const whose = t(
        "Each connection needs its own state: write back to the socket of the 'connection' handler that received the bytes. A module-level \"current socket\", a list you write every chunk to, or a shared buffer sends one client's bytes to another.",
        "每个连接都要有自己的状态：把字节写回收到它们的那个 'connection' 回调里的 socket。模块级的“当前 socket”、把每一块都写给列表里所有 socket，或者共享的缓冲区，都会把一个客户端的字节发给另一个客户端。",
      );

      const pile = largePayload(ctx.rng, 16 * 1024 * 1024);

      // Two clients take turns, each waiting for its echo before the other speaks, so the order in
      // which the server sees them is fixed: bytes that go to the wrong client show on every run.
      const first = await ctx.connect('client 1');
      const second = await ctx.connect('client 2');
      const turns: [Conn, Conn, string][] = [
        [first, second, 'client 1'],
        [second, first, 'client 2'],
        [first, second, 'client 1'],
        [second, first, 'client 2'],
      ];
      for (const [i, [conn, other, label]] of turns.entries()) {
        const msg = line([`${label}, turn ${i + 1}:`, ctx.rng.word()]);
        await conn.send(msg);
        const what = t(
          `the echo to ${label} on turn ${i + 1} of 4 (clients 1 and 2 are connected at once and take turns)`,
          `第 ${i + 1}/4 轮给${label.replace('client ', '客户端 ')}的回显（客户端 1 和 2 同时连着，轮流发送）`,
        );
        await expectOwnEcho(conn, other, msg, what, oneAtATime, whose);
      }

      // Client 1 stops reading and keeps sending: its echo piles up until the server's send buffer
      // to it is full (and a server that respects backpressure stops reading from it). The server
      // must go on serving everyone else meanwhile.
      const silent = stopReading(first);
      // A stall must last long enough that a server merely slow to get the CPU (the machine may be
      // busy) is not taken for one that stopped reading; and at least 6 MiB go out, more echo than
      // the kernel's buffers can hold for a client that does not read (about 4 MiB on Linux), so
      // the server's own writes to client 1 surely stop.
      const stall = await sendUntilStalled(first, pile, { settleMs: 150, atLeast: 6 * 1024 * 1024 });
      const others = Array.from({ length: 10 }, (_, k) => `client ${k + 3}`);
      const conns = new Map<string, Conn>([['client 2', second]]);
      for (const round of [1, 2]) {
        // Two rounds, the second a while after the first: a server that blocks on client 1 only
        // once it gets to client 1's backlog (late, on a busy machine) is caught by the second.
        if (round === 2) await ctx.sleep(250);
        await Promise.all(
          (round === 1 ? others : ['client 2', ...others]).map(async (label) => {
            let conn = conns.get(label);
            if (!conn) conns.set(label, (conn = await ctx.connect(label)));
            const msg = line([`${label}, round ${round}:`, ctx.rng.word()]);
            await conn.send(msg);
            await expectBytes(conn, msg, {
              timeoutMs: REPLY_MS,
              what: t(
                `the echo to ${label} (round ${round} of 2), sent while client 1 was not reading its echo`,
                `给${label.replace('client ', '客户端 ')}的回显（第 ${round}/2 轮，此时客户端 1 没有读取它的回显）`,
              ),
              hint: oneAtATime,
              hintWhenDifferent: whose,
            });
          }),
        );
      }

      // Client 1 reads again: all of its echo, then one more message.
      silent.resume();
      await expectStream(first, pile.subarray(0, stall.sent), {
        stallMs: 3000,
        what: t(`the echo of the ${stall.sent} bytes client 1 sent while not reading`, `客户端 1 在不读取时发送的 ${stall.sent} 字节的回显`),
        hint: t(
          "Client 1 read again, but its echo did not all come back. If you pause reading while write() returns false, resume on 'drain' — or use socket.pipe(socket).",
          "客户端 1 重新开始读取了，但它的回显没有全部回来。如果你在 write() 返回 false 时暂停了读取，要在 'drain' 时恢复——或者直接用 socket.pipe(socket)。",
        ),
        hintWhenDifferent: whose,
      });
      await stall.flushed;
      const again = line(['client 1 again']);
      await first.send(again);
      await expectBytes(first, again, { timeoutMs: REPLY_MS, what: t('one more echo to client 1, after it read everything', '客户端 1 读完所有数据之后，再给它的一次回显') });
    },
  },
  {
    id: '1.9',
    title: t('half-close: after our FIN, finish echoing, then close', '半关闭：收到 FIN 后发完回显再关闭'),
    points: 2,
    timeoutMs: 10000,
    async run(ctx) {
      const conn = await ctx.connect();
      // Enough data that the echo cannot all sit in kernel buffers while we hold off reading, so at
      // the moment our FIN arrives the server still has echo to send: "send what remains, then close".
      const size = 8 * 1024 * 1024 + ctx.rng.int(0, 4095);
      const data = ctx.rng.bytes(size);
      conn.holdReading();
      const sending = conn.send(data).then(() => conn.end()); // FIN right behind the data
      sending.catch(() => {});
      // A server that respects backpressure stops reading when we stop; then our writes stall and
      // we must read again. A server that ignores it swallows everything, and sees FIN with echo
      // still queued in its own memory.
      let last = -1;
      for (let stalled = 0; stalled < 5 && !(await settled(sending)); ) {
        await ctx.sleep(10);
        stalled = conn.unsent === last ? stalled + 1 : 0;
        last = conn.unsent;
      }
      if (await settled(sending)) await ctx.sleep(30);
      conn.resumeReading();
      const bound = 3000;
      const { data: got, how } = await conn.readToEnd(bound);
      const intact = got.length <= size && got.equals(data.subarray(0, got.length)); // what came back is a true prefix
      if (how === 'open' && got.equals(data)) {
        fail({
          kind: 'not-closed',
          summary: t(`the server echoed all ${size} bytes but had not closed the connection ${bound / 1000} s after our FIN`, `服务器回显了全部 ${size} 字节，但在我们发出 FIN ${bound / 1000} 秒后仍未关闭连接`),
          expected: t('after the client half-closes: send what remains, then close (FIN) — the four-way close', '客户端半关闭后：发完剩下的数据，然后关闭（FIN）——即四次挥手'),
          hint: t(
            "When the client half-closes, the socket emits 'end'. Call socket.end() then (Node does it for you unless you created the server with allowHalfOpen: true).",
            "客户端半关闭时，socket 会触发 'end' 事件，这时调用 socket.end()（除非你创建服务器时设置了 allowHalfOpen: true，否则 Node 会自动这么做）。",
          ),
          conn,
        });
      }
      if (how === 'open' && intact) {
        fail({
          kind: 'hung',
          summary: t(`${bound / 1000} s after our FIN, only ${got.length} of ${size} bytes had come back and the connection was still open`, `我们发出 FIN ${bound / 1000} 秒后，只收回了 ${got.length}/${size} 字节，连接仍然开着`),
          expected: t(`all ${size} bytes back, then the server closes`, `收回全部 ${size} 字节，然后服务器关闭连接`),
          hint: HINT_STREAM,
          conn,
        });
      }
      if (!got.equals(data)) {
        fail({
          kind: intact && how !== 'open' ? kindOf(how) : 'wrong',
          summary: intact
            ? t(`the server ${how === 'reset' ? 'reset' : 'closed'} the connection after echoing ${got.length} of ${size} bytes`, `服务器在回显了 ${got.length}/${size} 字节后就${how === 'reset' ? '重置' : '关闭'}了连接`)
            : t(`the ${got.length} bytes that came back are not the ${size} we sent${{ open: `, and ${bound / 1000} s after our FIN the connection was still open`, fin: ', then the server closed the connection', reset: ', then the server reset the connection', flooded: ' (flooded)' }[how]}`, `返回的 ${got.length} 字节和我们发送的 ${size} 字节不一样${{ open: `，而且我们发出 FIN ${bound / 1000} 秒后连接仍然开着`, fin: '，随后服务器关闭了连接', reset: '，随后服务器重置了连接', flooded: '（数据泛滥）' }[how]}`),
          expected: t(`all ${size} bytes back before the close`, `关闭之前收回全部 ${size} 字节`),
          diff: { expected: data, actual: got },
          hint: !intact ? HINT_BINARY : t(
            "Data that is still being written is lost if you close with socket.destroy(), or exit, as soon as 'end' arrives. Use socket.end(): it sends the FIN only after everything written so far.",
            "如果一收到 'end' 就用 socket.destroy() 关闭或者直接退出，还在发送中的数据就会丢失。用 socket.end()：它会在已写入的数据全部发出之后才发送 FIN。",
          ),
          conn,
        });
      }
      if (how === 'reset') {
        fail({
          kind: 'reset',
          summary: t('the server echoed everything but then reset the connection instead of closing it', '服务器回显了全部数据，但随后重置了连接，而不是正常关闭'),
          expected: t('a normal close (FIN)', '正常关闭（FIN）'),
          hint: t('Close with socket.end(), not socket.destroy() or resetAndDestroy().', '用 socket.end() 关闭，不要用 socket.destroy() 或 resetAndDestroy()。'),
          conn,
        });
      }
    },
  },
  {
    id: '1.10',
    title: t('a client that resets does not take the server down', '客户端重置连接不会让服务器宕掉'),
    points: 1,
    timeoutMs: 6000,
    async run(ctx) {
      const rude = await ctx.connect('client 1 (resets)');
      await rude.send(ctx.rng.bytes(256 * 1024));
      await rude.read(1, REPLY_MS); // the server is busy echoing to us...
      rude.reset(); // ...when we slam the door: RST, with unread data in flight
      await ctx.sleep(60);
      let next;
      try {
        next = await ctx.connect('client 2');
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        fail({
          kind: 'crashed',
          summary: t(`after client 1 reset its connection, client 2 could not connect: ${err.text.en}`, `客户端 1 重置连接后，客户端 2 连不上了：${err.text.zh}`),
          hint: t(
            "A reset makes Node emit 'error' (ECONNRESET or EPIPE) on that socket, and an 'error' event with no listener crashes the whole process. Add socket.on('error', …) for every connection.",
            "连接被重置时，Node 会在那个 socket 上触发 'error'（ECONNRESET 或 EPIPE），而没有监听器的 'error' 事件会让整个进程崩溃。给每个连接都加上 socket.on('error', …)。",
          ),
          conn: err.conn,
        });
      }
      const msg = line(['still', 'there?', ctx.rng.word()]);
      await next.send(msg);
      await expectBytes(next, msg, { timeoutMs: REPLY_MS, what: t('the echo to client 2, after client 1 reset', '客户端 1 重置之后，给客户端 2 的回显') });
    },
  },
  {
    id: '1.11',
    title: t('a connection that sends nothing and closes', '什么都不发就关闭的连接'),
    points: 1,
    timeoutMs: 5000,
    async run(ctx) {
      const quiet = await ctx.connect('client 1 (sends nothing)');
      quiet.end();
      await quiet.readToEnd(300);
      quiet.abort();
      await ctx.sleep(20);
      let next;
      try {
        next = await ctx.connect('client 2');
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        fail({
          kind: 'crashed',
          summary: t(`after a client connected and closed without sending anything, the next client could not connect: ${err.text.en}`, `一个客户端连上后什么都没发就关闭了，之后的客户端连不上：${err.text.zh}`),
          hint: t(
            "An empty connection is normal (port scanners, health checks, a user pressing Ctrl-C). When a client closes, stop serving that socket only — don't exit or close the server. (In Python, 'if not data: break' must leave the per-client loop, not the accept loop.)",
            "空连接很正常（端口扫描、健康检查、用户按了 Ctrl-C）。客户端关闭时，只停止服务那一个 socket——不要退出进程，也不要关闭服务器。（在 Python 里，'if not data: break' 应该跳出处理单个客户端的循环，而不是 accept 循环。）",
          ),
          conn: err.conn,
        });
      }
      const msg = line(['after', 'the', 'quiet', 'one', ctx.rng.word()]);
      await next.send(msg);
      await expectBytes(next, msg, { timeoutMs: REPLY_MS, what: t('the echo to client 2', '给客户端 2 的回显') });
    },
  },
  {
    id: '1.12',
    title: t(`${LEAK_CLIENTS} clients one after another: the server closes what it no longer needs`, `${LEAK_CLIENTS} 个客户端一个接一个：服务器关闭不再需要的连接`),
    points: 1,
    timeoutMs: 15000,
    async run(ctx) {
      await expectNoDescriptorLeak(ctx, {
        async roundTrip(conn, i) {
          const msg = line([`client ${i}`, ctx.rng.word()]);
          await conn.send(msg);
          await expectBytes(conn, msg, { timeoutMs: REPLY_MS, what: t(`the echo to client ${i} of ${LEAK_CLIENTS}`, `给第 ${i}/${LEAK_CLIENTS} 个客户端的回显`) });
        },
      });
    },
  },
];

/** Hints for `npm run hint 1`, gentlest first: each gives a little more away. */
const hints: Text[] = [
    t(
      'Watch it misbehave first: run PORT=9000 npx tsx exercises/01-tcp-echo/server.ts in one terminal and nc 127.0.0.1 9000 in another, then type a line. The skeleton hangs up at once — that socket.end() is the line to replace.',
      '先亲眼看看它哪里不对：在一个终端运行 PORT=9000 npx tsx exercises/01-tcp-echo/server.ts，在另一个终端运行 nc 127.0.0.1 9000，然后随便输入一行。骨架代码一连上就挂断了——要替换的就是那行 socket.end()。',
    ),
    t(
      "The function you give net.createServer() runs once per client, and its socket is that one client's connection. Every 'data' event hands you a Buffer of whatever bytes arrived; echoing means writing that same Buffer back: socket.on('data', (chunk) => socket.write(chunk)).",
      "传给 net.createServer() 的函数每来一个客户端就执行一次，参数 socket 就是和这个客户端的连接。每次 'data' 事件都会给你一个 Buffer，里面是刚到达的字节；回显就是把这个 Buffer 原样写回去：socket.on('data', (chunk) => socket.write(chunk))。",
    ),
    t(
      "Bytes, not text: don't call chunk.toString(), socket.setEncoding() or add strings together. Those decode the bytes as UTF-8, and anything that is not valid UTF-8 (check 1.2 sends all 256 byte values) comes back changed.",
      '处理的是字节，不是文本：不要调用 chunk.toString()、socket.setEncoding()，也不要拼接字符串。这些操作会按 UTF-8 解码，凡是不合法的 UTF-8 字节（检查 1.2 会发送全部 256 种字节值）回来时就变了样。',
    ),
    t(
      "A client that resets its connection makes its socket emit 'error' (ECONNRESET). An 'error' event with no listener crashes the whole process, so every socket needs socket.on('error', …) — log it and let that one connection go.",
      "客户端重置连接时，它的 socket 会触发 'error' 事件（ECONNRESET）。没有监听器的 'error' 事件会让整个进程崩溃，所以每个 socket 都要加上 socket.on('error', …)——记一条日志，放弃这一个连接就好。",
    ),
    t(
      "When the client half-closes (sends FIN), 'end' fires. Finish sending what you still owe, then send your own FIN with socket.end() — Node does exactly this for you by default (allowHalfOpen is false). Never socket.destroy() on 'end': bytes still queued for the client are thrown away.",
      "客户端半关闭（发出 FIN）时会触发 'end' 事件。先把还欠对方的数据发完，再用 socket.end() 发出你自己的 FIN——Node 默认（allowHalfOpen 为 false）就会替你这么做。千万不要在 'end' 里调用 socket.destroy()：还排在队列里等着发给客户端的字节会被直接丢掉。",
    ),
    t(
      "Backpressure: socket.write() returns false when the client reads slower than you write. Then pause reading (socket.pause()) until 'drain', and resume. socket.pipe(socket) does all of it in one line — echo, backpressure, and ending your side after the client's FIN — and still needs the 'error' listener.",
      "背压：客户端读得比你写得慢时，socket.write() 会返回 false。这时先暂停读取（socket.pause()），等到 'drain' 事件再恢复。socket.pipe(socket) 一行就全包了——回显、背压，以及在客户端发来 FIN 后关闭你这一侧——但仍然需要那个 'error' 监听器。",
    ),
];

export default defineStage(import.meta.url, {
  title: t('TCP echo', 'TCP 回显'),
  checks,
  hints,
});
