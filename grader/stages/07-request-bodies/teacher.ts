/**
 * Stage 7, teacher-only: runs in class mode and on Gradescope; the student edition leaves this file
 * out. Two checks of uploads under load that give the game away if a learner reads them — they name
 * the technique (a temporary file and a rename) the public checks only ask for by effect.
 */
import { fail } from '../../failure.ts';
import { t } from '../../i18n.ts';
import type { Check } from '../../types.ts';
import { firstFailureInOrder } from '../../expect/http-persistent.ts';
import { Line, expectPutAnswer, expectStored, freshName, hostileBody, putRequest, readUpload } from './uploads.ts';

const HINT_INTERLEAVED = t(
  'Two clients may upload to the same name at the same time. If both write into the final file, their bytes interleave and the file is neither upload. Give each upload its own temporary file and rename it when complete: the last rename wins, and the file is always one whole upload.',
  '两个客户端可能同时上传到同一个名字。如果两者都直接写进最终的文件，它们的字节就会交错，文件既不是这个上传也不是那个。给每个上传一个自己的临时文件，完整之后再重命名：最后一次重命名生效，文件永远是某一个完整的上传。',
);

export const checks: Check[] = [
  {
    id: '7.18',
    title: t('two uploads to one name at once, their bodies interleaved: the file ends up as one of them, whole', '两个上传同时写同一个名字、正文交错到达：文件最后是其中一个，而且完整'),
    points: 1,
    timeoutMs: 8000,
    async run(ctx) {
      const name = freshName(ctx, '18', '.bin');
      const bodies = [hostileBody(ctx, ctx.rng.int(60_000, 120_000)), hostileBody(ctx, ctx.rng.int(60_000, 120_000))];
      const reqs = bodies.map((b) => putRequest(name, b));
      const lines = [await Line.open(ctx, 'client 1'), await Line.open(ctx, 'client 2')];
      const half = (i: number): number => reqs[i]!.head.length + Math.floor(bodies[i]!.length / 2);
      // Head and first half of 1, head and first half of 2, the rest of 1, the rest of 2.
      await lines[0]!.send(reqs[0]!.bytes.subarray(0, half(0)));
      await ctx.sleep(30);
      await lines[1]!.send(reqs[1]!.bytes.subarray(0, half(1)));
      await ctx.sleep(30);
      await lines[0]!.send(reqs[0]!.bytes.subarray(half(0)));
      await ctx.sleep(30);
      await lines[1]!.send(reqs[1]!.bytes.subarray(half(1)));
      const xs = await Promise.all(lines.map((l, i) => l.read(reqs[i]!.name, { timeoutMs: 3000 })));
      for (const x of xs) {
        if (x.res.status !== 201 && x.res.status !== 204) expectPutAnswer(x, name, false);
      }
      const stored = readUpload(ctx, name);
      if (stored && (stored.equals(bodies[0]!) || stored.equals(bodies[1]!))) return;
      fail({
        summary: stored
          ? t(
              `two clients uploaded to uploads/${name} at once (${bodies[0]!.length} and ${bodies[1]!.length} bytes, their halves interleaved); afterwards the file has ${stored.length} bytes that are neither upload`,
              `两个客户端同时上传到 uploads/${name}（${bodies[0]!.length} 和 ${bodies[1]!.length} 字节，前后两半交错到达）；之后文件有 ${stored.length} 字节，既不是这个上传也不是那个`,
            )
          : t(`two clients uploaded to uploads/${name} at once; afterwards there is no such file`, `两个客户端同时上传到 uploads/${name}；之后却没有这个文件`),
        expected: t('the file is one of the two uploads, whole (whichever finished last)', '文件是两个上传中的一个，而且完整（以最后完成的为准）'),
        hint: HINT_INTERLEAVED,
        conn: lines[1]!.conn,
      });
    },
  },
  {
    id: '7.19',
    title: t('ten uploads at once, up to 1 MiB each: every file whole', '同时十个上传，每个最多 1 MiB：每个文件都完整'),
    points: 1,
    timeoutMs: 12000,
    async run(ctx) {
      const jobs = Array.from({ length: 10 }, (_, i) => ({ i, name: freshName(ctx, '19', `-${i}.bin`), body: hostileBody(ctx, ctx.rng.int(200_000, 1_048_576)) }));
      await firstFailureInOrder(
        jobs.map(async ({ i, name, body }) => {
          const line = await Line.open(ctx, `client ${i + 1} of ${jobs.length}`);
          await line.request(putRequest(name, body));
          const x = await line.read(`PUT /uploads/${name}`, { timeoutMs: 6000 });
          expectPutAnswer(x, name, false);
          expectStored(ctx, name, body, { after: t(`after the ${x.res.status} to PUT /uploads/${name}, one of ${jobs.length} uploads at once`, `在同时进行的 ${jobs.length} 个上传之一 PUT /uploads/${name} 得到 ${x.res.status} 之后`), conn: line.conn });
        }),
      );
    },
  },
];
