/**
 * The chat room as the checks see it: who is in it, in join order, and which lines each member must
 * receive when someone joins, speaks or leaves. It also turns a whole check's exchange (several
 * clients, their writes, pauses, FINs and resets) into one node command that replays it against a
 * server run by hand, since no single connection's transcript can.
 */
import { CheckFailure, fail } from '../../failure.ts';
import { t, type Text } from '../../i18n.ts';
import type { Rng } from '../../rng.ts';
import type { CheckContext, FailureKind } from '../../types.ts';
import { splitRandomly } from '../../expect/bytes.ts';
import { LineReader, expectClose, expectLine, expectLineLike, expectNoLine, type Story } from '../../expect/lines.ts';
import { readSlowly } from '../../wire/adversary.ts';
import { type Conn, WireError } from '../../wire/conn.ts';
import { escapeBytes } from '../../wire/escape.ts';
import { kindOf } from '../../expect/kinds.ts';

/** Bound on a line the server owes: a working server sends it within a millisecond or two. */
export const REPLY_MS = 1000;
/** How long "nothing more arrives" is watched. */
export const QUIET_MS = 50;
/** Bound on the server closing a connection it should close. */
export const CLOSE_MS = 1000;
/** The contract's limits. */
export const MAX_LINE = 4096;
export const MAX_QUEUED = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The lines of the protocol

export const listLine = (names: readonly string[]): string => `* in the room: ${names.length > 0 ? names.join(', ') : '(nobody)'}`;
export const joinedLine = (name: string): string => `* ${name} joined`;
export const leftLine = (name: string): string => `* ${name} left`;
export const chatLine = (name: string, text: string): string => `[${name}] ${text}`;
export const isRefusal = (line: Buffer): boolean => line[0] === 0x21; // "!"

/** "\"alice\\n\"": bytes as the learner should read them. */
export const esc = (data: Buffer | string, max = 100): string => escapeBytes(data, max);

/**
 * Bytes that end inside a character: the text before the cut as text, the stray bytes after it as
 * \x escapes ("谢谢\xe5\xa4"), rather than the whole piece in escapes.
 */
export function escCut(data: Buffer): string {
  let i = data.length;
  while (i > 0 && (data[i - 1]! & 0xc0) === 0x80) i--;
  if (i > 0 && data[i - 1]! >= 0xc0) i--;
  if (i === data.length || i === 0 || data.length > 200) return esc(data);
  const tail = [...data.subarray(i)].map((b) => '\\x' + b.toString(16).padStart(2, '0')).join('');
  return esc(data.subarray(0, i), 200).slice(0, -1) + tail + '"';
}

// ---------------------------------------------------------------------------------------------
// Hints shared by several checks

export const HINT_SKELETON = t(
  "The server hung up before saying anything. If it does that the moment a client connects, that is the skeleton's socket.end(): delete it when you handle names and lines.",
  '服务器什么都没说就挂断了。如果客户端一连上它就挂断，那是骨架代码里的 socket.end()：开始处理名字和行之后把它删掉。',
);
export const HINT_LOOP = t(
  "TCP delivers bytes, not lines: one 'data' event may hold part of a line, one line, or several. Keep a Buffer per connection, append every chunk, and loop while it contains a \"\\n\": cut the line off the front, handle it, look again. What is left after the loop is the start of the next line — keep it.",
  "TCP 交付的是字节，不是行：一次 'data' 事件可能是半行、一行，也可能是好几行。每个连接维护一个 Buffer，把每一块都追加进去，然后只要里面有 \"\\n\" 就循环：把这一行从前面切下来、处理它、再看一遍。循环结束后剩下的是下一行的开头——留着它。",
);
export const HINT_ECHO = t(
  'A message goes to every member except the one who sent it: skip the sender when you loop over the room.',
  '消息要发给除发送者以外的每一个成员：遍历房间时跳过发送者。',
);
export const HINT_NAME_RULE = t(
  "A name is 1–20 characters, each a letter or digit of any script (Chinese too), \"_\" or \"-\": /^[\\p{L}\\p{N}_-]{1,20}$/u. The u flag makes {1,20} count characters, not bytes and not UTF-16 code units. Test the line after dropping its \"\\r\".",
  "名字是 1–20 个字符，每个字符是任何文字的字母或数字（中文也可以）、\"_\" 或 \"-\"：/^[\\p{L}\\p{N}_-]{1,20}$/u。u 标志让 {1,20} 按字符计数，而不是按字节或 UTF-16 码元。先去掉行尾的 \"\\r\" 再检查。",
);
export const HINT_LEAVE = t(
  "Announce a leave in socket.on('close', …): it fires however the connection ends — the client's FIN, a reset, or your own destroy(). Remove the member first, then tell the others \"* name left\". A client that never got a name was never in the room: say nothing.",
  "在 socket.on('close', …) 里宣布离开：不管连接以什么方式结束——客户端的 FIN、重置，还是你自己的 destroy()——它都会触发。先移除这个成员，再告诉其他人 \"* name left\"。从没取得名字的客户端从来不在房间里：什么都不用说。",
);

// ---------------------------------------------------------------------------------------------
// Names and texts

const POOLS = {
  latin: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digit: '0123456789',
  chinese: '张王李赵刘陈杨黄周吴徐孙马朱胡郭何林高罗明伟芳娜敏静丽强磊军洋勇艳杰涛超秀霞平刚英华',
  cyrillic: 'абвгдежзийклмнопрстуфхцчшщэюя',
  greek: 'αβγδεζηθικλμνξοπρστυφχψω',
  kana: 'あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわん',
  hangul: '김이박최정강조윤장임한오서신권황안송류홍',
  arabic: 'ابتثجحخدذرزسشصضطظعغفقكلمنهوي',
};

const pick = (rng: Rng, pool: string, n: number): string => {
  const chars = [...pool];
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick(chars);
  return s;
};

export type NameStyle = 'latin' | 'chinese' | 'script' | 'marks' | 'longest';

/** Valid names in every style the contract allows; unique within `taken`. */
export function makeName(rng: Rng, style: NameStyle, taken: Set<string>): string {
  for (;;) {
    let name: string;
    switch (style) {
      case 'latin':
        name = rng.word(3, 7) + (rng.next() < 0.4 ? String(rng.int(1, 99)) : '');
        break;
      case 'chinese':
        name = pick(rng, POOLS.chinese, rng.int(2, 3));
        break;
      case 'script': {
        const pool = rng.pick([POOLS.cyrillic, POOLS.greek, POOLS.kana, POOLS.hangul, POOLS.arabic]);
        name = pick(rng, pool, rng.int(2, 6));
        break;
      }
      case 'marks':
        name = rng.pick([`${rng.word(2, 5)}_${rng.int(1, 9)}`, `${rng.word(2, 5)}-${rng.word(2, 4)}`, `_${rng.word(3, 5)}`, `-${rng.int(1, 99)}-`, '_', '-']);
        break;
      case 'longest':
        // 20 characters, several of them 3 bytes long: a byte count would call it too long.
        name = pick(rng, POOLS.latin, rng.int(4, 8)) + pick(rng, POOLS.chinese + POOLS.kana, rng.int(4, 8));
        name += pick(rng, POOLS.latin + POOLS.digit, 20 - [...name].length);
        break;
    }
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

export interface BadName {
  line: Buffer;
  /** Why it is not a name. */
  why: Text;
}

/** Names the contract refuses, each with the reason. */
export function badNames(rng: Rng): BadName[] {
  const name = (s: string, why: Text): BadName => ({ line: Buffer.from(s + '\n'), why });
  const tooLong = pick(rng, POOLS.latin + POOLS.chinese, 21);
  const always = [
    name(tooLong, t('it has 21 characters, one more than allowed', '它有 21 个字符，比上限多 1 个')),
    name('', t('it is empty', '它是空的')),
    name(`${rng.word(2, 5)} ${rng.word(2, 5)}`, t('it contains a space', '它含有空格')),
  ];
  const punct = rng.pick(['!', '.', ',', ':', '@', '#', '*', '?', '/', '(', '=', '+']);
  const others = [
    name(`${rng.word(3, 6)}${punct}`, t(`it contains the punctuation "${punct}"`, `它含有标点 "${punct}"`)),
    name(`${rng.word(3, 6)} `, t('it ends with a space', '它以空格结尾')),
    name(`${pick(rng, POOLS.chinese, 2)}。`, t('it contains the Chinese full stop "。", which is punctuation', '它含有中文句号 "。"，这是标点')),
    name(`${rng.word(3, 5)}\u{1F600}`, t('it contains an emoji, which is a symbol, not a letter', '它含有 emoji，那是符号，不是字母')),
    name(`[${rng.word(3, 5)}]`, t('it contains brackets', '它含有方括号')),
    name(`${rng.word(2, 4)}\t${rng.word(2, 4)}`, t('it contains a tab', '它含有制表符')),
  ];
  return [...always, ...rng.shuffle(others).slice(0, 2)];
}

const WORDS_ZH = ['你好', '今天天气不错', '吃了吗', '明天见', '好的', '没问题', '哈哈', '谢谢大家'];
const EXTRAS = ['🙂', '🎉', 'café', 'naïve', '—', '…', '¡hola!', 'Привет', 'こんにちは'];
const TRICKY = ['* bob joined', '[mallory] hi', '! not an error', '* in the room: eve', '  leading spaces', 'tab\there', 'a, b, c'];

/** A message text: mixed scripts, punctuation, sometimes lines that look like the server's own. */
export function makeText(rng: Rng, label?: string): string {
  const parts: string[] = [];
  if (label) parts.push(label);
  const n = rng.int(2, 5);
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    parts.push(r < 0.45 ? rng.word(2, 8) : r < 0.75 ? rng.pick(WORDS_ZH) : rng.pick(EXTRAS));
  }
  let text = parts.join(' ');
  if (!label && rng.next() < 0.3) text = rng.pick(TRICKY) + ' ' + text;
  return text;
}

/** A text of exactly `bytes` UTF-8 bytes, mostly 3-byte characters, with `tag` in front. */
export function textOfBytes(rng: Rng, bytes: number, tag: string): string {
  let text = tag;
  const zh = [...POOLS.chinese];
  while (Buffer.byteLength(text) + 3 <= bytes) text += rng.pick(zh);
  while (Buffer.byteLength(text) < bytes) text += rng.pick([...POOLS.latin]);
  return text;
}

// ---------------------------------------------------------------------------------------------
// The room

/** How long a client leaving at the end of a check waits for the server to close back. */
const LEAVE_MS = 1000;

export interface Member {
  name: string;
  conn: Conn;
}


/** Could this be the untouched skeleton, which hangs up on every client at once? */
function mayBeSkeleton(conn: Conn): boolean {
  const writes = conn.events.filter((e) => e.kind === 'send').length;
  return conn.receivedTotal === 0 && writes <= 1 && !conn.events.some((e) => e.kind === 'fin-sent' || e.kind === 'reset-sent');
}

export interface HearOptions {
  /** How the line was sent, for the message: "in 3 writes, cut inside a character". */
  how?: Text;
  hintSilent?: Text;
  hintWrong?: Text;
  /** The check's own reading of a wrong line, before the usual ones. */
  explain?: (got: Buffer) => Story | undefined;
  /** Who must hear it (default: every member but the sender). */
  readers?: Member[];
}

/** The servers (host:port) that have had a room before: their earlier checks' clients are gone. */
const hadRooms = new Set<string>();

export class Room {
  /** The members, in the order they joined. */
  readonly members: Member[] = [];
  private readonly conns: Conn[] = [];
  private readonly taken = new Set<string>();

  constructor(readonly ctx: CheckContext) {}

  /** A fresh valid name of the given style, unique in this check. */
  name(style: NameStyle = 'latin'): string {
    return makeName(this.ctx.rng, style, this.taken);
  }

  /** Opens a connection labelled "client N (what)" for the transcript. */
  async open(what: string): Promise<Conn> {
    const conn = await this.ctx.connect(`client ${this.conns.length + 1} (${what})`);
    this.conns.push(conn);
    return conn;
  }

  /** A node command that replays this check's writes, FINs and resets, in order, with their pauses. */
  readonly replay = (): string | undefined => {
    const steps: { at: number; i: number; what: string; bytes: number }[] = [];
    for (const [i, c] of this.conns.entries()) {
      for (const e of c.events) {
        if (e.kind === 'send') {
          if (e.bytes.length !== e.size) return undefined; // too big to show: too big to replay here
          steps.push({ at: c.started + e.at, i, what: jsValue(e.bytes), bytes: e.size });
        } else if (e.kind === 'fin-sent') steps.push({ at: c.started + e.at, i, what: '0', bytes: 0 });
        else if (e.kind === 'reset-sent') steps.push({ at: c.started + e.at, i, what: '1', bytes: 0 });
      }
    }
    steps.sort((a, b) => a.at - b.at);
    if (steps.length === 0 || steps.length > 60 || steps.reduce((n, s) => n + s.bytes, 0) > 1500) return undefined;
    let prev = steps[0]!.at;
    const list = steps.map((s) => {
      const gap = Math.min(1500, Math.max(40, s.at - prev));
      prev = s.at;
      return `[${s.i},${s.what},${gap}]`;
    });
    const labels = JSON.stringify(this.conns.map((c) => c.label));
    return (
      `node -e 'const n=require("net"),B=x=>Buffer.from(x,"base64"),c=${labels}.map(l=>{const s=n.connect(9000,"127.0.0.1");` +
      `s.on("data",d=>console.log(l,"<",JSON.stringify(String(d))));s.on("end",()=>console.log(l,"closed by the server"));s.on("error",e=>console.log(l,e.code));return s});` +
      `let t=0;for(const[i,x,g]of[${list.join(',')}])setTimeout(()=>x===0?c[i].end():x===1?c[i].resetAndDestroy():c[i].write(x),t+=g);` +
      `setTimeout(()=>c.forEach(s=>s.destroy()),t+800)'`
    );
  };

  /**
   * Connects a client and sends its name (as one write unless `send` says otherwise). The newcomer
   * must get the list of the members so far, in join order; each of them `* name joined`.
   */
  async join(
    name: string,
    o: { conn?: Conn; line?: Buffer; send?: (conn: Conn, bytes: Buffer) => Promise<void>; how?: Text; hintRefused?: Text } = {},
  ): Promise<Member> {
    const bytes = o.line ?? Buffer.from(name + '\n');
    let conn = o.conn;
    if (!conn && !o.send && this.members.length === 0) conn = await this.firstMember(name, bytes);
    else {
      conn ??= await this.open(name);
      await (o.send ? o.send(conn, bytes) : conn.send(bytes));
    }
    const present = this.members.map((m) => m.name);
    const how = o.how ? t(` (${o.how.en})`, `（${o.how.zh}）`) : t('', '');
    await expectLine(conn, listLine(present), {
      what: t(`${conn.label}, after sending the name ${esc(bytes)}${how.en}`, `${conn.name.zh} 发送名字 ${esc(bytes)}${how.zh} 之后`),
      timeoutMs: REPLY_MS,
      hintSilent: t(
        `A valid, free name gets one line back at once: the members already in the room, oldest first — here ${esc(listLine(present) + '\n')}. Find the name line: bytes up to the first "\\n", with a "\\r" before it dropped.`,
        `合法且未被占用的名字会立刻得到一行回复：已经在房间里的成员，先来的在前——这里应该是 ${esc(listLine(present) + '\n')}。找到名字这一行：第一个 "\\n" 之前的字节，去掉它前面的 "\\r"。`,
      ),
      hintClosed: mayBeSkeleton(conn) && this.members.length === 0 ? HINT_SKELETON : t(`The name ${esc(name)} is valid and free: the newcomer stays in the room. ${HINT_NAME_RULE.en}`, `名字 ${esc(name)} 合法且没人用：新成员应该留在房间里。${HINT_NAME_RULE.zh}`),
      explain: (got) => {
        const s = explainList(got, name, present);
        return s && o.hintRefused && isRefusal(got) ? { story: s.story, hint: o.hintRefused } : s;
      },
      reproduce: this.replay,
    });
    await Promise.all(
      this.members.map((m) =>
        expectLine(m.conn, joinedLine(name), {
          what: t(`${m.conn.label}, when ${conn.label} joined`, `${conn.name.zh} 加入时的 ${m.conn.name.zh}`),
          timeoutMs: REPLY_MS,
          hintSilent: t(
            'When a newcomer joins, every member already in the room gets "* name joined" (and the newcomer gets the list instead).',
            '新成员加入时，已经在房间里的每个成员都会收到 "* name joined"（新成员自己收到的是成员列表）。',
          ),
          explain: (got) => explainChat(got, m.name),
          reproduce: this.replay,
        }),
      ),
    );
    const member = { name, conn };
    this.members.push(member);
    hadRooms.add(this.server);
    return member;
  }

  private get server(): string {
    return `${this.ctx.host}:${this.ctx.port}`;
  }

  /**
   * The room's first member connects and sends its name. The earlier checks' clients said goodbye
   * and were answered or reset, but a server drops a member on 'close', a moment after it answered
   * the FIN, and one held up by an earlier client takes a moment to recover: on a busy machine the
   * list may come late, or still name departed members. So the first member of a later check
   * waits up to REPLY_MS + LEAVE_MS for its list, and while the list names anyone, leaves and
   * tries again on a new connection, for up to LEAVE_MS. A server that keeps departed members
   * longer is told so by the usual check of the list; the first check of a server waits as usual.
   */
  private async firstMember(name: string, bytes: Buffer): Promise<Conn> {
    const later = hadRooms.has(this.server);
    const deadline = Date.now() + LEAVE_MS;
    for (;;) {
      const conn = later ? await this.ctx.connect(`client ${this.conns.length + 1} (${name})`) : await this.open(name);
      await conn.send(bytes);
      if (!later) return conn;
      const until = Date.now() + REPLY_MS + LEAVE_MS;
      while (!conn.peek().includes(0x0a) && !conn.closed && Date.now() < until) await conn.pause(5);
      const got = conn.peek();
      const line = got.subarray(0, Math.max(0, got.indexOf(0x0a))).toString().replace(/\r$/, '');
      const stale = line.startsWith('* in the room: ') && line !== listLine([]);
      if (!stale || Date.now() >= deadline) {
        this.conns.push(conn);
        return conn;
      }
      conn.abort();
      await this.ctx.sleep(50);
    }
  }

  /**
   * Every client still connected says goodbye (FIN) and waits, briefly, for the server to close
   * back. A correct server has then dropped them from the room before the next check's clients
   * arrive, so the next check starts with an empty room even on a busy machine.
   */
  async leave(): Promise<void> {
    const open = this.conns.filter((c) => !c.closed);
    for (const c of open) {
      c.resumeReading();
      c.end();
    }
    await Promise.all(open.map((c) => c.readToEnd(LEAVE_MS).catch(() => undefined)));
  }

  /** Joins several members one after another. */
  async joinAll(styles: readonly NameStyle[]): Promise<Member[]> {
    const out: Member[] = [];
    for (const s of styles) out.push(await this.join(this.name(s)));
    return out;
  }

  /**
   * `from` sends `text` (with `ending`, as one write unless `send` says otherwise); every other
   * member must receive "[name] text".
   */
  async say(from: Member, text: string, o: HearOptions & { ending?: string; bytes?: Buffer; send?: (conn: Conn, bytes: Buffer) => Promise<void> } = {}): Promise<void> {
    const bytes = o.bytes ?? Buffer.from(text + (o.ending ?? '\n'));
    await (o.send ? o.send(from.conn, bytes) : from.conn.send(bytes));
    await this.hear(from, text, bytes, o);
  }

  /** Every member but `from` must receive "[from] text" next. */
  async hear(from: Member, text: string, sent: Buffer, o: HearOptions = {}): Promise<void> {
    const how = o.how ? t(` (${o.how.en})`, `（${o.how.zh}）`) : t('', '');
    await Promise.all(
      (o.readers ?? this.members)
        .filter((m) => m !== from)
        .map((m) =>
          expectLine(m.conn, chatLine(from.name, text), {
            what: t(`${m.conn.label}, after ${from.conn.label} sent ${esc(sent)}${how.en}`, `${from.conn.name.zh} 发送 ${esc(sent)}${how.zh} 之后的 ${m.conn.name.zh}`),
            timeoutMs: REPLY_MS,
            hintSilent: o.hintSilent ?? t(
              'Every complete line a member sends goes to every other member as "[name] text". Split the buffer on "\\n" and handle each line as soon as its "\\n" is in.',
              '成员发送的每一个完整的行，都要以 "[name] text" 的形式发给其他每一个成员。按 "\\n" 切分缓冲区，每行的 "\\n" 一到就处理。',
            ),
            hintWrong: o.hintWrong,
            explain: (got) => o.explain?.(got) ?? explainChat(got, m.name, from.name, text),
            reproduce: this.replay,
          }),
        ),
    );
  }

  /** None of `who` (default: every member) receives anything for a moment, and none is closed. */
  async quiet(o: { who?: Member[]; after: Text; hint?: Text; ms?: number; explain?: (got: Buffer) => Story | undefined }): Promise<void> {
    await Promise.all(
      (o.who ?? this.members).map((m) =>
        expectNoLine(m.conn, {
          what: t(`${m.conn.label}, ${o.after.en},`, `${o.after.zh}，${m.conn.name.zh}`),
          ms: o.ms ?? QUIET_MS,
          hint: o.hint,
          explain: (got) => o.explain?.(got) ?? explainChat(got, m.name),
          reproduce: this.replay,
        }),
      ),
    );
  }

  /** `who` left: every remaining member must receive "* name left"; the member is removed. */
  async left(who: Member, o: { how: Text; hintSilent?: Text; explain?: (got: Buffer) => Story | undefined }): Promise<void> {
    const i = this.members.indexOf(who);
    if (i >= 0) this.members.splice(i, 1);
    this.taken.add(who.name);
    await Promise.all(
      this.members.map((m) =>
        expectLine(m.conn, leftLine(who.name), {
          what: t(`${m.conn.label}, after ${who.conn.label} ${o.how.en}`, `${who.conn.name.zh}${o.how.zh}之后的 ${m.conn.name.zh}`),
          timeoutMs: REPLY_MS,
          hintSilent: o.hintSilent ?? HINT_LEAVE,
          explain: (got) => o.explain?.(got) ?? explainChat(got, m.name),
          reproduce: this.replay,
        }),
      ),
    );
  }

  /** The server must answer `conn` with one "!" line and close it. */
  async refused(conn: Conn, o: { what: Text; because: Text; hintAccepted: Text; hintSilent?: Text }): Promise<void> {
    await this.orPassedOn(conn, o.because, expectLineLike(conn, isRefusal, t('one line starting with "!", then the server closes the connection', '一行以 "!" 开头的话，然后服务器关闭连接'), {
      what: o.what,
      timeoutMs: REPLY_MS,
      hintSilent: o.hintSilent ?? t(
        `Refuse at once: ${o.because.en}. Send one line starting with "!" that says why, then close: socket.end('! …\\n').`,
        `立即拒绝：${o.because.zh}。发送一行以 "!" 开头、说明原因的话，然后关闭：socket.end('! …\\n')。`,
      ),
      hintClosed: t('Say why before closing: one line starting with "!", then socket.end() (which sends it first).', '关闭之前先说明原因：一行以 "!" 开头的话，然后 socket.end()（它会先把这行发出去）。'),
      explain: (got) =>
        got.toString().startsWith('* in the room:')
          ? { story: t(`the server let it in, but ${o.because.en}`, `服务器让它进了房间，但是${o.because.zh}`), hint: o.hintAccepted }
          : undefined,
      hintWrong: o.hintAccepted,
      reproduce: this.replay,
    }));
    await expectClose(conn, {
      what: t(`${o.what.en}, after the "!" line`, `${o.what.zh}，在 "!" 那一行之后`),
      timeoutMs: CLOSE_MS,
      hintOpen: t('After the "!" line, close the connection: socket.end(\'! …\\n\') sends the line and then closes.', '发出 "!" 那一行之后要关闭连接：socket.end(\'! …\\n\') 会先发这一行再关闭。'),
      hintMore: t('After the "!" line, send nothing more: the client is not in the room.', '发出 "!" 那一行之后什么都别再发：这个客户端不在房间里。'),
      reproduce: this.replay,
    });
  }

  /**
   * Waits for `waiting` (the refusal of a member's bad line). If the server stays silent to the
   * member but passed part of that line on to the others as a message — it took the end of a read
   * for the end of a line — that is the failure to report, whatever the read boundaries were: it
   * says what the server did, where "no line arrived" would only say what it did not.
   */
  private async orPassedOn(conn: Conn, because: Text, waiting: Promise<unknown>): Promise<void> {
    try {
      await waiting;
    } catch (err) {
      const sender = this.members.find((m) => m.conn === conn);
      if (!(err instanceof CheckFailure) || err.init.kind !== 'hung' || !sender) throw err;
      for (const m of this.members) {
        if (m === sender) continue;
        const line = m.conn.peek().toString('utf8').split('\n').find((l) => l.startsWith(`[${sender.name}] `));
        if (line === undefined) continue;
        failLine(m.conn, {
          summary: t(
            `${m.conn.label} got ${esc(line, 80)} although ${because.en}: the server passed on part of ${sender.name}'s line as a message, and never refused it`,
            `${m.conn.name.zh} 收到了 ${esc(line, 80)}，可是${because.zh}：服务器把 ${sender.name} 那一行的一部分当作一条消息转发了，却始终没有拒绝它`,
          ),
          expected: t(`nothing from ${sender.name}: its line is refused, not passed on`, `不应收到 ${sender.name} 的任何消息：它的这一行应被拒绝，而不是转发`),
          hint: HINT_LOOP,
          room: this,
        });
      }
      throw err;
    }
  }

  /** The server must close `conn` (after its FIN, say) without sending anything more. */
  async closes(conn: Conn, o: { what: Text; hintOpen: Text }): Promise<void> {
    await expectClose(conn, { what: o.what, timeoutMs: CLOSE_MS, hintOpen: o.hintOpen, reproduce: this.replay });
  }
}

/**
 * Runs a check's body with a room. Failures get the room's replay command, and wire errors that
 * escaped an assertion (a send to a closed connection, a refused connect) become failures too.
 */
export function chat(body: (room: Room, ctx: CheckContext) => Promise<void>): (ctx: CheckContext) => Promise<void> {
  return async (ctx) => {
    const room = new Room(ctx);
    try {
      await body(room, ctx);
      await room.leave();
    } catch (err) {
      if (err instanceof CheckFailure) {
        if (err.init.reproduce === undefined) err.init.reproduce = room.replay() ?? '';
        throw err;
      }
      if (err instanceof WireError) {
        throw new CheckFailure({ kind: kindOf(err), summary: err.text, conn: err.conn, reproduce: room.replay() ?? '' });
      }
      throw err;
    }
  };
}

/** Fails with what was sent, what came and what was expected: for checks that judge lines themselves. */
export function failLine(conn: Conn, o: { summary: Text; expected: Text; hint: Text; kind?: FailureKind; room: Room }): never {
  fail({ kind: o.kind ?? 'wrong', summary: o.summary, expected: o.expected, hint: o.hint, conn, reproduce: o.room.replay() ?? '' });
}

// ---------------------------------------------------------------------------------------------
// A busy room

export const HINT_OWN_BUFFER = t(
  "Each connection needs its own buffer: declare it inside the 'connection' handler. A buffer shared by all clients splices one client's half line into another's.",
  "每个连接都需要自己的缓冲区：在 'connection' 回调里面声明它。所有客户端共用一个缓冲区，会把一个客户端的半行拼进另一个客户端的行里。",
);

/**
 * `members` clients join, then all send `linesEach` lines at once, each stream cut at random places
 * (inside characters too) into `pieces` writes, interleaved across clients in shuffled rounds; a
 * few members read slowly. Each member must receive every other member's lines exactly once, each
 * sender's in the order sent, and nothing else.
 */
export async function busyRoom(room: Room, o: { members: number; linesEach: number; slowReaders: number; pieces: [number, number] }): Promise<void> {
  const { rng } = room.ctx;
  const styles: NameStyle[] = ['latin', 'chinese', 'script', 'marks', 'longest'];
  const members: Member[] = [];
  for (let i = 0; i < o.members; i++) members.push(await room.join(room.name(styles[i % styles.length]!)));
  // Some read in bursts with pauses; they must still get everything, in order.
  const slow = rng.shuffle(members.slice(1)).slice(0, o.slowReaders).map((m) => readSlowly(m.conn, 3));
  const plans = members.map((m, k) => {
    const texts = Array.from({ length: o.linesEach }, (_, i) => makeText(rng, `${k + 1}.${i + 1}`));
    const stream = Buffer.from(texts.map((x) => x + '\n').join(''));
    // Cut anywhere, so half lines from many clients are in flight at once.
    return { m, texts, pieces: splitRandomly(stream, rng.int(o.pieces[0], o.pieces[1]), rng) };
  });
  const rounds = Math.max(...plans.map((p) => p.pieces.length));
  for (let r = 0; r < rounds; r++) {
    for (const p of rng.shuffle([...plans])) if (p.pieces[r]) await p.m.conn.send(p.pieces[r]!);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const byName = new Map(plans.map((p) => [p.m.name, p]));
  const others = o.members - 1;
  const total = others * o.linesEach;
  await Promise.all(
    members.map(async (reader) => {
      const next = new Map(members.map((m) => [m.name, 0]));
      const reading = new LineReader(reader.conn);
      for (let got = 0; got < total; got++) {
        const line = await reading.next({
          what: t(`${reader.conn.label}, waiting for message ${got + 1} of the ${total} the other ${others} members sent`, `${reader.conn.name.zh} 在等其他 ${others} 个成员所发 ${total} 条消息中的第 ${got + 1} 条`),
          timeoutMs: 2000,
          hintSilent: t(`Every complete line from every member must reach every other member. ${HINT_OWN_BUFFER.en}`, `每个成员的每一个完整的行都必须送到其他每个成员。${HINT_OWN_BUFFER.zh}`),
          reproduce: room.replay,
        });
        const s = line.toString();
        const close = s.indexOf('] ');
        const from = s.startsWith('[') && close > 0 ? s.slice(1, close) : undefined;
        const plan = from === undefined ? undefined : byName.get(from);
        function wrong(story: Text, hint: Text): never {
          return failLine(reader.conn, {
            summary: t(`${reader.conn.label}, message ${got + 1} of ${total}: got ${esc(line)} — ${story.en}`, `${reader.conn.name.zh} 的第 ${got + 1}/${total} 条消息：收到 ${esc(line)}——${story.zh}`),
            expected: t(`the ${total} lines of the other members, each once, each member's in the order it sent them`, `其他成员的 ${total} 行，每行一次，每个成员的行按发送顺序`),
            hint,
            room,
          });
        }
        if (!plan) wrong(t('not a message from any member', '不是任何成员的消息'), HINT_OWN_BUFFER);
        if (plan.m === reader) wrong(t(`that is ${reader.name}'s own message`, `这是 ${reader.name} 自己的消息`), HINT_ECHO);
        const i = next.get(plan.m.name)!;
        const text = s.slice(close + 2);
        if (i < o.linesEach && text === plan.texts[i]) {
          next.set(plan.m.name, i + 1);
          continue;
        }
        const seen = plan.texts.indexOf(text);
        if (seen >= 0 && seen < i) wrong(t(`${plan.m.name}'s line ${seen + 1} a second time`, `${plan.m.name} 的第 ${seen + 1} 行又来了一次`), HINT_OWN_BUFFER);
        if (seen > i) wrong(t(`${plan.m.name}'s line ${seen + 1} before its line ${i + 1}`, `${plan.m.name} 的第 ${seen + 1} 行跑到了它的第 ${i + 1} 行前面`), HINT_OWN_BUFFER);
        wrong(
          i < o.linesEach
            ? t(`${plan.m.name} sent ${esc(plan.texts[i]!)} as its line ${i + 1}`, `${plan.m.name} 的第 ${i + 1} 行应该是 ${esc(plan.texts[i]!)}`)
            : t(`${plan.m.name} sent only ${o.linesEach} lines`, `${plan.m.name} 只发了 ${o.linesEach} 行`),
          HINT_OWN_BUFFER,
        );
      }
    }),
  );
  for (const s of slow) await s.stop();
  await room.quiet({ after: t('after every message had arrived', '所有消息都到达之后'), hint: HINT_OWN_BUFFER });
}

// ---------------------------------------------------------------------------------------------
// Reading wrong lines

/** A value for the replay script: a JS string when the bytes are text, else base64. */
function jsValue(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  if (Buffer.from(text).equals(bytes) && !/[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text)) return JSON.stringify(text).replaceAll("'", '\\u0027');
  return `B("${bytes.toString('base64')}")`;
}

/** What a wrong first line to a newcomer most likely means. */
function explainList(got: Buffer, name: string, present: readonly string[]): Story | undefined {
  const line = got.toString();
  if (isRefusal(got)) {
    return {
      story: t(`the server refused the name ${esc(name)}, which is valid (${[...name].length} characters, letters/digits/_/- only) and not in use`, `服务器拒绝了名字 ${esc(name)}，而它是合法的（${[...name].length} 个字符，只有字母/数字/_/-），也没人在用`),
      hint: t(
        `${HINT_NAME_RULE.en} If your rule is right, look at the bytes it was given: with one buffer for all clients, another client's leftover bytes end up in front of this name — each connection needs its own buffer.`,
        `${HINT_NAME_RULE.zh}如果你的规则没错，就看看它拿到的字节：如果所有客户端共用一个缓冲区，别的客户端剩下的字节就会跑到这个名字前面——每个连接都需要自己的缓冲区。`,
      ),
    };
  }
  if (line === joinedLine(name)) {
    return {
      story: t("that is the newcomer's own join announcement; the newcomer gets the member list instead", '这是新成员自己的加入通知；新成员应该收到成员列表'),
      hint: t('Announce the join to everyone except the newcomer, and send the newcomer the list of who was there before it.', '把加入通知发给除新成员以外的所有人，并把之前就在房间里的成员列表发给新成员。'),
    };
  }
  const prefix = '* in the room: ';
  if (line.startsWith(prefix)) {
    const names = line.slice(prefix.length) === '(nobody)' ? [] : line.slice(prefix.length).split(', ');
    if (names.includes(name) && !present.includes(name)) {
      return {
        story: t('the list includes the newcomer itself', '列表里包含了新成员自己'),
        hint: t('List the members who were in the room before the newcomer: build the list before adding the newcomer to the room.', '列出新成员到来之前就在房间里的成员：先生成列表，再把新成员加进房间。'),
      };
    }
    if (names.length === present.length && [...names].sort().join() === [...present].sort().join()) {
      return {
        story: t('the right names in the wrong order', '名字都对，顺序不对'),
        hint: t('The list is in join order, oldest first. A Map (or an array) keeps insertion order; don\'t sort it, and don\'t add newcomers at the front.', '列表按加入顺序排列，先来的在前。Map（或数组）会保持插入顺序；不要排序，也不要把新成员插在前面。'),
      };
    }
    if (present.length === 0) {
      return {
        story: t('an empty room is listed as "* in the room: (nobody)"', '空房间的列表是 "* in the room: (nobody)"'),
        hint: t('When nobody is in the room yet, the list line is exactly "* in the room: (nobody)".', '房间里还没有人时，列表这一行正好是 "* in the room: (nobody)"。'),
      };
    }
  }
  return {
    story: t('the first line to a newcomer is the member list', '发给新成员的第一行应该是成员列表'),
    hint: t(
      'Right after a valid name, send the newcomer one line: "* in the room: " and the names already there, oldest first, separated by ", " — or "* in the room: (nobody)".',
      '收到合法名字后，立刻给新成员发一行："* in the room: " 加上已经在房间里的名字，先来的在前，用 ", " 分隔——或者 "* in the room: (nobody)"。',
    ),
  };
}

/** What a wrong line to a member most likely means (`reader` is the member who got it). */
export function explainChat(got: Buffer, reader: string, from?: string, text?: string): Story | undefined {
  const line = got.toString();
  if (line.startsWith(`[${reader}] `)) {
    return { story: t(`that is ${reader}'s own message, sent back to its sender`, `这是 ${reader} 自己的消息，又发回给了发送者`), hint: HINT_ECHO };
  }
  if (from !== undefined && text !== undefined) {
    const want = chatLine(from, text);
    if (line === chatLine(from, '')) {
      return {
        story: t(`an empty line from ${from} was passed on`, `${from} 发的空行被转发了`),
        hint: t('Drop empty lines (after removing a "\\r"): they are not messages.', '丢弃空行（去掉 "\\r" 之后为空的也算）：它们不是消息。'),
      };
    }
    if (line.length > 0 && want.startsWith(line) && line.length < want.length) {
      return {
        story: t('only the first part of the line: it was passed on before its "\\n" arrived', '只有这一行的前一部分：它在 "\\n" 到达之前就被转发了'),
        hint: HINT_LOOP,
      };
    }
    if (line.startsWith(want) && line.length > want.length && !line.endsWith('\r')) {
      return {
        story: t('the line goes on after the text that was sent: two lines ran together, or another client\'s bytes got into it', '这一行在发送的文本之后还有内容：两行粘在了一起，或者混进了别的客户端的字节'),
        hint: HINT_LOOP,
      };
    }
  }
  if (line === '[undefined] ' || line.startsWith('* undefined') || line.startsWith('* null') || line === '*  left') {
    return {
      story: t('a line about a member with no name', '一条关于没有名字的成员的消息'),
      hint: t('A client that never sent a valid name is not a member: it never joined, so it never leaves, and it never speaks.', '没有发送合法名字的客户端不是成员：它从没加入，所以也谈不上离开，更不能发言。'),
    };
  }
  return undefined;
}
