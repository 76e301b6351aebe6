/**
 * `--format github`, for the student edition's Actions workflow: a Markdown summary for
 * $GITHUB_STEP_SUMMARY (the run's page shows it) and `::error` workflow commands, which GitHub
 * turns into annotations on the exercise file of failing checks — those of the stage the learner
 * is on first, and no more than GitHub shows. Reads results; runs nothing.
 */
import { say, t, type Lang, type Text } from '../i18n.ts';
import type { CheckResult, StageResult } from '../types.ts';
import { labelled, SERVER_DID_NOT_START, withColon } from './labels.ts';
import { failureSections, lineGroups, type Section } from './sections.ts';

/** Workflow command data: %, CR and LF are escaped; properties also escape : and ,. */
export function escapeData(s: string): string {
  return s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

/** Markdown text outside code: no HTML, no table breaks. */
function md(s: string): string {
  return s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!).replaceAll('|', '\\|').replace(/\r?\n/g, ' ');
}

/** A fenced block that the content cannot close early. */
function fence(body: string): string {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}text\n${body}\n${f}`;
}

/**
 * GitHub shows at most 10 error annotations per step and drops the rest without a word, so the
 * grader writes at most this many, then one notice saying how many more the summary holds.
 */
export const MAX_ERROR_ANNOTATIONS = 9;

/**
 * `::error` lines for failing checks (one per stage when its server did not start), the stage the
 * learner is working on — the first one not fully passed — first, then the stages after it; at
 * most MAX_ERROR_ANNOTATIONS, then one `::notice` "N more failures: see the summary".
 */
export function githubAnnotations(results: StageResult[], lang: Lang): string {
  const focus = results.findIndex((r) => !r.passed);
  if (focus < 0) return '';
  const errors: string[] = [];
  for (const r of [...results.slice(focus), ...results.slice(0, focus)]) {
    const file = `exercises/${r.slug}/server.ts`;
    if (r.startError) {
      const title = say(t(`socklab stage ${r.stage}: the server did not start`, `socklab 第 ${r.stage} 关：服务器没有启动`), lang);
      const body = [say(r.startError.text, lang), r.startError.output].filter(Boolean).join('\n');
      errors.push(`::error file=${escapeProperty(file)},title=${escapeProperty(title)}::${escapeData(body)}`);
      continue;
    }
    for (const c of r.checks.filter((x) => !x.passed)) {
      const view = failureSections(c, lang);
      if (!view) continue;
      const title = `socklab ${c.id} ${view.title} (${view.kindLabel})`;
      // An annotation sits beside the code: the gist only; the summary holds the transcript.
      const body = view.sections
        .filter((x) => x.key === 'happened' || x.key === 'expected' || x.key === 'hint')
        .map((x) => (x.key === 'happened' ? prose(x) : labelled(x.label, prose(x), lang)))
        .join('\n');
      errors.push(`::error file=${escapeProperty(file)},title=${escapeProperty(title)}::${escapeData(body)}`);
    }
  }
  const lines = errors.slice(0, MAX_ERROR_ANNOTATIONS);
  const more = errors.length - lines.length;
  if (more > 0) {
    const text = say(t(`${more} more failure${more === 1 ? '' : 's'}: see the summary on the run's page`, `还有 ${more} 项未通过：见运行页面上的摘要`), lang);
    lines.push(`::notice title=${escapeProperty('socklab')}::${escapeData(text)}`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

export function githubSummary(results: StageResult[], seed: number, lang: Lang): string {
  const s = (x: Text | string): string => say(x, lang);
  const score = results.reduce((a, r) => a + r.score, 0);
  const max = results.reduce((a, r) => a + r.maxScore, 0);
  const out: string[] = [];
  out.push(`## ${s(t(`socklab · ${score}/${max} points`, `socklab · ${score}/${max} 分`))}`, '');
  out.push(`| | ${s(t('Stage', '关卡'))} | ${s(t('Checks passed', '通过的检查'))} | ${s(t('Points', '得分'))} |`, '|---|---|---|---|');
  for (const r of results) {
    const passed = r.checks.filter((c) => c.passed).length;
    const mark = r.passed ? '✅' : passed > 0 ? '🟡' : '❌';
    out.push(`| ${mark} | ${r.stage} · ${md(s(r.title))} | ${passed}/${r.checks.length} | ${r.score}/${r.maxScore} |`);
  }
  for (const r of results.filter((x) => !x.passed)) {
    out.push('', `### ${s(t(`Stage ${r.stage} · ${r.title.en}`, `第 ${r.stage} 关 · ${r.title.zh}`))} — ${r.score}/${r.maxScore}`, '');
    if (r.startError) {
      out.push(`❌ ${md(s(SERVER_DID_NOT_START))}${md(s(r.startError.text))}`);
      if (r.startError.output) out.push('', fence(r.startError.output));
      continue;
    }
    out.push(`| | ${s(t('Check', '检查'))} | ${s(t('Points', '得分'))} |`, '|---|---|---|');
    for (const c of r.checks) out.push(`| ${c.passed ? '✅' : '❌'} | \`${c.id}\` ${md(s(c.title))} | ${c.points}/${c.maxPoints} |`);
    for (const c of r.checks.filter((x) => !x.passed)) out.push('', ...failureDetails(c, lang));
  }
  out.push('', s(t(`Seed ${seed}. The same inputs on your machine: \`npm run grade -- --seed ${seed}\``, `种子 ${seed}。在你自己的电脑上用相同输入重跑：\`npm run grade -- --seed ${seed}\``)), '');
  return out.join('\n');
}

function prose(section: Section): string {
  return section.lines.filter((l) => l.kind === 'prose').map((l) => l.text).join(' ');
}

function failureDetails(c: CheckResult, lang: Lang): string[] {
  const view = failureSections(c, lang);
  if (!view) return [];
  const out = [`<details><summary>❌ ${md(`${view.id} ${view.title}`)} — ${md(view.kindLabel)}</summary>`, ''];
  for (const section of view.sections) {
    const head = `**${md(withColon(section.label, lang))}**`;
    lineGroups(section.lines).forEach((group, i) => {
      if (group.prose) out.push(`${i === 0 ? head + ' ' : ''}${md(group.lines.join(' '))}`, '');
      else out.push(...(i === 0 ? [head, ''] : []), fence(group.lines.join('\n')), '');
    });
  }
  out.push('</details>');
  return out;
}
