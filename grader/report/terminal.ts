/**
 * The report a learner reads in the terminal: one line per check, then each failure in full —
 * what happened on the wire, what was expected, what to try, and a command to reproduce it.
 * Reads results; runs nothing.
 */
import { say, t, type Lang, type Text } from '../i18n.ts';
import { readmeFile } from '../layout.ts';
import type { CheckResult, StageResult } from '../types.ts';
import { formatMs } from '../wire/conn.ts';
import { FAILURE_KIND_LABEL, SECTION_KEYS, SECTION_LABEL, SERVER_DID_NOT_START, type SectionKey } from './labels.ts';
import { repeatedCauses } from './repeats.ts';
import { failureSections } from './sections.ts';
import { colors, displayWidth, padEnd, wrap, type Colors } from './style.ts';

export interface TerminalOptions {
  lang: Lang;
  color: boolean;
  width: number;
  /** Show every failure in full (default: the first two, the rest as one line each). */
  verbose?: boolean;
  /** How many failures to show in full when not verbose (default 2; watch mode shows 1). */
  fullFailures?: number;
  /** How the learner runs this server by hand (for "Try it"), e.g. "npx tsx exercises/…/server.ts". */
  runByHand?: string;
  /** The command that re-runs exactly this grading, shown next to the seed. */
  rerun?: string;
}

/** The first line of a stage report; printed before grading starts so the learner sees progress. */
export function renderHeader(stage: { number: number; title: Text }, seed: number, opts: TerminalOptions): string {
  const c = colors(opts.color);
  const header = say(t(`socklab · stage ${stage.number} · ${stage.title.en}`, `socklab · 第 ${stage.number} 关 · ${stage.title.zh}`), opts.lang);
  return c.bold(header) + c.dim(`   ${say(t(`seed ${seed}`, `种子 ${seed}`), opts.lang)}`) + '\n';
}

/** Width of the title column, so lines printed one at a time still line up. */
export function titleColumn(titles: readonly Text[], lang: Lang): number {
  return Math.min(60, Math.max(0, ...titles.map((x) => displayWidth(say(x, lang)))));
}

/** One line per check: mark, id, title, and its time or what went wrong. */
export function renderCheckLine(r: CheckResult, titleWidth: number, opts: TerminalOptions): string {
  const c = colors(opts.color);
  const s = (x: Text | string): string => say(x, opts.lang);
  const mark = r.passed ? c.green('✔') : c.red('✘');
  const extraText = r.passed ? formatMs(r.durationMs) : s(FAILURE_KIND_LABEL[r.failure?.kind ?? 'wrong']);
  const extra = r.passed ? c.dim(extraText) : c.red(extraText);
  // On a narrow terminal the title gives way, so each check stays on one line.
  const fit = Math.max(10, opts.width - 12 - displayWidth(extraText));
  return `  ${mark} ${r.id.padEnd(5)} ${padEnd(truncate(s(r.title), Math.min(60, fit)), Math.min(titleWidth, fit))}  ${extra}\n`;
}

/** Everything after the check lines: failures in full, the score, the seed to re-run with. */
export function renderDetails(result: StageResult, opts: TerminalOptions): string {
  const c = colors(opts.color);
  const s = (x: Text | string): string => say(x, opts.lang);
  const out: string[] = [];
  if (result.startError) {
    out.push('');
    out.push(...block(c.red('✘ ') + s(SERVER_DID_NOT_START) + s(result.startError.text), opts.width, ''));
    if (result.startError.output) out.push(...indent(result.startError.output, '    ', c));
    out.push('');
    out.push(c.dim(s(t(`score 0/${result.maxScore}`, `得分 0/${result.maxScore}`))));
    return out.join('\n') + '\n';
  }
  const failures = result.checks.filter((r) => !r.passed);
  // A failure with the same cause as one shown in full is one line pointing at it (report/repeats.ts
  // has the rule); the first `fullFailures` causes are shown in full. --verbose shows everything.
  const repeats = opts.verbose ? new Map<string, string>() : repeatedCauses(failures);
  const budget = opts.verbose ? Infinity : (opts.fullFailures ?? 2);
  const inFull = new Set<string>();
  let shown = 0;
  for (const r of failures) {
    const same = repeats.get(r.id);
    if (same !== undefined) {
      if (!inFull.has(same)) continue;
      out.push(renderRepeat(r, same, opts, c));
    } else {
      if (inFull.size >= budget) continue;
      inFull.add(r.id);
      out.push('');
      out.push(...renderFailure(r, opts, c));
    }
    shown++;
  }
  if (failures.length > shown) {
    const more = failures.length - shown;
    out.push('');
    out.push(c.dim(s(t(
      `(${more} more ${more === 1 ? 'failure' : 'failures'} above; fix these first, or add --verbose to see every one in full)`,
      `（上面还有 ${more} 项未通过；先修好这几项，或者加上 --verbose 查看全部细节）`,
    ))));
  }
  out.push('');
  const passedCount = result.checks.length - failures.length;
  const scoreLine = s(t(
    `score ${result.score}/${result.maxScore} · ${passedCount} of ${result.checks.length} checks passed · ${formatMs(result.durationMs)}`,
    `得分 ${result.score}/${result.maxScore} · 通过 ${passedCount}/${result.checks.length} 项检查 · 用时 ${formatMs(result.durationMs)}`,
  ));
  out.push((result.passed ? c.green : c.yellow)(c.bold(scoreLine)));
  // A server that keeps dying says so once, plainly: each crash cost a check, whatever came after.
  if (result.crashes) out.push(c.red(s(t(`the server crashed in ${result.crashes} of ${result.checks.length} checks`, `服务器在 ${result.checks.length} 项检查中的 ${result.crashes} 项里崩溃了`))));
  if (opts.rerun && !result.passed) out.push(c.dim(`${s(t('Same inputs again:', '用相同输入重跑：'))} ${opts.rerun}`));
  if (result.passed) out.push(c.green(s(t(`Stage ${result.stage} complete.`, `第 ${result.stage} 关完成。`))));
  return out.join('\n') + '\n';
}

/** How each section is painted on a colour terminal. */
function painter(key: SectionKey, c: Colors): (line: string) => string {
  switch (key) {
    case 'sent':
      return c.cyan;
    case 'received':
      return c.magenta;
    case 'output':
    case 'tryIt':
      return c.dim;
    case 'hint':
      return c.yellow;
    case 'where':
      return (l) => l.replace(/^( *\^)/, (caret) => c.red(caret));
    default:
      return (l) => l;
  }
}

/** One line for a failure whose cause was shown in full for an earlier check. */
function renderRepeat(r: CheckResult, same: string, opts: TerminalOptions, c: Colors): string {
  const s = (x: Text | string): string => say(x, opts.lang);
  const kind = s(FAILURE_KIND_LABEL[r.failure!.kind]);
  const tail = `  (${kind})` + s(t(` — same cause as ${same}`, `——原因同 ${same}`));
  const title = truncate(s(r.title), Math.max(10, opts.width - displayWidth(`✘ ${r.id} `) - displayWidth(tail)));
  return c.red(`✘ ${r.id} ${title}`) + c.dim(tail);
}

function renderFailure(r: CheckResult, opts: TerminalOptions, c: Colors): string[] {
  const view = failureSections(r, opts.lang, { runByHand: opts.runByHand })!;
  const out: string[] = [];
  // The heading stays on one line: the title gives way, as it does in the check list.
  const kind = `  (${view.kindLabel})`;
  const title = truncate(view.title, Math.max(10, opts.width - displayWidth(`✘ ${r.id} `) - displayWidth(kind)));
  out.push(c.red(c.bold(`✘ ${r.id} ${title}`)) + c.dim(kind));
  // Every failure lines up on the same column, whichever sections it has.
  const labelWidth = Math.max(...SECTION_KEYS.map((k) => displayWidth(say(SECTION_LABEL[k], opts.lang)))) + 2;
  for (const section of view.sections) {
    const pad = '  ' + padEnd(section.label, labelWidth);
    const paint = painter(section.key, c);
    // Measured in columns: a Chinese label is twice as wide as its number of characters.
    const width = Math.max(20, opts.width - displayWidth(pad));
    // Code (commands, output, carets) is never wrapped: a break inside a command would change what
    // gets pasted. Escaped bytes wrap only between quoted strings; prose lines that start indented stay.
    const lines = section.lines.flatMap((l) =>
      l.kind === 'code' ? [l.text] : l.text.split('\n').flatMap((p) => (p.startsWith('  ') ? [p] : wrap(p, width))),
    );
    lines.forEach((l, i) => out.push((i === 0 ? c.bold(pad) : ' '.repeat(displayWidth(pad))) + paint(l)));
  }
  return out;
}

function indent(text: string, prefix: string, c: Colors): string[] {
  return text.split('\n').map((l) => c.dim(prefix + l));
}

function block(text: string, width: number, prefix: string): string[] {
  return wrap(text, width - displayWidth(prefix)).map((l) => prefix + l);
}

function truncate(s: string, max: number): string {
  if (displayWidth(s) <= max) return s;
  let out = '';
  for (const ch of s) {
    if (displayWidth(out + ch) > max - 1) break;
    out += ch;
  }
  return out + '…';
}

/** The whole course at a glance, and where to go next. */
export function renderCourse(results: StageResult[], opts: TerminalOptions): string {
  const c = colors(opts.color);
  const s = (x: Text | string): string => say(x, opts.lang);
  const out: string[] = [c.bold(s(t('socklab · course progress', 'socklab · 课程进度'))) + c.dim(`   ${s(t(`seed ${results[0]?.seed ?? ''}`, `种子 ${results[0]?.seed ?? ''}`))}`)];
  const titleWidth = Math.max(...results.map((r) => displayWidth(s(r.title))));
  for (const r of results) {
    const passed = r.checks.filter((x) => x.passed).length;
    const mark = r.passed ? c.green('✔') : passed > 0 ? c.yellow('◐') : c.dim('○');
    const status = r.startError
      ? c.red(s(t('does not start', '无法启动')))
      : r.passed
        ? c.green(s(t('done', '完成')))
        : passed > 0
          ? c.yellow(s(t('in progress', '进行中')))
          : c.dim(s(t('not started', '未开始')));
    out.push(`  ${mark} ${String(r.stage).padStart(2)}  ${padEnd(s(r.title), titleWidth)}  ${`${passed}/${r.checks.length}`.padStart(5)}  ${String(r.score).padStart(3)}/${r.maxScore}  ${status}`);
  }
  const score = results.reduce((a, r) => a + r.score, 0);
  const max = results.reduce((a, r) => a + r.maxScore, 0);
  out.push('');
  out.push(c.bold(s(t(`total ${score}/${max}`, `总分 ${score}/${max}`))));
  const next = results.find((r) => !r.passed);
  if (next) {
    out.push(...wrap(s(t(`Next: stage ${next.stage}, ${next.title.en} — read ${readmeFile(next.slug, 'en')}, then run: npm run grade ${next.stage}`, `下一步：第 ${next.stage} 关「${next.title.zh}」——先读 ${readmeFile(next.slug, 'zh-CN')}，然后运行：npm run grade ${next.stage}`)), opts.width));
  } else {
    out.push(c.green(s(t('Every stage passes. Well done!', '所有关卡都通过了，干得漂亮！'))));
  }
  return out.join('\n') + '\n';
}
