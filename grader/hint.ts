/**
 * `npm run hint 3`: the hints of a stage, one at a time, gentlest first (each stage's folder holds
 * its own, in grader/stages/NN-slug/index.ts).
 *
 *   npm run hint 3          hint 1; on a terminal, Enter shows the next one (Ctrl-C stops)
 *   npm run hint 3 2        hint 2 only, and the command for hint 3 — works anywhere (no terminal
 *                           needed: editors' consoles, scripts, CI logs)
 *   npm run hint -- 3 --all every hint at once
 *
 * Each hint gives a little more away, so showing one and making the next a deliberate step keeps
 * the learner thinking; the numbered form means nothing needs to be remembered between runs.
 */
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { EXIT } from './exit-codes.ts';
import { say, t } from './i18n.ts';
import type { HintPlan, HintUsagePlan } from './plan.ts';
import { colors, terminalWidth, wantColor } from './report/style.ts';
import { afterHint, renderHint, type HintStyle } from './stage-hints.ts';
import { stages } from './stages.ts';

const USAGE = t(
  `Usage: npm run hint <stage> [n]      e.g. npm run hint 1, npm run hint 1 2, npm run hint -- 1 --all
Stages: ${stages.map((s) => `${s.number} ${s.title.en}`).join(' · ')}`,
  `用法：npm run hint <关卡> [第几条]      例如 npm run hint 1、npm run hint 1 2、npm run hint -- 1 --all
关卡：${stages.map((s) => `${s.number} ${s.title.zh}`).join(' · ')}`,
);

export async function hintMain(plan: HintPlan | HintUsagePlan): Promise<number> {
  const { lang } = plan;
  if (plan.mode === 'hint-usage') {
    (plan.asked ? process.stdout : process.stderr).write(say(USAGE, lang) + '\n');
    return plan.asked ? EXIT.passed : EXIT.usage;
  }
  const { stage, first } = plan;
  const hints = stage.hints ?? [];
  const style: HintStyle = { lang, track: plan.track, color: wantColor(), width: terminalWidth() };
  const c = colors(style.color);
  if (plan.all) {
    process.stdout.write(hints.map((_, i) => renderHint(stage, i + 1, style)).join('\n'));
    return EXIT.passed;
  }
  const interactive = !plan.numbered && Boolean(process.stdin.isTTY && process.stdout.isTTY);
  process.stdout.write(renderHint(stage, first, style));
  if (!interactive || first === hints.length) {
    process.stdout.write('\n' + c.dim(say(afterHint(stage, first), lang)) + '\n');
    return EXIT.passed;
  }
  // Line mode, not raw mode: Ctrl-C stays an ordinary SIGINT and the terminal needs no restoring.
  const rl = createInterface({ input: process.stdin });
  try {
    for (let n = first + 1; n <= hints.length; n++) {
      process.stdout.write(
        '\n' + c.dim(say(t(`Enter: hint ${n} of ${hints.length} · Ctrl-C: stop here`, `回车：看第 ${n}/${hints.length} 条提示 · Ctrl-C：到此为止`), lang)) + ' ',
      );
      const [line] = (await Promise.race([once(rl, 'line'), once(rl, 'close').then(() => [null])])) as [string | null];
      if (line === null || /^\s*q/i.test(line)) return EXIT.passed;
      process.stdout.write('\n' + renderHint(stage, n, style));
    }
    process.stdout.write('\n' + c.dim(say(afterHint(stage, hints.length), lang)) + '\n');
  } finally {
    rl.close();
  }
  return EXIT.passed;
}
