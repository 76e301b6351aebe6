/**
 * `npm run grade -- --class DIR` / `--roster roster.csv`: carries out a class plan (plan.ts has
 * refused the flags that mean nothing for a class). Checks the rest against the class it finds
 * (one-line errors, exit code 2), then grades with a progress line — the whole class, or with
 * `--shard i/n` one part of it — then writes the gradebooks, results.json and report.html.
 * `--merge OUT1 OUT2 …` joins the parts' results into the whole class's files instead.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT } from '../exit-codes.ts';
import { say, t, type Lang, type Text } from '../i18n.ts';
import { shellWord, type ClassPlan } from '../plan.ts';
import { gradebook, type GradebookFormat } from '../report/csv.ts';
import { classReportHtml } from '../report/html.ts';
import { randomSeed } from '../rng.ts';
import { installCleanupHandlers } from '../runner/processes.ts';
import { stages as allStages } from '../stages.ts';
import { formatMs } from '../wire/conn.ts';
import { kitRoot } from '../layout.ts';
import {
  ClassInputError,
  parseShard,
  parseStageList,
  readRoster,
  rosterDigest,
  shardOf,
  skeletonOf,
  studentsFromClassDir,
  untouchedStages,
  type StudentRepo,
} from './discover.ts';
import { gradeClass } from './grade-class.ts';
import { mergeShards } from './merge.ts';
import { Progress } from './progress.ts';
import { readResults, resultsJson } from './results-file.ts';
import type { ClassResult, ShardInfo } from '../results.ts';

/** Grades the class the plan names; what is wrong with its folders or files is said in one line (exit 2). */
export async function runClass(plan: ClassPlan, cwd = process.cwd()): Promise<number> {
  const { lang, source } = plan;
  const say_ = (x: Text): string => say(x, lang);
  try {
    if (source.flag === 'merge') return mergeClass(plan, source.paths, cwd);
    const where = path.resolve(cwd, source.path);
    const roster = source.flag === 'class' ? { students: studentsFromClassDir(where, source.path), columns: [] } : readRoster(where, source.path);
    let students = roster.students;
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
    // A shard is a plain filter of the roster before grading: seeds depend only on the class seed
    // and the student id, so each student is graded exactly as in a whole run.
    let shard: ShardInfo | undefined;
    if (plan.shard !== undefined) {
      const { index, count } = parseShard(plan.shard);
      shard = { index, count, rosterSize: students.length, rosterDigest: rosterDigest(students.map((s) => s.id)) };
      students = shardOf(students, index, count);
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
    if (plan.resume) {
      if (!previous) {
        throw new ClassInputError(t(`--resume finishes an interrupted run: there is no results.json in ${out} to finish`, `--resume 用于接着完成被中断的评测：${out} 里没有可以接着完成的 results.json`));
      }
      if (previous.stages.map((s) => s.number).join(',') !== stageNumbers.join(',')) {
        throw new ClassInputError(t(
          `${previousFile} covers stages ${previous.stages.map((s) => s.number).join(',')}; resume with the same --stages`,
          `${previousFile} 包含的关卡是 ${previous.stages.map((s) => s.number).join(',')}；请用相同的 --stages 接着评测`,
        ));
      }
      if (plan.seed !== undefined && Number(plan.seed) !== previous.classSeed) {
        throw new ClassInputError(t(`${previousFile} was graded with class seed ${previous.classSeed}; resume without --seed`, `${previousFile} 用的班级种子是 ${previous.classSeed}；接着评测时不要加 --seed`));
      }
      const done = new Set(previous.students.map((s) => s.id));
      students = students.filter((s) => !done.has(s.id));
      if (students.length === 0) {
        process.stdout.write(say_(t(`Nothing left to grade: every student of this class is in ${previousFile}.\n`, `没有需要评测的了：这个班的每个学生都已在 ${previousFile} 里。\n`)));
        if (previous.unfinished) writeClassFiles({ ...previous, unfinished: undefined }, out, { lang, gradebooks: plan.gradebooks });
        return EXIT.passed;
      }
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
    ensureWritable(out);

    installCleanupHandlers();
    const from = `--${source.flag} ${shellWord(source.path)}`;
    // A shard's students are regraded in the merged folder (a whole run's), not in the shard's.
    const regrade = shard
      ? undefined
      : (id: string): string =>
          `npm run grade -- ${from}${plan.stages ? ` --stages ${plan.stages}` : ''} --out ${shellWord(path.relative(cwd, out).startsWith('..') ? out : path.relative(cwd, out) || '.')} --only ${shellWord(id)}`;
    /** The result with the roster's details, and with everyone an --only or --resume run did not regrade. */
    const complete = (graded: ClassResult): ClassResult => {
      let r = withStudentDetails(graded, students, roster.students, roster.columns);
      if (previous && (plan.only || plan.resume)) {
        const fresh = new Map(r.students.map((s) => [s.id, s]));
        const current = new Map(roster.students.map((s) => [s.id, s]));
        // Everyone else keeps their grading, with the roster's columns as they are now.
        const keep = previous.students.filter((s) => !fresh.has(s.id)).map((s) => ({ ...s, ...infoOf(current.get(s.id), roster.columns) }));
        const order = new Map(roster.students.map((s, i) => [s.id, i]));
        r = {
          ...r,
          students: [...keep, ...r.students].sort((a, b) => (order.get(a.id) ?? Infinity) - (order.get(b.id) ?? Infinity)),
        };
      }
      return shard ? { ...r, shard } : r;
    };
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
        // Saved after every student: a crash, a full disk or Ctrl-C late in a run loses nothing,
        // and --resume grades the rest.
        onResults: (sofar) => saveResults({ ...complete(sofar), unfinished: true }, out),
      });
    } finally {
      progress.end();
    }
    result = complete(result);
    const written = writeClassFiles(result, out, { lang, regrade, gradebooks: plan.gradebooks });
    process.stdout.write(summary(result, out, cwd, lang, written));
    return EXIT.passed;
  } catch (err) {
    if (err instanceof ClassInputError) {
      process.stderr.write(`socklab: ${say_(err.text)}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}

/** `--merge OUT1 OUT2 …`: the parts of a sharded class, joined into the whole class's files. */
function mergeClass(plan: ClassPlan, paths: string[], cwd: string): number {
  const parts = paths.map((shown) => {
    const file = path.join(path.resolve(cwd, shown), 'results.json');
    if (!existsSync(file)) throw new ClassInputError(t(`--merge ${shown}: no results.json in this folder`, `--merge ${shown}：这个文件夹里没有 results.json`));
    return { shown, result: readResults(file) };
  });
  const unfinished = parts.find((p) => p.result.unfinished);
  if (unfinished) {
    throw new ClassInputError(t(
      `--merge ${unfinished.shown}: that shard's run was interrupted — finish it first with --resume (same command, same --out)`,
      `--merge ${unfinished.shown}：这个分片的评测被中断了——先用 --resume 完成它（同样的命令，同样的 --out）`,
    ));
  }
  const result = mergeShards(parts);
  const out = path.resolve(cwd, plan.out ?? path.join('grades', timestamp(new Date())));
  ensureWritable(out);
  const written = writeClassFiles(result, out, { lang: plan.lang, gradebooks: plan.gradebooks });
  process.stdout.write(summary(result, out, cwd, plan.lang, written, parts.length));
  return EXIT.passed;
}

/**
 * Creates `out` and proves it can be written, before minutes of grading: a read-only or full
 * folder is one line (exit 2), not a stack trace at the end.
 */
function ensureWritable(out: string): void {
  try {
    mkdirSync(out, { recursive: true });
  } catch (err) {
    throw new ClassInputError(t(`--out ${out}: cannot create this folder (${codeOf(err)})`, `--out ${out}：无法创建这个文件夹（${codeOf(err)}）`));
  }
  const probe = path.join(out, `.socklab-write-test-${process.pid}`);
  try {
    writeFileSync(probe, 'socklab');
    rmSync(probe, { force: true });
  } catch (err) {
    throw new ClassInputError(t(`--out ${out}: cannot write in this folder (${codeOf(err)}); choose another --out`, `--out ${out}：无法在这个文件夹里写入（${codeOf(err)}）；请换一个 --out`));
  }
}

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException)?.code ?? String(err);

/** Writes results.json whole or not at all (a crash mid-write leaves the previous one). */
function saveResults(result: ClassResult, out: string): void {
  const file = path.join(out, 'results.json');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, resultsJson(result));
  renameSync(tmp, file);
}

/** The roster's columns for one student, as a result carries them (nothing when the roster has none). */
function infoOf(student: StudentRepo | undefined, columns: string[]): { info?: Record<string, string> } {
  return columns.length ? { info: Object.fromEntries(columns.map((c) => [c, student?.info?.[c] ?? ''])) } : {};
}

/**
 * What class grading adds around the engine's results: the roster's other columns, and which
 * stages each student has not touched (their server file is still the kit's skeleton).
 */
export function withStudentDetails(result: ClassResult, graded: StudentRepo[], roster: StudentRepo[] = graded, columns: string[] = []): ClassResult {
  const byId = new Map(graded.map((s) => [s.id, s]));
  const skeletons = new Map(result.stages.map((s) => [s.slug, skeletonOf(kitRoot, s.slug)]));
  return {
    ...result,
    students: result.students.map((st) => {
      const repo = byId.get(st.id);
      const untouched = repo && !repo.problem ? untouchedStages(st.repo, result.stages, skeletons) : [];
      return { ...st, ...infoOf(repo, columns), ...(untouched.length ? { untouched } : {}) };
    }),
    ...(columns.length && roster.length ? { rosterColumns: columns } : {}),
  };
}

export interface WrittenFiles {
  files: string[];
  /** What the teacher should know before importing a gradebook. */
  warnings: string[];
}

/** The files of a graded class: each gradebook asked for (plain by default), results.json, report.html. */
export function writeClassFiles(
  result: ClassResult,
  out: string,
  opts: { lang: Lang; regrade?: (id: string) => string; gradebooks?: readonly GradebookFormat[] },
): WrittenFiles {
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const warnings: string[] = [];
  for (const format of opts.gradebooks ?? ['plain']) {
    const book = gradebook(format, result, opts.lang);
    writeFileSync(path.join(out, book.file), book.text);
    files.push(book.file);
    warnings.push(...book.warnings);
  }
  saveResults(result, out);
  writeFileSync(path.join(out, 'report.html'), classReportHtml(result, opts));
  return { files: [...files, 'results.json', 'report.html'], warnings };
}

function timestamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}

function summary(r: ClassResult, out: string, cwd: string, lang: Lang, written: WrittenFiles, merged?: number): string {
  const s = (en: string, zh: string): string => say(t(en, zh), lang);
  const n = r.students.length;
  const max = r.stages.reduce((a, x) => a + x.maxScore, 0);
  const mean = n ? r.students.reduce((a, x) => a + x.score, 0) / n : 0;
  const by = (st: string): number => r.students.filter((x) => x.status === st).length;
  const full = r.students.filter((x) => x.maxScore > 0 && x.score === x.maxScore).length;
  const rel = path.relative(cwd, out).startsWith('..') ? out : path.relative(cwd, out) || '.';
  const what = merged
    ? s(`${merged} shards merged`, `合并了 ${merged} 个分片`)
    : r.shard
      ? s(`shard ${r.shard.index}/${r.shard.count} graded`, `第 ${r.shard.index}/${r.shard.count} 个分片评测完成`)
      : s('class graded', '班级评测完成');
  const files = written.files.map((f) => `${rel}/${f}`);
  return [
    s(`socklab · ${what} · ${n} students · stages ${r.stages.map((x) => x.number).join(', ')} · class seed ${r.classSeed} · ${formatMs(r.durationMs)}`, `socklab · ${what} · ${n} 名学生 · 关卡 ${r.stages.map((x) => x.number).join(', ')} · 班级种子 ${r.classSeed} · 用时 ${formatMs(r.durationMs)}`),
    `  ${say(r.sandbox.note, lang)}`,
    s(
      `  average ${Math.round(mean * 10) / 10}/${max} · full marks ${full} · ok ${by('ok')} · did not start ${by('did-not-start')} · error ${by('error')} · timeout ${by('timeout')}`,
      `  平均 ${Math.round(mean * 10) / 10}/${max} · 满分 ${full} 人 · 正常 ${by('ok')} · 未启动 ${by('did-not-start')} · 出错 ${by('error')} · 超时 ${by('timeout')}`,
    ),
    s(`Wrote ${files.slice(0, -1).join(', ')} and ${files.at(-1)}`, `已写入 ${files.slice(0, -1).join('、')} 和 ${files.at(-1)}`),
    ...written.warnings.map((w) => s(`Note: ${w}`, `注意：${w}`)),
    ...(r.shard ? [s(`Merge the ${r.shard.count} shards: npm run grade -- --merge <their --out folders> --out DIR`, `合并全部 ${r.shard.count} 个分片：npm run grade -- --merge <各分片的 --out 文件夹> --out DIR`)] : []),
    '',
  ].join('\n');
}
