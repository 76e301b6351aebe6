/**
 * Gradescope's results.json (autograder specification): one test per check — name, number
 * "stage.check", score, max_score, status, output with the wire transcript, visibility — and a
 * short overall output. Teacher-only checks get the visibility the teacher chose (after_published
 * or hidden), so students never see them before grades are published. Reads results; runs nothing.
 */
import type { StageInfo, StudentResult } from '../class/types.ts';
import { say, t, type Lang, type Text } from '../i18n.ts';
import type { CheckResult, FailureKind } from '../types.ts';
import { FAILURE_KIND_LABEL } from './labels.ts';

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

const KIND = FAILURE_KIND_LABEL;

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

/** A check's story as plain text: what happened, the bytes each way, what was expected, a hint. */
export function checkOutput(c: CheckResult, lang: Lang, startOutput?: string): string {
  const s = (x: Text | string): string => say(x, lang);
  const f = c.failure;
  if (!f) return s(t('Passed.', '通过。'));
  const out: string[] = [`${s(KIND[f.kind])}: ${s(f.summary)}`];
  if (f.caret) out.push('', `${f.caret.line}\n${f.caret.caret} ${s(f.caret.note)}`);
  if (f.wire) {
    const w = f.wire;
    out.push('', `${s(t('Sent', '发送'))} (${w.label}, ${w.writes} ${s(t('writes', '次写入'))}, ${w.sentBytes} ${s(t('bytes', '字节'))}${w.finSent ? ', FIN' : ''}${w.resetSent ? ', RST' : ''}):`);
    if (w.sentBytes) out.push(`  ${w.sentPreview}`);
    out.push(`${s(t('Received', '收到'))} (${w.receivedBytes} ${s(t('bytes', '字节'))}${w.ending ? `, ${w.ending}` : ''}):`);
    if (w.receivedBytes) out.push(`  ${w.receivedPreview}`);
  }
  if (f.diff) out.push('', ...f.diff);
  if (f.expected) out.push('', `${s(t('Expected', '期望'))}: ${s(f.expected)}`);
  const output = f.serverOutput ?? startOutput;
  if (output) out.push('', `${s(t('Server said', '服务器输出'))}:`, ...output.split('\n').map((l) => `  ${l}`));
  if (f.hint) out.push('', `${s(t('Hint', '提示'))}: ${s(f.hint)}`);
  if (f.reproduce) out.push('', `${s(t('Try it', '动手试试'))}: ${f.reproduce}`);
  return out.join('\n');
}
