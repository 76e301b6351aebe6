/**
 * A stage's hints as a learner reads them, in `npm run hint` and in watch mode: one at a time,
 * headed "hint n of N", in the learner's track, and what to do after each.
 */
import { say, t, type Lang, type Text } from './i18n.ts';
import { readmeFile } from './layout.ts';
import { colors, wrap } from './report/style.ts';
import { forTrack, type Track } from './track.ts';
import type { Stage } from './types.ts';

export interface HintStyle {
  lang: Lang;
  track: Track;
  color: boolean;
  width: number;
}

/** Hint `n` (1-based) of a stage, headed "hint n of N" and wrapped to the terminal. */
export function renderHint(stage: Stage, n: number, style: HintStyle): string {
  const c = colors(style.color);
  const hints = stage.hints ?? [];
  const head = say(
    t(`Stage ${stage.number} · ${stage.title.en} — hint ${n} of ${hints.length}`, `第 ${stage.number} 关 · ${stage.title.zh}——提示 ${n}/${hints.length}`),
    style.lang,
  );
  const body = wrap(say(forTrack(hints[n - 1]!, style.track), style.lang), style.width - 2).map((l) => '  ' + l);
  return `${c.bold(c.yellow(head))}\n${body.join('\n')}\n`;
}

/** What to do after hint `n`: the next command, or that this was the last one. */
export function afterHint(stage: Stage, n: number): Text {
  const total = stage.hints?.length ?? 0;
  if (n >= total) {
    return t(
      `That was the last hint for stage ${stage.number}. Still stuck? Re-read "The contract" in ${readmeFile(stage.slug, 'en')}, and run the failing check's "Try it" commands by hand.`,
      `这是第 ${stage.number} 关的最后一条提示。还是卡住了？重读 ${readmeFile(stage.slug, 'zh-CN')} 里的「约定」一节，再亲手运行失败检查下面「动手试试」里的命令。`,
    );
  }
  return t(`Next hint: npm run hint ${stage.number} ${n + 1}`, `下一条提示：npm run hint ${stage.number} ${n + 1}`);
}

/** Watch mode's answer to "h" for a stage without hints (npm run hint refuses on the command line). */
export function noHints(stage: Stage): Text {
  return t(`Stage ${stage.number} has no hints yet — read ${readmeFile(stage.slug, 'en')}`, `第 ${stage.number} 关还没有提示——请阅读 ${readmeFile(stage.slug, 'zh-CN')}`);
}
