/**
 * Stage 5 — a chat room over TCP: UTF-8 lines ending in "\n". The second cure for sticky packets
 * (stage 4 was the length header): a delimiter. The checks cut lines anywhere (inside a UTF-8
 * character too), pack several into one write, dribble them a byte at a time, pause a second in
 * the middle of one, and run the room with twenty members, a member who resets, one who sends a line
 * that never ends, and one who stops reading while the others must keep chatting.
 */
import { CheckFailure } from '../../failure.ts';
import { readFileSync } from 'node:fs';
import { LineReader } from '../../expect/lines.ts';
import { t, type Text } from '../../i18n.ts';
import { defineStage } from '../../stage.ts';
import type { Check } from '../../types.ts';
import { cutsInsideCharacters, flood, sendByteByByte, sendInPieces, splitAt, stopReading } from '../../wire/adversary.ts';
import { splitRandomly } from '../../expect/bytes.ts';
import { formatMs } from '../../wire/conn.ts';
import {
  HINT_ECHO,
  HINT_LEAVE,
  HINT_LOOP,
  HINT_NAME_RULE,
  MAX_LINE,
  MAX_QUEUED,
  badNames,
  busyRoom,
  chat,
  chatLine,
  esc,
  escCut,
  failLine,
  leftLine,
  makeText,
  textOfBytes,
  type NameStyle,
} from './room.ts';

/** Gap between the pieces of a split line, so that each tends to reach the server as its own read. */
const PIECE_GAP_MS = 10;
/** How long a member pauses in the middle of a line in 5.14: longer than any idle timeout may be. */
const PAUSE_MS = 1000;
/** The contract: while one member does not read, the others still get each message within this. */
const ROOM_LATENCY_MS = 1000;

const MiB_BYTES = 1024 * 1024;
const MiB = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

const HINT_NOT_A_MEMBER = t(
  'A refused client never joined: nobody hears about it — not when it comes, not when it goes.',
  '被拒绝的客户端从没加入过：谁也不会听到它的消息——来的时候不会，走的时候也不会。',
);
const HINT_HALF_CLOSE = t(
  "When a client closes its side (FIN), close yours: Node does it for you unless the server was created with allowHalfOpen: true. Otherwise the connection, and its file descriptor, stays open forever.",
  '客户端关闭它那一侧（FIN）时，你也要关闭你这一侧：除非创建服务器时设置了 allowHalfOpen: true，否则 Node 会替你这么做。不然这个连接和它的文件描述符会永远开着。',
);
const HINT_DECODE_LINES = t(
  "Decode only complete lines. Collect the connection's bytes in a Buffer, find the byte 0x0a with buffer.indexOf(0x0a), and call toString('utf8') on the line you cut off — never on a chunk: a chunk can end in the middle of a character, and decoding half a character gives \"\uFFFD\".",
  "只解码完整的行。把这个连接收到的字节收集在一个 Buffer 里，用 buffer.indexOf(0x0a) 找到字节 0x0a，对切下来的这一行调用 toString('utf8')——不要对收到的块调用：一块数据可能在一个字符的中间结束，解码半个字符只会得到 \"\uFFFD\"。",
);
const HINT_LIMIT_BYTES = t(
  `The limit is ${MAX_LINE} bytes before the "\\n", counted in bytes (the Buffer's length, or Buffer.byteLength), not characters: a Chinese character is 3 bytes in UTF-8. More than ${MAX_LINE}: send a "!" line, close, and announce that the member left. Exactly ${MAX_LINE} is fine.`,
  `上限是 "\\n" 之前 ${MAX_LINE} 字节，按字节计数（Buffer 的 length，或 Buffer.byteLength），不是按字符：一个汉字在 UTF-8 里占 3 字节。超过 ${MAX_LINE}：发送一行 "!"，关闭连接，并宣布这个成员离开。正好 ${MAX_LINE} 是允许的。`,
);
const HINT_CUT_ANNOUNCED = t(
  "A member cut off for a long line leaves the room at once: remove it and tell the others \"* name left\" when you refuse the line. Don't leave that to 'close': after socket.end() the connection closes only once the client closes its side too, which may be much later.",
  "因为行太长而被断开的成员立刻离开房间：在拒绝这一行的时候就移除它，并告诉其他人 \"* name left\"。不要等 'close' 来做：socket.end() 之后，要等客户端也关闭它那一侧，连接才会关闭，那可能要晚得多。",
);
const HINT_ROOM_BLOCKED = t(
  "One member that does not read must not hold up the room. write() never blocks; don't wait for one socket's 'drain' before serving the others, and don't pause everyone. Write and move on; socket.writableLength says how much is waiting for that member — past 1 MiB, destroy() it.",
  "一个不读数据的成员不能拖住整个房间。write() 从不阻塞；不要为了某一个 socket 的 'drain' 而让其他人等着，也不要暂停所有人。写完就继续；socket.writableLength 表示有多少数据在等这个成员——超过 1 MiB 就 destroy() 它。",
);
const HINT_QUEUE_LIMIT = t(
  "What a member does not read waits in your process, with no limit of its own: write() accepts everything. After each write, look at socket.writableLength; when it is over 1 MiB (1 048 576 bytes), that member is not reading — destroy() its socket, and the others hear \"* name left\".",
  "成员不读的数据会在你的进程里排队，而且本身没有上限：write() 什么都接受。每次写完都看一下 socket.writableLength；超过 1 MiB（1 048 576 字节）就说明这个成员没在读——destroy() 它的 socket，其他人会听到 \"* name left\"。",
);

/**
 * How much the kernels can hold for a client that does not read, doubled for safety (Linux): the
 * server's send buffer grows up to tcp_wmem's maximum; the silent client's receive buffer stays
 * near tcp_rmem's default, since it only grows for a reader.
 */
function kernelSlack(): number {
  try {
    const wmem = Number(readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/)[2]);
    const rmem = Number(readFileSync('/proc/sys/net/ipv4/tcp_rmem', 'utf8').trim().split(/\s+/)[1]);
    if (Number.isFinite(wmem) && Number.isFinite(rmem)) return 2 * (wmem + rmem);
  } catch {
    /* not Linux: the floor below applies */
  }
  return 0;
}

const checks: Check[] = [
  {
    id: '5.1',
    title: t('joining: the newcomer gets the member list in join order, the others hear who joined', '加入：新成员收到按加入顺序排列的成员列表，其他人听到谁来了'),
    points: 2,
    timeoutMs: 6000,
    run: chat(async (room, { rng }) => {
      // Every kind of name the contract allows: Latin, Chinese, other scripts, "_" and "-", and
      // one of exactly 20 characters with 3-byte ones among them.
      const styles = rng.shuffle<NameStyle>(['latin', 'chinese', 'script', 'marks']);
      styles.splice(rng.int(1, styles.length), 0, 'longest');
      for (const style of styles) await room.join(room.name(style));
      await room.quiet({
        after: t('once everyone had joined', '所有人都加入之后'),
        hint: t('A join is one line to the newcomer (the list) and one line to each other member ("* name joined"); nothing else.', '一次加入只有两种消息：发给新成员的一行（成员列表），以及发给其他每个成员的一行（"* name joined"）；没有别的。'),
      });
    }),
  },
  {
    id: '5.2',
    title: t('a message reaches every other member as [name] text, never its sender', '消息以 "[名字] 内容" 的形式发给其他每个成员，不发回给发送者'),
    points: 2,
    timeoutMs: 6000,
    run: chat(async (room, { rng }) => {
      const members = await room.joinAll(['latin', 'chinese', 'script']);
      const speakers = [...members, ...rng.shuffle([...members])].slice(0, rng.int(4, 6));
      for (const who of speakers) await room.say(who, makeText(rng));
      await room.quiet({ after: t('after the last message', '最后一条消息之后'), hint: HINT_ECHO });
    }),
  },
  {
    id: '5.3',
    title: t('invalid names: a "!" line, then the connection closes; the room hears nothing', '非法名字：回一行 "!"，然后关闭连接；房间里谁也听不到'),
    points: 2,
    timeoutMs: 6000,
    run: chat(async (room, { rng }) => {
      const member = await room.join(room.name('latin'));
      await Promise.all(
        badNames(rng).map(async (bad) => {
          const conn = await room.open('invalid name');
          await conn.send(bad.line);
          await room.refused(conn, {
            what: t(`${conn.label}, after sending the name ${esc(bad.line)}`, `${conn.name.zh} 发送名字 ${esc(bad.line)} 之后`),
            because: bad.why,
            hintAccepted: HINT_NAME_RULE,
          });
        }),
      );
      await room.quiet({ who: [member], after: t('while clients with invalid names were refused', '在非法名字的客户端被拒绝期间'), hint: HINT_NOT_A_MEMBER });
      await room.join(room.name('chinese'), { how: t('after the refused clients had gone; the list names only real members', '在被拒绝的客户端离开之后；列表里只能有真正的成员') });
    }),
  },
  {
    id: '5.4',
    title: t('a name already in use is refused; it is free again once its owner leaves', '已被使用的名字会被拒绝；主人离开后这个名字又可以用了'),
    points: 2,
    timeoutMs: 6000,
    run: chat(async (room, { rng }) => {
      const owner = await room.join(room.name(rng.pick<NameStyle>(['latin', 'chinese'])));
      const other = await room.join(room.name('script'));
      const copycat = await room.open(`also ${owner.name}`);
      const line = Buffer.from(owner.name + '\n');
      await copycat.send(line);
      await room.refused(copycat, {
        what: t(`${copycat.label}, after sending the name ${esc(line)}`, `${copycat.name.zh} 发送名字 ${esc(line)} 之后`),
        because: t(`${owner.name} is already in the room (${owner.conn.label})`, `${owner.name} 已经在房间里了（${owner.conn.name.zh}）`),
        hintAccepted: t(
          'Before accepting a name, check that no member has it (members.has(name)). If one does: a "!" line, then close — and leave the member who has the name alone.',
          '接受名字之前，先检查有没有成员正在用它（members.has(name)）。如果有：回一行 "!"，然后关闭——并且不要动已经拥有这个名字的成员。',
        ),
      });
      await room.quiet({ after: t(`while a second client asked for the name ${owner.name}`, `在第二个客户端申请名字 ${owner.name} 期间`), hint: HINT_NOT_A_MEMBER });
      const untouched = t(
        `The member who already had the name must stay exactly as it was. Refusing the second client must not replace it in the room, or remove it when the second client's connection closes — check that the socket leaving is the one the room holds.`,
        '已经拥有这个名字的成员必须保持原样。拒绝第二个客户端时，不能在房间里替换掉原来的成员，也不能在第二个客户端的连接关闭时把原来的成员移除——先确认离开的 socket 就是房间里登记的那个。',
      );
      await room.say(owner, makeText(rng), { hintSilent: untouched });
      await room.say(other, makeText(rng), { hintSilent: untouched });
      owner.conn.end();
      await room.left(owner, { how: t('closed its connection', '关闭了连接') });
      await room.join(owner.name, {
        how: t('the name its first owner used, after that owner had left', '这个名字的第一个主人已经离开之后'),
        hintRefused: t('A name belongs to a member only while it is in the room: remove it from the room when its connection closes, so the name can be used again.', '名字只在成员留在房间里时属于它：连接关闭时把它从房间里移除，这个名字才能再被使用。'),
      });
    }),
  },
  {
    id: '5.5',
    title: t('"\\r\\n" endings are accepted (the "\\r" is dropped); empty lines are dropped', '接受 "\\r\\n" 结尾（去掉 "\\r"）；丢弃空行'),
    points: 1,
    timeoutMs: 6000,
    run: chat(async (room, { rng }) => {
      const name = room.name('latin');
      const a = await room.join(name, {
        line: Buffer.from(name + '\r\n'),
        how: t('ending in "\\r\\n", as telnet and Windows clients send it', '以 "\\r\\n" 结尾，telnet 和 Windows 客户端就是这样发的'),
        hintRefused: t('The name arrived as "name\\r\\n". A "\\r" just before the "\\n" is part of the line ending: drop it before you check the name.', '名字是以 "name\\r\\n" 的形式到达的。"\\n" 前面紧挨着的 "\\r" 是行尾的一部分：检查名字之前先去掉它。'),
      });
      const b = await room.join(room.name('chinese'));
      const first = makeText(rng);
      const second = makeText(rng);
      const bytes = Buffer.from(`${first}\r\n\n\r\n${second}\r\n\n`);
      await a.conn.send(bytes);
      const how = t('in one write with empty lines between', '与空行一起在一次写入中发出');
      const emptyDropped = t('Drop empty lines, also those that are empty once the "\\r" is gone: they are not messages.', '丢弃空行，包括去掉 "\\r" 之后为空的行：它们不是消息。');
      await room.hear(a, first, bytes, { how, hintWrong: emptyDropped });
      await room.hear(a, second, bytes, { how, hintWrong: emptyDropped });
      await room.quiet({ after: t(`after ${a.conn.label}'s two messages and three empty lines`, `${a.conn.name.zh} 的两条消息和三个空行之后`), hint: emptyDropped });
      await room.say(b, makeText(rng), { ending: '\r\n', how: t('ending in "\\r\\n"', '以 "\\r\\n" 结尾') });
    }),
  },
  {
    id: '5.6',
    title: t('leaving: announced when a member closes; a half line is dropped; strangers leave unannounced', '离开：成员关闭连接时宣布；半行丢弃；陌生人离开不宣布'),
    points: 2,
    timeoutMs: 6000,
    run: chat(async (room, { rng }) => {
      const [, , leaver] = await room.joinAll(['latin', 'chinese', 'script']);
      // Two clients that never become members: one says nothing, one sends half a name.
      const silent = await room.open('never names itself');
      const half = await room.open('sends half a name');
      const halfName = Buffer.from(room.name('latin'));
      await half.send(halfName);
      silent.end();
      half.end();
      await Promise.all(
        [silent, half].map((conn) => room.closes(conn, { what: t(`${conn.label}, after its FIN`, `${conn.name.zh} 发出 FIN 之后`), hintOpen: HINT_HALF_CLOSE })),
      );
      await room.quiet({ after: t(`while a client that never sent a name and one that sent only ${esc(halfName)} (no "\\n") came and went`, `在一个没发名字的客户端和一个只发了 ${esc(halfName)}（没有 "\\n"）的客户端来了又走之后`), hint: HINT_LEAVE });

      const unfinished = makeText(rng);
      await leaver.conn.send(unfinished);
      leaver.conn.end();
      await room.left(leaver, {
        how: t(`sent ${esc(unfinished)} with no "\\n" and closed its connection`, `发送了没有 "\\n" 的 ${esc(unfinished)} 并关闭连接`),
        explain: (got) =>
          got.toString() === chatLine(leaver.name, unfinished)
            ? {
                story: t('the unfinished last line was passed on as a message', '没写完的最后一行被当成消息转发了'),
                hint: t('A line is complete only when its "\\n" arrives. When a client leaves, whatever is left in its buffer is an unfinished line: drop it.', '只有 "\\n" 到达，一行才算完整。客户端离开时，它的缓冲区里剩下的是没写完的行：丢掉它。'),
              }
            : undefined,
      });
      await room.closes(leaver.conn, { what: t(`${leaver.conn.label}, after its FIN`, `${leaver.conn.name.zh} 发出 FIN 之后`), hintOpen: HINT_HALF_CLOSE });
      await room.join(room.name('latin'), { how: t(`after ${leaver.name} had left; the list no longer names it`, `在 ${leaver.name} 离开之后；列表里不该再有它`) });
    }),
  },
  {
    id: '5.7',
    title: t('a member that resets is announced as gone, and the room carries on', '成员重置连接时宣布离开，房间照常运转'),
    points: 2,
    timeoutMs: 6000,
    run: chat(async (room, { rng }) => {
      const [a, , rude] = await room.joinAll(['latin', 'script', 'chinese']);
      const stranger = await room.open('resets before naming itself');
      stranger.reset();
      await room.say(rude, makeText(rng));
      rude.conn.reset();
      await room.left(rude, {
        how: t('reset its connection (RST)', '重置了连接（RST）'),
        hintSilent: t(
          "A reset is a way to leave too. Node reports it as an 'error' (ECONNRESET) followed by 'close': announce the leave in the 'close' handler, and have an 'error' handler so the reset does not crash the room.",
          "重置也是一种离开方式。Node 会先报告一个 'error'（ECONNRESET），然后是 'close'：在 'close' 回调里宣布离开，并且要有 'error' 回调，以免重置让整个房间崩溃。",
        ),
      });
      await room.quiet({ after: t('after a client that never named itself reset its connection', '一个没取名字的客户端重置连接之后'), hint: HINT_LEAVE });
      await room.say(a, makeText(rng), { how: t('after the reset', '重置之后'), hintSilent: t("The room must carry on after a member resets: handle 'error' on every socket, and forget the member in 'close'.", "成员重置之后房间必须照常运转：每个 socket 都要处理 'error'，并在 'close' 里忘掉这个成员。") });
      await room.join(room.name('latin'), { how: t('after a member had reset its connection', '在一个成员重置连接之后') });
    }),
  },
  {
    id: '5.8',
    title: t('a line of exactly 4096 bytes passes; 4097 bytes gets "!" and a disconnect', '正好 4096 字节的行可以通过；4097 字节则回 "!" 并断开'),
    points: 2,
    timeoutMs: 6000,
    run: chat(async (room, { rng }) => {
      const [a, , c] = await room.joinAll(['latin', 'chinese', 'script']);
      const longest = textOfBytes(rng, MAX_LINE, `${MAX_LINE} bytes: `);
      const bytes = Buffer.from(longest + '\n');
      await room.say(a, longest, {
        bytes,
        send: (conn, b) => sendInPieces(conn, splitAt(b, [rng.int(1000, 2000), rng.int(2500, 4000)]), PIECE_GAP_MS),
        how: t(`a line of exactly ${MAX_LINE} bytes before its "\\n", the most allowed, in 3 writes`, `一行在 "\\n" 之前正好 ${MAX_LINE} 字节，这是允许的最大值，分 3 次写入`),
        explain: (got) =>
          got.toString() === leftLine(a.name)
            ? { story: t(`the server cut ${a.name} off for a line of exactly ${MAX_LINE} bytes, which is allowed`, `服务器因为一行正好 ${MAX_LINE} 字节就把 ${a.name} 断开了，而这是允许的`), hint: t(`Only more than ${MAX_LINE} bytes is too long: compare with >, not >=.`, `只有超过 ${MAX_LINE} 字节才算太长：用 > 比较，而不是 >=。`) }
            : undefined,
      });
      // Over the limit by one byte, with ~1 370 characters: a limit on characters lets it through.
      const over = textOfBytes(rng, MAX_LINE + 1, `${MAX_LINE + 1} bytes: `);
      const overBytes = Buffer.from(over + '\n');
      await sendInPieces(c.conn, splitAt(overBytes, [rng.int(1000, 3000)]), PIECE_GAP_MS);
      await room.left(c, {
        how: t(`sent a line of ${MAX_LINE + 1} bytes (${[...over].length} characters), one byte over the limit`, `发送了一行 ${MAX_LINE + 1} 字节（${[...over].length} 个字符）的内容，比上限多 1 字节`),
        hintSilent: HINT_CUT_ANNOUNCED,
        explain: (got) =>
          got.toString().startsWith(`[${c.name}] `)
            ? { story: t(`the ${MAX_LINE + 1}-byte line was passed on`, `这个 ${MAX_LINE + 1} 字节的行被转发了`), hint: HINT_LIMIT_BYTES }
            : undefined,
      });
      await room.refused(c.conn, {
        what: t(`${c.conn.label}, after sending a line of ${MAX_LINE + 1} bytes`, `${c.conn.name.zh} 发送一行 ${MAX_LINE + 1} 字节的内容之后`),
        because: t(`the line has ${MAX_LINE + 1} bytes, one more than allowed`, `这一行有 ${MAX_LINE + 1} 字节，比上限多 1 字节`),
        hintAccepted: HINT_LIMIT_BYTES,
      });
      await room.say(a, makeText(rng), { how: t(`after ${c.name} was cut off`, `在 ${c.name} 被断开之后`) });
    }),
  },
  {
    id: '5.9',
    title: t('more than 4096 bytes without a "\\n": cut off without waiting for the end', '超过 4096 字节还没有 "\\n"：不等结尾，直接断开'),
    points: 1,
    timeoutMs: 5000,
    run: chat(async (room, { rng }) => {
      const [, b] = await room.joinAll(['chinese', 'latin']);
      const size = MAX_LINE + 1 + rng.int(0, 3000);
      const words: string[] = [];
      while (words.join(' ').length < size) words.push(rng.word(2, 9));
      const endless = Buffer.from(words.join(' ').slice(0, size));
      await sendInPieces(b.conn, splitRandomly(endless, rng.int(2, 4), rng), PIECE_GAP_MS);
      await room.refused(b.conn, {
        what: t(`${b.conn.label}, after sending ${endless.length} bytes with no "\\n" and then waiting`, `${b.conn.name.zh} 发送 ${endless.length} 字节且没有 "\\n"，然后等待之后`),
        because: t(`more than ${MAX_LINE} bytes arrived without a "\\n"`, `收到了超过 ${MAX_LINE} 字节却没有 "\\n"`),
        hintAccepted: HINT_LIMIT_BYTES,
        hintSilent: t(
          `More than ${MAX_LINE} bytes without a "\\n" is a line that is too long already, whatever comes next. Check the buffer after taking out the complete lines too: if more than ${MAX_LINE} bytes are left, refuse now. Waiting for the "\\n" lets one client fill your memory — it may never send one.`,
          `超过 ${MAX_LINE} 字节还没有 "\\n"，不管后面是什么，这一行都已经太长了。取出完整的行之后也要检查缓冲区：如果剩下的超过 ${MAX_LINE} 字节，立刻拒绝。等 "\\n" 会让一个客户端塞满你的内存——它可能永远不发。`,
        ),
      });
      await room.left(b, { how: t(`was cut off for ${endless.length} bytes with no "\\n"`, `因为 ${endless.length} 字节没有 "\\n" 而被断开`), hintSilent: HINT_CUT_ANNOUNCED });
    }),
  },
  {
    id: '5.10',
    title: t('lines split anywhere, even inside a UTF-8 character', '行在任意位置被拆开，包括 UTF-8 字符中间'),
    points: 2,
    timeoutMs: 6000,
    run: chat(async (room, { rng }) => {
      const name = room.name('chinese');
      const nameLine = Buffer.from(name + '\n');
      const a = await room.join(name, {
        line: nameLine,
        send: (conn, b) => sendInPieces(conn, splitAt(b, [rng.pick(cutsInsideCharacters(b))]), PIECE_GAP_MS),
        how: t('in two writes, cut inside a character', '分两次写入，切口在一个字符中间'),
        hintRefused: t(`The name arrived in two writes, cut inside a character. ${HINT_DECODE_LINES.en}`, `名字分两次写入到达，切口在一个字符中间。${HINT_DECODE_LINES.zh}`),
      });
      await room.join(room.name('latin'));
      const lines = rng.int(2, 3);
      for (let i = 0; i < lines; i++) {
        const text = `${makeText(rng)} ${rng.pick(['你好', '中文', '字符', '谢谢'])}${rng.pick(['🙂', '🎉', 'é', '—'])} ${rng.word()}`;
        const bytes = Buffer.from(text + '\n');
        const inside = rng.shuffle(cutsInsideCharacters(bytes)).slice(0, 2);
        const cuts = [...inside, bytes.length - 1, rng.int(1, bytes.length - 2)];
        const pieces = splitAt(bytes, cuts);
        await room.say(a, text, {
          bytes,
          send: (conn, b) => sendInPieces(conn, pieces, PIECE_GAP_MS),
          how: t(`in ${pieces.length} writes, cut inside ${inside.length} characters and just before the "\\n"`, `分 ${pieces.length} 次写入，其中 ${inside.length} 刀切在字符中间，还有一刀紧挨在 "\\n" 前面`),
          hintWrong: HINT_DECODE_LINES,
          hintSilent: HINT_LOOP,
        });
      }
    }),
  },
  {
    id: '5.11',
    title: t('several lines in one write, and a line one byte at a time', '一次写入多行，以及逐字节写入的一行'),
    points: 2,
    timeoutMs: 6000,
    run: chat(async (room, { rng }) => {
      const [a, b] = await room.joinAll(['latin', 'script']);
      // A newcomer sends its name and its first messages in a single write.
      const name = room.name('chinese');
      const greetings = [makeText(rng), makeText(rng)];
      const together = Buffer.from([name, ...greetings].map((l) => l + '\n').join(''));
      const c = await room.join(name, { line: together, how: t('together with two messages, all in one write', '连同两条消息，全在一次写入里') });
      for (const [i, text] of greetings.entries()) {
        await room.hear(c, text, together, {
          how: t(`message ${i + 1} of 2 in the same write as the name`, `与名字同一次写入中的第 ${i + 1}/2 条消息`),
          hintSilent: t(`The name and two messages arrived in one read. ${HINT_LOOP.en}`, `名字和两条消息是一次读到的。${HINT_LOOP.zh}`),
        });
      }
      const count = rng.int(3, 5);
      const texts = Array.from({ length: count }, (_, i) => makeText(rng, `${i + 1}/${count}`));
      const batch = Buffer.from(texts.map((l) => l + '\n').join(''));
      await a.conn.send(batch);
      for (const [i, text] of texts.entries()) {
        await room.hear(a, text, batch, {
          how: t(`line ${i + 1} of ${count}, all in one write`, `第 ${i + 1}/${count} 行，全在一次写入里`),
          hintSilent: i === 0 ? HINT_LOOP : t(`${i} of the ${count} lines that arrived together were passed on, then nothing. ${HINT_LOOP.en}`, `一起到达的 ${count} 行只转发了 ${i} 行，然后就没动静了。${HINT_LOOP.zh}`),
        });
      }
      const slow = `${rng.word()} ${makeText(rng)} 慢慢来`;
      const slowBytes = Buffer.from(slow + '\n');
      await room.say(b, slow, {
        bytes: slowBytes,
        send: (conn, x) => sendByteByByte(conn, x, 1),
        how: t(`one byte per write, ${slowBytes.length} writes`, `每次写入 1 字节，共 ${slowBytes.length} 次`),
        hintSilent: HINT_LOOP,
        hintWrong: HINT_DECODE_LINES,
      });
      await room.quiet({ after: t('after all those lines', '在这些行之后'), hint: HINT_LOOP });
    }),
  },
  {
    id: '5.12',
    title: t('20 members at once, lines interleaved: each message reaches each other member once, in order', '20 个成员同时聊天、行交错到达：每条消息恰好一次、按顺序送到其他每个成员'),
    points: 3,
    timeoutMs: 12000,
    run: chat((room) => busyRoom(room, { members: 20, linesEach: 3, slowReaders: 1, pieces: [3, 6] })),
  },
  {
    id: '5.13',
    title: t('a member that stops reading is cut off at 1 MiB; the others keep chatting', '不读数据的成员在积压 1 MiB 时被断开；其他人照常聊天'),
    points: 3,
    timeoutMs: 20000,
    run: chat(async (room, { rng }) => {
      const watcher = await room.join(room.name('latin'));
      const talker = await room.join(room.name('chinese'));
      const deafName = room.name('script');
      const deaf = await room.join(deafName, { conn: await room.open(`${deafName}, stops reading`) });
      stopReading(deaf.conn);
      // Enough to fill the kernel's buffers on both sides of the silent member and then 1 MiB in
      // the server, with a wide margin.
      const cap = Math.max(16 * MiB_BYTES, MAX_QUEUED + kernelSlack());
      const fillers = Array.from({ length: 8 }, () => Array.from({ length: 700 }, () => rng.word(3, 7)).join(' ').slice(0, rng.int(3000, 4000)));
      const textOf = (seq: number): string => `${seq} ${fillers[seq % fillers.length]}`;
      let made = 0; // lines made for the flood
      let queued = 0; // lines handed to the flood whole, "\n" included
      let carry = Buffer.alloc(0);
      const batch = (): Buffer => {
        const lines: string[] = [];
        for (let i = 0; i < 16; i++) lines.push(textOf(made++) + '\n');
        const bytes = Buffer.concat([carry, Buffer.from(lines.join(''))]);
        // Every write ends inside a line, and the rest of that line starts the next write: a
        // server that takes the end of a read for the end of a line breaks a line on every read,
        // not only when the network happens to cut one.
        const cut = rng.int(bytes.length - Buffer.byteLength(lines[15]!) + 1, bytes.length - 2);
        carry = bytes.subarray(cut);
        queued = made - 1;
        return bytes.subarray(0, cut);
      };
      const reading = new LineReader(watcher.conn);
      // The talker stays at most 512 KiB ahead of what the watcher has read, so the watcher's own
      // queue in the server never nears 1 MiB: only the silent member's can.
      const talk = flood(talker.conn, batch, { maxBytes: cap, lag: (sent) => sent - reading.consumed, window: 512 * 1024 });
      const prefix = Buffer.byteLength(chatLine(talker.name, '')) + 1;
      let seq = 0;
      let towardDeaf = 0; // bytes of messages the server owed the silent member before cutting it off
      let cutAt: number | undefined;
      let after = 0;
      try {
        for (;;) {
          if (cutAt === undefined && talk.sent >= cap && seq >= queued) {
            failLine(deaf.conn, {
              kind: 'not-closed',
              summary: t(
                `${deaf.conn.label} stopped reading; we then sent ${MiB(talk.sent)} of messages it should receive, and the server never cut it off (no "* ${deaf.name} left"): it is holding everything ${deaf.name} did not read in memory`,
                `${deaf.conn.name.zh} 不再读取数据；之后我们发送了 ${MiB(talk.sent)} 本该发给它的消息，服务器却一直没有断开它（没有 "* ${deaf.name} left"）：${deaf.name} 没读的数据全都积压在服务器内存里`,
              ),
              expected: t(`the server disconnects ${deaf.name} once more than 1 MiB waits for it, and the others hear "* ${deaf.name} left"`, `等着发给 ${deaf.name} 的数据超过 1 MiB 时，服务器断开它，其他人听到 "* ${deaf.name} left"`),
              hint: HINT_QUEUE_LIMIT,
              room,
            });
          }
          const line = await reading.next({
            what: t(
              `${watcher.conn.label}, waiting for ${talker.name}'s message ${seq + 1} while ${deaf.name} was not reading (${MiB(talk.sent)} sent so far)`,
              `${watcher.conn.name.zh} 在 ${deaf.name} 不读数据期间等待 ${talker.name} 的第 ${seq + 1} 条消息（目前已发送 ${MiB(talk.sent)}）`,
            ),
            timeoutMs: ROOM_LATENCY_MS,
            hintSilent: HINT_ROOM_BLOCKED,
          });
          if (cutAt === undefined && line.toString() === leftLine(deaf.name)) {
            cutAt = towardDeaf;
            if (cutAt < MAX_QUEUED) {
              failLine(deaf.conn, {
                summary: t(
                  `the server cut ${deaf.name} off after only ${MiB(cutAt)} of messages were sent its way: less than 1 MiB can have been waiting for it`,
                  `只向 ${deaf.name} 发送了 ${MiB(cutAt)} 的消息，服务器就把它断开了：等着发给它的数据不可能超过 1 MiB`,
                ),
                expected: t('a member is cut off only once more than 1 MiB is waiting for it', '只有等着发给某个成员的数据超过 1 MiB 时才断开它'),
                hint: t("Cut a member off when socket.writableLength > 1 048 576 after a write — not when write() first returns false, and not after a fixed number of messages: a reader that is only a little slow must be served.", '在写入之后 socket.writableLength > 1 048 576 时才断开成员——不是 write() 第一次返回 false 时，也不是发了固定条数的消息之后：只是稍慢一点的读者必须照常服务。'),
                room,
              });
            }
            continue;
          }
          const want = chatLine(talker.name, textOf(seq));
          if (line.toString() !== want) {
            failLine(watcher.conn, {
              summary: t(
                `${watcher.conn.label}, ${talker.name}'s message ${seq + 1}: got ${esc(line, 80)}`,
                `${watcher.conn.name.zh} 收到的 ${talker.name} 第 ${seq + 1} 条消息是 ${esc(line, 80)}`,
              ),
              expected: t(`${esc(want, 80)}: ${talker.name}'s messages, in order, each once`, `${esc(want, 80)}：${talker.name} 的消息，按顺序，每条一次`),
              hint: t("Every member that reads must get every message, in order, even while another member does not read. Don't drop messages for anyone who is keeping up.", '只要成员在读，就必须按顺序收到每一条消息，即使另一个成员不读数据也一样。不要丢掉跟得上的成员的消息。'),
              room,
            });
          }
          seq++;
          if (cutAt === undefined) towardDeaf += prefix + Buffer.byteLength(textOf(seq - 1)) + 1;
          // Once the silent member is gone, the room must go on: 20 more messages, each in time.
          if (cutAt !== undefined && ++after >= 20) break;
        }
      } finally {
        talk.stop();
      }
      // The silent member's connection must really be closed, not just forgotten.
      deaf.conn.resumeReading();
      const { how } = await deaf.conn.readToEnd(3000);
      if (how === 'open') {
        failLine(deaf.conn, {
          kind: 'not-closed',
          summary: t(
            `the others heard "* ${deaf.name} left", but ${deaf.conn.label}'s connection was still open ${formatMs(3000)} after it started reading again`,
            `其他人听到了 "* ${deaf.name} left"，但 ${deaf.conn.name.zh} 重新开始读取 ${formatMs(3000)} 之后，它的连接仍然开着`,
          ),
          expected: t('the server closes the connection of a member it cuts off', '服务器关闭被它断开的成员的连接'),
          hint: t('Cutting a member off means closing its socket: socket.destroy(). Removing it from the room is not enough.', '断开成员就是关闭它的 socket：socket.destroy()。只把它从房间里移除是不够的。'),
          room,
        });
      }
    }),
  },
  {
    id: '5.14',
    title: t('a member that pauses for a second in mid-line', '成员在一行中间停顿一秒'),
    points: 1,
    timeoutMs: 6000,
    run: chat(async (room, { rng }) => {
      const [a, b, slow] = await room.joinAll(['latin', 'chinese', 'script']);
      const text = `${makeText(rng)} 等一下 ${makeText(rng)}`;
      const bytes = Buffer.from(text + '\n');
      const cut = rng.pick(cutsInsideCharacters(bytes));
      await slow.conn.send(bytes.subarray(0, cut));
      const started = Date.now();
      const closedDuringPause = (): boolean => slow.conn.closed !== undefined;
      const failClosed = (): never =>
        failLine(slow.conn, {
          kind: 'closed-early',
          summary: t(
            `${slow.conn.label} sent ${escCut(bytes.subarray(0, cut))} and paused for ${formatMs(PAUSE_MS)}; the server closed its connection during the pause`,
            `${slow.conn.name.zh} 发送了 ${escCut(bytes.subarray(0, cut))} 后停顿 ${formatMs(PAUSE_MS)}；服务器在停顿期间关闭了它的连接`,
          ),
          expected: t('the connection stays open: a member may be quiet for seconds, even in the middle of a line', '连接保持打开：成员可以安静好几秒，哪怕是在一行的中间'),
          hint: t('Don\'t close connections that are merely quiet (no socket.setTimeout() that destroys, or one of minutes, not milliseconds): people pause while typing.', '不要关闭只是安静下来的连接（不要用会 destroy 的 socket.setTimeout()，要用也应该是几分钟而不是几毫秒）：人打字时会停顿。'),
          room,
        });
      /**
       * On a busy machine a server that drops quiet members may drop them while the others are
       * still talking, or drop another quiet member first (the others then hear "* name left"):
       * when it has closed the paused member's connection, that is the story to tell, not the
       * line the others got.
       */
      const orDroppedWhilePaused = async (run: () => Promise<void>): Promise<void> => {
        try {
          await run();
        } catch (err) {
          if (!(err instanceof CheckFailure)) throw err;
          if (!closedDuringPause()) await slow.conn.readToEnd(600).catch(() => undefined);
          if (closedDuringPause()) failClosed();
          throw err;
        }
      };
      // The room does not wait for the unfinished line.
      await orDroppedWhilePaused(async () => {
        await room.say(a, makeText(rng), { how: t(`while ${slow.name} was in the middle of a line`, `在 ${slow.name} 写到一行中间的时候`), hintSilent: HINT_LOOP });
        await room.say(b, makeText(rng), { how: t(`while ${slow.name} was in the middle of a line`, `在 ${slow.name} 写到一行中间的时候`), hintSilent: HINT_LOOP });
      });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, PAUSE_MS - (Date.now() - started))));
      if (closedDuringPause()) failClosed();
      const passedOnEarly = (got: Buffer): { story: Text; hint: Text } | undefined =>
        got.toString().startsWith(`[${slow.name}] `) && got.length < Buffer.byteLength(chatLine(slow.name, text))
          ? {
              story: t(`the first part of ${slow.name}'s line was passed on when ${slow.name} paused`, `${slow.name} 停顿时，这一行的前半部分就被转发了`),
              hint: t('A pause is not the end of a line; only "\\n" is. Keep the unfinished line in the buffer for as long as it takes.', '停顿不是一行的结束，只有 "\\n" 才是。把没写完的行留在缓冲区里，等多久都行。'),
            }
          : undefined;
      await orDroppedWhilePaused(() =>
        room.quiet({ who: [a, b], after: t(`while ${slow.name} paused in mid-line (it had sent ${escCut(bytes.subarray(0, cut))})`, `在 ${slow.name} 停在一行中间时（它已发送 ${escCut(bytes.subarray(0, cut))}）`), explain: passedOnEarly }),
      );
      await slow.conn.send(bytes.subarray(cut));
      await room.hear(slow, text, bytes, {
        how: t(`in two writes ${formatMs(PAUSE_MS)} apart, cut inside a character`, `分两次写入，相隔 ${formatMs(PAUSE_MS)}，切口在一个字符中间`),
        hintSilent: HINT_LOOP,
        hintWrong: HINT_DECODE_LINES,
        explain: passedOnEarly,
      });
    }),
  },
];

/** Hints for `npm run hint 5`, gentlest first: each gives a little more away. */
const hints: Text[] = [
  t(
    'Watch it misbehave first: run PORT=9000 npx tsx exercises/05-chat-room/server.ts, then nc 127.0.0.1 9000 in two other terminals; type a name in each, then a message. The skeleton hangs up at once — that socket.end() is the line to replace.',
    '先亲眼看看它哪里不对：运行 PORT=9000 npx tsx exercises/05-chat-room/server.ts，再在另外两个终端里运行 nc 127.0.0.1 9000；在每个终端输入一个名字，然后发一条消息。骨架代码一连上就挂断了——要替换的就是那行 socket.end()。',
  ),
  t(
    "A 'data' event is not a line: it may hold half a line, one, or several. Give each connection its own Buffer (a variable inside the connection handler), append every chunk, and loop while buffer.indexOf(0x0a) >= 0: cut the line off the front, drop a trailing \"\\r\" (0x0d), decode it with line.toString('utf8'). Keep what is left: it is the start of the next line.",
    "一次 'data' 事件不等于一行：它可能是半行、一行，也可能是好几行。给每个连接一个自己的 Buffer（连接回调里的一个变量），把每一块都追加进去，然后只要 buffer.indexOf(0x0a) >= 0 就循环：把这一行从前面切下来，去掉结尾的 \"\\r\"（0x0d），用 line.toString('utf8') 解码。剩下的要留着：那是下一行的开头。",
  ),
  t(
    "Decode lines, never chunks: chunk.toString() on a read that ends inside a Chinese character (3 bytes in UTF-8) gives \"\uFFFD\". Then the room: a module-level Map from name to socket keeps the join order. The first line is the name — test it with /^[\\p{L}\\p{N}_-]{1,20}$/u and members.has(name); if it fails, socket.end('! reason\\n').",
    "要解码行，而不是解码收到的块：如果一次读取在一个汉字（UTF-8 里占 3 字节）中间结束，对它调用 chunk.toString() 会得到 \"\uFFFD\"。然后是房间：一个模块级的 Map，从名字映射到 socket，它会保持加入顺序。第一行是名字——用 /^[\\p{L}\\p{N}_-]{1,20}$/u 和 members.has(name) 检查它；不通过就 socket.end('! 原因\\n')。",
  ),
  t(
    "On a valid name: write the newcomer '* in the room: ' + [...members.keys()].join(', ') (or '(nobody)'), tell every member '* name joined', then add the newcomer. Each later non-empty line goes to every member except the sender as '[name] text'. In socket.on('close', …), if this socket is the member with that name, delete it and tell the others '* name left'. Add socket.on('error', () => {}) so a reset cannot crash the room.",
    "收到合法名字时：给新成员写 '* in the room: ' + [...members.keys()].join(', ')（或 '(nobody)'），告诉每个成员 '* name joined'，然后把新成员加进去。之后每一个非空的行都以 '[name] text' 的形式发给除发送者以外的每个成员。在 socket.on('close', …) 里，如果这个 socket 就是房间里登记的那个成员，就删除它并告诉其他人 '* name left'。加上 socket.on('error', () => {})，这样重置就不会让房间崩溃。",
  ),
  t(
    "The limits. A line longer than 4096 bytes: check each line's byte length (before decoding), and after the loop check what is left — more than 4096 bytes with no \"\\n\" is already too long: socket.end('! …\\n') and announce the leave right away. A member that does not read: after each write, if socket.writableLength > 1024 * 1024, socket.destroy() it; 'close' will announce it. Never await 'drain' in the broadcast loop: one slow member would hold up everyone.",
    "上限。一行超过 4096 字节：检查每一行的字节长度（在解码之前），循环结束后也要检查剩下的部分——超过 4096 字节还没有 \"\\n\" 就已经太长了：socket.end('! …\\n')，并立刻宣布离开。不读数据的成员：每次写入之后，如果 socket.writableLength > 1024 * 1024，就 socket.destroy() 它；'close' 会宣布它离开。不要在广播循环里 await 'drain'：一个慢成员会拖住所有人。",
  ),
];

export default defineStage(import.meta.url, {
  title: t('Chat room', '聊天室'),
  checks,
  hints,
});
