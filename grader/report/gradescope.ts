/**
 * Gradescope's results.json (autograder specification): one test per check — name, number
 * "stage.check", score, max_score, status, output with the wire transcript, visibility — and a
 * short overall output. Teacher-only checks get the visibility the teacher chose (after_published
 * or hidden), so students never see them before grades are published. Reads results; runs nothing.
 */
import { say, t, type Lang, type Text } from '../i18n.ts';
import type { StageInfo, StudentResult } from '../results.ts';
import type { CheckResult } from '../types.ts';
import { labelled, withColon } from './labels.ts';
import { failureSections, lineGroups } from './sections.ts';

export type Visibility = 'visible' | 'hidden' | 'after_due_date' | 'after_published';

export interface GradescopeTest {
  name: string;
  number: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output: string;
  output_format: 'text';
  visibility: Visibility;
  tags: string[];
}

export interface GradescopeResults {
  execution_time: number;
  output: string;
  output_format: 'text';
  test_output_format: 'text';
  test_name_format: 'text';
  stdout_visibility: Visibility;
  tests: GradescopeTest[];
  extra_data: Record<string, unknown>;
}

export function gradescopeResults(
  student: StudentResult,
  stages: StageInfo[],
  opts: { lang: Lang; teacherOnlyVisibility: 'after_published' | 'hidden'; note?: Text },
): GradescopeResults {
  const s = (x: Text | string): string => say(x, opts.lang);
  const tests: GradescopeTest[] = [];
  for (const info of stages) {
    const r = student.stages.find((x) => x.stage === info.number);
    for (const c of info.checks) {
      const got = r?.checks.find((x) => x.id === c.id);
      const passed = Boolean(got?.passed);
      tests.push({
        name: `${c.id} ${s(c.title)}`,
        number: c.id,
        score: got?.points ?? 0,
        max_score: c.points,
        status: passed ? 'passed' : 'failed',
        output: got ? checkOutput(got, opts.lang, r?.startError?.output) : s(t('not run', '未运行')),
        output_format: 'text',
        visibility: c.teacherOnly ? opts.teacherOnlyVisibility : 'visible',
        tags: [`stage ${info.number}`],
      });
    }
  }
  const lines = student.stages.map((r) =>
    s(t(`Stage ${r.stage} · ${r.title.en}: ${r.score}/${r.maxScore}`, `第 ${r.stage} 关 · ${r.title.zh}：${r.score}/${r.maxScore}`)),
  );
  const visibleMax = tests.filter((x) => x.visibility === 'visible').reduce((a, x) => a + x.max_score, 0);
  const hiddenMax = tests.reduce((a, x) => a + x.max_score, 0) - visibleMax;
  if (hiddenMax > 0) {
    lines.push(s(t(`${hiddenMax} more points come from hidden checks, shown when grades are published.`, `另有 ${hiddenMax} 分来自隐藏检查，成绩发布后可见。`)));
  }
  for (const p of student.problems) lines.push(s(p));
  lines.push(s(t(`Seed ${student.seed}: \`npm run grade -- --seed ${student.seed}\` in your repo gives the same inputs.`, `种子 ${student.seed}：在你的仓库里运行 \`npm run grade -- --seed ${student.seed}\` 可得到相同的输入。`)));
  if (opts.note) lines.push(s(opts.note));
  return {
    execution_time: Math.round(student.durationMs / 1000),
    output: lines.join('\n'),
    output_format: 'text',
    test_output_format: 'text',
    test_name_format: 'text',
    stdout_visibility: 'hidden',
    tests,
    extra_data: { socklab: { seed: student.seed, status: student.status } },
  };
}

/** A check's story as plain text: its kind, then each section as "Label: …", bytes and code indented. */
export function checkOutput(c: CheckResult, lang: Lang, startOutput?: string): string {
  const view = failureSections(c, lang, { serverOutput: startOutput });
  if (!view) return say(t('Passed.', '通过。'), lang);
  const out: string[] = [`✘ ${view.kindLabel}`];
  for (const section of view.sections) {
    out.push('');
    lineGroups(section.lines).forEach((group, i) => {
      const text = group.lines.join('\n');
      if (group.prose) out.push(i === 0 ? labelled(section.label, text, lang) : text);
      else out.push(...(i === 0 ? [withColon(section.label, lang)] : []), ...group.lines.map((l) => `  ${l}`));
    });
  }
  return out.join('\n');
}
