/**
 * The one list of stages: number, folder, title and checks. Everything else — the CLI, progress,
 * hints, the student edition — is derived from here. Adding a stage is one line below.
 */
import { t } from './i18n.ts';
import type { Stage } from './types.ts';
import { checks as tcpEcho } from './checks/01-tcp-echo.ts';

export const stages: Stage[] = [
  {
    number: 1,
    slug: '01-tcp-echo',
    title: t('TCP echo', 'TCP 回显'),
    checks: tcpEcho,
    hints: [
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
    ],
  },
];

export function findStage(n: number): Stage | undefined {
  return stages.find((s) => s.number === n);
}
