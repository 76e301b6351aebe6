/**
 * Stage 6, teacher-only: runs in class mode and on Gradescope; the student edition leaves this file
 * out. It is slow by nature — it waits up to 10 s for the server to give up on idle connections —
 * so it stays out of the learner's quick feedback loop.
 */
import { fail } from '../../failure.ts';
import { t, type Text } from '../../i18n.ts';
import { loadSite, readSiteFile, typesFor } from '../../site/site.ts';
import type { Check, CheckContext } from '../../types.ts';
import { type Conn, formatMs } from '../../wire/conn.ts';
import { connectOrExplain } from '../../expect/http.ts';
import { firstFailureInOrder, reproduceConn, runSteps, step } from '../../expect/http-persistent.ts';

const HINT_TIMEOUT = t(
  'Give every connection an idle timer: socket.setTimeout(5000, () => socket.end()) fires after 5 s without a byte in either direction — between requests, before the first one, or in the middle of a head that stopped coming. Without it, clients that open connections and go quiet hold your sockets (and file descriptors) forever.',
  '给每个连接一个空闲计时器：socket.setTimeout(5000, () => socket.end()) 会在两个方向 5 秒都没有任何字节时触发——无论是在两个请求之间、第一个请求之前，还是一个请求头发到一半就不再来了。没有它，那些打开连接后就不说话的客户端会永远占着你的 socket（和文件描述符）。',
);

const LIMIT_MS = 10_000;
const AT_LEAST_MS = 2_000;

/** Waits for the server to close `conn` (any bytes before are allowed: a 408 is a fine goodbye). */
async function expectClosedWhileIdle(conn: Conn, since: number, situation: Text, allowEarly: boolean): Promise<void> {
  const { how } = await conn.readToEnd(Math.max(0, since + LIMIT_MS - Date.now()));
  const after = Date.now() - since;
  if (how === 'open') {
    fail({
      kind: 'not-closed',
      summary: t(`${situation.en}: ${formatMs(LIMIT_MS)} later the server still had the connection open`, `${situation.zh}：${formatMs(LIMIT_MS)} 之后服务器仍然开着这个连接`),
      expected: t(`the server closes an idle connection within ${formatMs(LIMIT_MS)}`, `服务器在 ${formatMs(LIMIT_MS)} 内关闭空闲的连接`),
      hint: HINT_TIMEOUT,
      conn,
      reproduce: reproduceConn(conn),
    });
  }
  if (!allowEarly && after < AT_LEAST_MS) {
    fail({
      kind: 'closed-early',
      summary: t(`${situation.en}: the server closed the connection after only ${formatMs(after)}`, `${situation.zh}：服务器只过了 ${formatMs(after)} 就关闭了连接`),
      expected: t(`an idle connection stays usable for at least ${formatMs(AT_LEAST_MS)}, and is closed within ${formatMs(LIMIT_MS)}`, `空闲的连接至少 ${formatMs(AT_LEAST_MS)} 内仍然可用，并在 ${formatMs(LIMIT_MS)} 内被关闭`),
      hint: HINT_TIMEOUT,
      conn,
      reproduce: reproduceConn(conn),
    });
  }
}

export const checks: Check[] = [
  {
    id: '6.13',
    title: t('idle connections are closed by the server within 10 s', '服务器在 10 秒内关闭空闲的连接'),
    points: 1,
    timeoutMs: 13_000,
    async run(ctx: CheckContext) {
      const site = loadSite(ctx.root);
      const f = site.files.find((x) => x.role === 'text')!;
      // Three quiet clients at once: after a response, before any request, and half-way through a head.
      const afterResponse = async (): Promise<void> => {
        const conn = await connectOrExplain(ctx, 'client 1 (quiet after a response)');
        await runSteps(ctx, conn, [step({ target: f.url }, { status: 200, body: readSiteFile(site, f), file: f.file, types: typesFor(f.file) })], { mode: 'one-by-one' });
        await expectClosedWhileIdle(conn, Date.now(), t(`after its response to GET ${f.url}, the client sent nothing more`, `在收到 GET ${f.url} 的响应之后，客户端不再发送任何东西`), false);
      };
      const silent = async (): Promise<void> => {
        const conn = await connectOrExplain(ctx, 'client 2 (connects, sends nothing)');
        await expectClosedWhileIdle(conn, Date.now(), t('a client connected and never sent a byte', '一个客户端连上之后一个字节都没发'), true);
      };
      const halfHead = async (): Promise<void> => {
        const conn = await connectOrExplain(ctx, 'client 3 (stops half-way through a head)');
        await conn.send(`GET ${f.url} HTTP/1.1\r\nHost: localhost\r\n`);
        await expectClosedWhileIdle(conn, Date.now(), t('a client sent half a head (no empty line) and then nothing more', '一个客户端发了半个请求头（没有空行），之后什么都不再发送'), true);
      };
      await firstFailureInOrder([afterResponse(), silent(), halfHead()]);
    },
  },
];
