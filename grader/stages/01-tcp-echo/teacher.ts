/**
 * Stage 1, teacher-only: runs in class mode and on Gradescope; the student edition leaves this file
 * out. The teacher's check that nothing is shared between clients.
 */
import { expectBytes } from '../../expect/bytes.ts';
import { t } from '../../i18n.ts';
import type { Check } from '../../types.ts';

export const checks: Check[] = [
  {
    id: '1.13',
    title: t('50 clients at once, interleaved: each gets back only its own bytes', '50 个客户端同时交错发送：每个只收回自己的字节'),
    points: 2,
    timeoutMs: 12000,
    async run(ctx) {
      const clients = 50;
      const conns = await Promise.all(Array.from({ length: clients }, (_, k) => ctx.connect(`client ${k + 1} of ${clients}`)));
      // Each stream starts and ends with its client's number, so bytes that reach the wrong client
      // are easy to recognise in the difference shown.
      const plans = conns.map((conn, k) => {
        const parts = [Buffer.from(`client ${k + 1}:`), ctx.rng.bytes(ctx.rng.int(200, 3000)), Buffer.from(`:end of client ${k + 1}\n`)];
        return { conn, k, parts, all: Buffer.concat(parts) };
      });
      // Three rounds; in each, every client sends its next part, in a shuffled order, so the
      // server sees the 50 streams interleaved.
      for (let round = 0; round < 3; round++) {
        for (const p of ctx.rng.shuffle([...plans])) await p.conn.send(p.parts[round]!);
        await ctx.sleep(5);
      }
      await Promise.all(
        plans.map((p) =>
          expectBytes(p.conn, p.all, {
            timeoutMs: 4000,
            what: t(`the echo to client ${p.k + 1} of ${clients}, whose bytes were interleaved with the others'`, `给第 ${p.k + 1}/${clients} 个客户端的回显（它的字节和其他客户端的交错到达）`),
            hint: t(
              "Each connection needs its own state: keep per-client variables inside the 'connection' handler and write to that handler's socket. A module-level 'current socket' or shared buffer sends one client's bytes to another.",
              "每个连接都要有自己的状态：把属于某个客户端的变量放在 'connection' 回调里面，并写回这个回调的 socket。模块级的“当前 socket”或共享缓冲区会把一个客户端的字节发给另一个客户端。",
            ),
          }),
        ),
      );
    },
  },
];
