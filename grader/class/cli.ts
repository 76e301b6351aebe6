/**
 * `npm run grade -- --class DIR` / `--roster roster.csv`: carries out a class plan (plan.ts has
 * refused the flags that mean nothing for a class). Checks the rest against the class it finds
 * (one-line errors, exit code 2), then grades with a progress line, then writes the three files.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT } from '../exit-codes.ts';
import { say, t, type Lang, type Text } from '../i18n.ts';
import { shellWord, type ClassPlan } from '../plan.ts';
import { gradebookCsv } from '../report/csv.ts';
import { classReportHtml } from '../report/html.ts';
import { randomSeed } from '../rng.ts';
import { installCleanupHandlers } from '../runner/processes.ts';
import { stages as allStages } from '../stages.ts';
import { formatMs } from '../wire/conn.ts';
import { ClassInputError, parseStageList, studentsFromClassDir, studentsFromRoster } from './discover.ts';
import { gradeClass } from './grade-class.ts';
import { Progress } from './progress.ts';
import { readResults, resultsJson } from './results-file.ts';
import type { ClassResult } from '../results.ts';

/** Grades the class the plan names; what is wrong with its folders or files is said in one line (exit 2). */
export async function runClass(plan: ClassPlan, cwd = process.cwd()): Promise<number> {
  const { lang, source } = plan;
  const say_ = (x: Text): string => say(x, lang);
  try {
    const where = path.resolve(cwd, source.path);
    let students = source.flag === 'class' ? studentsFromClassDir(where, source.path) : studentsFromRoster(where, source.path);
    const stageNumbers = plan.stages ? parseStageList(plan.stages, allStages.map((s) => s.number)) : allStages.map((s) => s.number);
    const stages = allStages.filter((s) => stageNumbers.includes(s.number));
    let jobs = os.availableParallelism();
    if (plan.jobs !== undefined) {
      if (!/^\d+$/.test(plan.jobs) || Number(plan.jobs) < 1 || Number(plan.jobs) > 256) {
        throw new ClassInputError(t(`--jobs takes a whole number from 1 to 256, got '${plan.jobs}'`, `--jobs 需要 1 到 256 之间的整数，收到的是 '${plan.jobs}'`));
      }
      jobs = Number(plan.jobs);
    }
    if (plan.seed !== undefined && !/^\d{1,15}$/.test(plan.seed)) {
      throw new ClassInputError(t(`--seed takes a whole number, got '${plan.seed}'`, `--seed 需要一个整数，收到的是 '${plan.seed}'`));
    }
    const out = path.resolve(cwd, plan.out ?? path.join('grades', timestamp(new Date())));
    const previousFile = path.join(out, 'results.json');
    const previous = existsSync(previousFile) ? readResults(previousFile) : undefined;
    if (previous && plan.seed !== undefined && Number(plan.seed) !== previous.classSeed && plan.only) {
      throw new ClassInputError(t(
        `${previousFile} was graded with class seed ${previous.classSeed}; regrading some students with --seed ${plan.seed} would give them other inputs than the rest — drop --seed, or use another --out`,
        `${previousFile} 用的班级种子是 ${previous.classSeed}；用 --seed ${plan.seed} 重评部分学生会让他们的输入与其他人不同——去掉 --seed，或者换一个 --out`,
      ));
    }
    if (previous && plan.only && previous.stages.map((s) => s.number).join(',') !== stageNumbers.join(',')) {
      throw new ClassInputError(t(
        `${previousFile} covers stages ${previous.stages.map((s) => s.number).join(',')}; regrade with the same --stages`,
        `${previousFile} 包含的关卡是 ${previous.stages.map((s) => s.number).join(',')}；请用相同的 --stages 重新评测`,
      ));
    }
    const classSeed = plan.seed !== undefined ? Number(plan.seed) : (previous?.classSeed ?? randomSeed());
    if (plan.only !== undefined) {
      const ids = plan.only.split(',').map((s) => s.trim()).filter(Boolean);
      const known = new Set(students.map((s) => s.id));
      const unknown = ids.filter((id) => !known.has(id));
      if (ids.length === 0) throw new ClassInputError(t('--only needs student ids, e.g. --only alice,bob', '--only 需要学生编号，例如 --only alice,bob'));
      if (unknown.length) throw new ClassInputError(t(`--only: no student ${unknown.join(', ')} in this class`, `--only：这个班里没有学生 ${unknown.join('、')}`));
      students = students.filter((s) => ids.includes(s.id));
    }
    try {
      mkdirSync(out, { recursive: true });
    } catch {
      throw new ClassInputError(t(`--out ${out}: cannot create this folder`, `--out ${out}：无法创建这个文件夹`));
    }

    installCleanupHandlers();
    const from = `--${source.flag} ${shellWord(source.path)}`;
    const regrade = (id: string): string =>
      `npm run grade -- ${from}${plan.stages ? ` --stages ${plan.stages}` : ''} --out ${shellWord(path.relative(cwd, out).startsWith('..') ? out : path.relative(cwd, out) || '.')} --only ${shellWord(id)}`;
    const progress = new Progress({ total: students.length, jobs, lang, stream: process.stderr, live: Boolean(process.stderr.isTTY) });
    let result: ClassResult;
    try {
      result = await gradeClass({
        students,
        stages,
        classSeed,
        jobs,
        onStudentStart: (s) => progress.start(s.id),
        onStudentDone: (r) => progress.finish(r),
      });
    } finally {
      progress.end();
    }
    if (previous && plan.only) {
      const fresh = new Map(result.students.map((s) => [s.id, s]));
      const keep = previous.students.filter((s) => !fresh.has(s.id));
      const order = new Map(previous.students.map((s, i) => [s.id, i]));
      result = {
        ...result,
        students: [...keep, ...result.students].sort((a, b) => (order.get(a.id) ?? Infinity) - (order.get(b.id) ?? Infinity)),
      };
    }
    writeClassFiles(result, out, { lang, regrade });
    process.stdout.write(summary(result, out, cwd, lang));
    return EXIT.passed;
  } catch (err) {
    if (err instanceof ClassInputError) {
      process.stderr.write(`socklab: ${say_(err.text)}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}

/** The three files of a graded class. */
export function writeClassFiles(result: ClassResult, out: string, opts: { lang: Lang; regrade?: (id: string) => string }): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'gradebook.csv'), gradebookCsv(result, opts.lang));
  writeFileSync(path.join(out, 'results.json'), resultsJson(result));
  writeFileSync(path.join(out, 'report.html'), classReportHtml(result, opts));
}

function timestamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}

function summary(r: ClassResult, out: string, cwd: string, lang: Lang): string {
  const s = (en: string, zh: string): string => say(t(en, zh), lang);
  const n = r.students.length;
  const max = r.stages.reduce((a, x) => a + x.maxScore, 0);
  const mean = n ? r.students.reduce((a, x) => a + x.score, 0) / n : 0;
  const by = (st: string): number => r.students.filter((x) => x.status === st).length;
  const full = r.students.filter((x) => x.maxScore > 0 && x.score === x.maxScore).length;
  const rel = path.relative(cwd, out).startsWith('..') ? out : path.relative(cwd, out) || '.';
  return [
    s(`socklab · class graded · ${n} students · stages ${r.stages.map((x) => x.number).join(', ')} · class seed ${r.classSeed} · ${formatMs(r.durationMs)}`, `socklab · 班级评测完成 · ${n} 名学生 · 关卡 ${r.stages.map((x) => x.number).join(', ')} · 班级种子 ${r.classSeed} · 用时 ${formatMs(r.durationMs)}`),
    `  ${say(r.sandbox.note, lang)}`,
    s(`  average ${Math.round(mean * 10) / 10}/${max} · full marks ${full} · ok ${by('ok')} · error ${by('error')} · timeout ${by('timeout')}`, `  平均 ${Math.round(mean * 10) / 10}/${max} · 满分 ${full} 人 · 正常 ${by('ok')} · 出错 ${by('error')} · 超时 ${by('timeout')}`),
    s(`Wrote ${rel}/gradebook.csv, ${rel}/results.json and ${rel}/report.html`, `已写入 ${rel}/gradebook.csv、${rel}/results.json 和 ${rel}/report.html`),
    '',
  ].join('\n');
}
