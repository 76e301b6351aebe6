/**
 * Descriptor leaks. Every server runs with at most a few hundred open files (runner/limits.ts), so
 * a server that keeps one per client that has left — a socket it never closes, a file it opens per
 * connection — runs out (EMFILE: too many open files) after that many clients. This drives more
 * clients than that through a server, a few at a time so that no more than a handful are ever open
 * together, each doing one round trip and leaving: a server that closes what it no longer needs
 * never notices; one that leaks stops accepting, resets, or crashes part-way, and the failure says
 * after how many clients, and what ran out when the server said so.
 */
import { CheckFailure, type FailureInit } from '../failure.ts';
import { t, type Text } from '../i18n.ts';
import { OPEN_FILES } from '../runner/limits.ts';
import type { CheckContext } from '../types.ts';
import { type Conn, WireError } from '../wire/conn.ts';
import { kindOf } from './kinds.ts';

/** Well over the open-file limit: a server that keeps one descriptor per client runs out before the end. */
export const LEAK_CLIENTS = OPEN_FILES + 44;
/** Clients at a time: far below the limit, so only descriptors kept after a client left can exhaust it. */
const LANES = 16;

export interface LeakOptions {
  /** How many clients in all (default LEAK_CLIENTS). */
  clients?: number;
  /**
   * One round trip on a fresh connection: send a request, expect its answer; throws as the
   * assertions of expect/ do. `i` counts from 1.
   */
  roundTrip(conn: Conn, i: number): Promise<void>;
  /** What to try, for this stage's words (the default speaks of sockets in general). */
  hint?: Text;
}

/** What a server says when it ran out of descriptors (Node, Python, C, Go all use the errno's name or text). */
const RAN_OUT = /EMFILE|ENFILE|too many open files/i;

export async function expectNoDescriptorLeak(ctx: CheckContext, opts: LeakOptions): Promise<void> {
  const total = opts.clients ?? LEAK_CLIENTS;
  let next = 1;
  let served = 0;
  let stop = false;
  const lane = async (): Promise<void> => {
    while (!stop && next <= total) {
      const i = next++;
      let conn: Conn | undefined;
      try {
        conn = await ctx.connect(`client ${i} of ${total}`);
        await opts.roundTrip(conn, i);
      } catch (err) {
        stop = true;
        throw await explainLeak(ctx, err, i, served, total, opts.hint);
      }
      served++;
      // Leave the way most clients do: FIN, then gone. A server that holds on to this connection
      // (never ends or destroys its side) keeps its descriptor for good.
      conn.end();
      conn.abort();
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
}

async function explainLeak(ctx: CheckContext, err: unknown, i: number, served: number, total: number, hint: Text | undefined): Promise<unknown> {
  let init: FailureInit;
  if (err instanceof CheckFailure) init = { ...err.init };
  else if (err instanceof WireError) init = { kind: kindOf(err), summary: t(`client ${i} of ${total}: ${err.text.en}`, `第 ${i}/${total} 个客户端：${err.text.zh}`), conn: err.conn };
  else return err;
  const files = ctx.serverOpenFiles();
  // A dying server prints its error a moment after its sockets close.
  if (!ctx.serverAlive() || init.kind !== 'wrong') await ctx.sleep(50).catch(() => {});
  const ranOut = RAN_OUT.exec(ctx.serverOutput());
  const exhausted = files !== undefined && files.open >= files.limit - 8;
  // Failing early, with files to spare and no word of running out, is some other bug: say it as is.
  if (!exhausted && !ranOut && served < OPEN_FILES / 4) return err;
  // Whether the connection was closed or reset at once depends only on timing (did our request
  // arrive before the server dropped it?): one kind for both keeps the verdict the same on every run.
  if (init.kind === 'reset') init.kind = 'closed-early';
  const before = t(
    `after ${served} clients had each been answered and had left (at most ${LANES} connected at a time)`,
    `此前已有 ${served} 个客户端各自得到回答并离开（同一时刻最多 ${LANES} 个连着）`,
  );
  const what = exhausted
    ? t(
        `The server had ${files!.open} files open, and may have at most ${files!.limit}: it kept one for each client that had left, and ran out (EMFILE: too many open files).`,
        `服务器打开了 ${files!.open} 个文件，而上限是 ${files!.limit} 个：每个已经离开的客户端它都留着一个，于是用完了（EMFILE：打开的文件太多）。`,
      )
    : ranOut
    ? t(`The server ran out of file descriptors (${ranOut[0]}: too many open files): it kept one for each client that had left.`, `服务器的文件描述符用完了（${ranOut[0]}：打开的文件太多）：每个已经离开的客户端它都留着一个。`)
    : t(
        `Servers here may hold at most ${OPEN_FILES} open files; a server that keeps one per departed client runs out after about ${OPEN_FILES - 40} clients.`,
        `这里的服务器最多只能同时打开 ${OPEN_FILES} 个文件；每个离开的客户端都占着一个的话，大约 ${OPEN_FILES - 40} 个客户端之后就会用完。`,
      );
  return new CheckFailure({
    ...init,
    summary: t(`${init.summary.en} — ${before.en}. ${what.en}`, `${init.summary.zh}——${before.zh}。${what.zh}`),
    expected: t(
      `every one of ${total} clients answered, one after another: a server closes each connection once its client has left, so it never holds more than a few`,
      `${total} 个客户端一个接一个，全部得到回答：客户端离开后服务器就关闭那个连接，所以它同时只占用少数几个`,
    ),
    hint: hint ?? HINT_LEAK,
  });
}

const HINT_LEAK = t(
  "Each connection is an open file descriptor until its socket is closed. When a client leaves ('end'), finish and close your side — socket.end(), which Node does for you unless you set allowHalfOpen — and let go of sockets you no longer need (remove them from arrays and maps on 'close'). Anything opened per client (a file, a second socket) must be closed when it leaves.",
  "每个连接在它的 socket 关闭之前都占着一个文件描述符。客户端离开（'end'）时，收尾并关闭你这一侧——socket.end()，除非设置了 allowHalfOpen，否则 Node 会替你调用——并放掉不再需要的 socket（在 'close' 时把它们从数组和 Map 里删掉）。为每个客户端打开的东西（文件、另一个 socket）都要在它离开时关闭。",
);
