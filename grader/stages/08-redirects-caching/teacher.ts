/**
 * Stage 8, teacher-only: runs in class mode and on Gradescope; the student edition leaves this file
 * out. One sweep over the conditions together — every If-None-Match form with every If-Modified-Since
 * form, GET and HEAD, pipelined — judged against RFC 9110 §13.2.2. The public checks take each rule
 * on its own and say which one is broken; this one finds the combinations they leave out (a server
 * that tests the date before the tag only when the tag is weak, say), without giving them away.
 */
import { t, type Text } from '../../i18n.ts';
import { loadSite } from '../../site/site.ts';
import type { Check } from '../../types.ts';
import { connectOrExplain } from '../../expect/http.ts';
import {
  HINT_IF_MODIFIED_SINCE,
  HINT_IF_NONE_MATCH,
  asctimeDate,
  conditionalStatus,
  imfFixdate,
  otherTag,
  rfc850Date,
  runCachingSteps,
  weakForm,
  wholeSeconds,
  type CachingStep,
} from '../../expect/http-caching.ts';
import { full, learnETags, notDates, notModified, pick, type Conditions, type Known } from './index.ts';

const WHY = t(
  'RFC 9110 §13.2.2: If-None-Match, when present, decides alone — "*" or a tag weakly equal to the current ETag means 304; without it, If-Modified-Since decides — a valid HTTP date (any of the three formats) at or after the file\'s time in whole seconds means 304; anything else, 200',
  'RFC 9110 §13.2.2：有 If-None-Match 时只由它决定——"*" 或者与当前 ETag 弱比较相等的标签就回 304；没有它时由 If-Modified-Since 决定——一个合法的 HTTP 日期（三种格式之一），不早于文件修改时间（整秒），就回 304；其余情况回 200',
);

const HINT = t(
  `Evaluate in the order RFC 9110 §13.2.2 gives: if there is an If-None-Match, decide by it alone and never look at the date. ${HINT_IF_NONE_MATCH.en} Only without it: ${HINT_IF_MODIFIED_SINCE.en}`,
  `按 RFC 9110 §13.2.2 给出的顺序判断：有 If-None-Match 就只由它决定，根本不看日期。${HINT_IF_NONE_MATCH.zh}只有没有它时：${HINT_IF_MODIFIED_SINCE.zh}`,
);

export const checks: Check[] = [
  {
    id: '8.16',
    title: t('every combination of the two conditions, GET and HEAD, pipelined', '两种条件的各种组合，GET 和 HEAD，管线化发送'),
    points: 1,
    timeoutMs: 10_000,
    async run(ctx) {
      const site = loadSite(ctx.root);
      const files = pick(ctx, site, 4);
      const conn = await connectOrExplain(ctx);
      const { etags, last } = await learnETags(ctx, conn, files);
      const rand = (n: number): number => ctx.rng.int(0, n - 1);
      const batches = 4;
      const perBatch = 6;
      let before = last;
      for (let b = 0; b < batches; b++) {
        const steps: CachingStep[] = [];
        for (let i = 0; i < perBatch; i++) {
          const k = rand(files.length);
          const f = files[k] as Known;
          const e = etags[k]!;
          const at = wholeSeconds(f.mtimeMs);
          const later = at + ctx.rng.int(1, 1e6) * 1000;
          // The dates, each with what it means (undefined: not a date).
          const dates: [string, number | undefined][] = [
            [f.lastModified, at],
            [imfFixdate(at - 1000), at - 1000],
            [imfFixdate(later), later],
            [imfFixdate(Date.UTC(1999, 11, 31)), Date.UTC(1999, 11, 31)],
            [rfc850Date(at), at],
            [asctimeDate(at + 86_400_000), at + 86_400_000],
            [asctimeDate(at - 86_400_000), at - 86_400_000],
            [notDates(ctx, f)[rand(4)]!, undefined],
          ];
          const tags = [e, weakForm(e), `"${ctx.rng.word()}", ${e}`, '*', otherTag(e, rand), `${otherTag(e, rand)}, W/"${ctx.rng.word()}"`];
          const inm = rand(3) === 0 ? undefined : ctx.rng.pick(tags);
          const ims = rand(4) === 0 ? undefined : ctx.rng.pick(dates);
          const conditions: Conditions = [];
          if (inm !== undefined) conditions.push(['If-None-Match', inm]);
          if (ims !== undefined) conditions.push(['If-Modified-Since', ims[0]]);
          ctx.rng.shuffle(conditions);
          const method = rand(3) === 0 ? 'HEAD' : 'GET';
          const status = conditionalStatus({ ifNoneMatch: inm, ifModifiedSince: ims?.[0], etag: e, mtimeMs: f.mtimeMs, parse: () => ims?.[1] });
          const why: Text = t(`${status === 304 ? '304 Not Modified' : '200 OK'} — ${WHY.en}`, `${status === 304 ? '304 Not Modified' : '200 OK'}——${WHY.zh}`);
          steps.push(status === 304 ? notModified(f, e, conditions, why, HINT, method) : full(f, { method, conditions, etag: e, why, hint: HINT }));
        }
        const xs = await runCachingSteps(ctx, conn, steps, {
          mode: 'pipelined',
          before,
          hint: HINT,
          context: t(`the ${perBatch} requests were sent in one write`, `这 ${perBatch} 个请求是一次写入发送的`),
        });
        before = { name: xs[xs.length - 1]!.name, index: before.index + xs.length };
      }
    },
  },
];
