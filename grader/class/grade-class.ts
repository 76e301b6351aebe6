/**
 * Grading a class: every student × every chosen stage, `jobs` students at a time, each stage in a
 * worker process under a per-stage and a per-student time limit, each server sandboxed where the
 * machine allows. Only the student's `exercises/NN-slug/server.ts` is run — with this kit's grader
 * and tsx, from the student's repo as working directory; nothing else of the repo (its grader copy,
 * package.json, node_modules) is ever executed. Returns plain results; never prints.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checksToRun, checkNotRun } from '../engine.ts';
import { join, t, type Text } from '../i18n.ts';
import { trackTempDir, untrackTempDir } from '../runner/processes.ts';
import type { CheckResult, Stage, StageResult } from '../types.ts';
import { formatMs } from '../wire/conn.ts';
import { serverFileOf, type StudentRepo } from './discover.ts';
import { Lane } from './lane.ts';
import { detectSandbox } from './sandbox.ts';
import { DATA_BYTES, limitsPrefix } from '../runner/limits.ts';
import { studentSeed } from './seed.ts';
import { sweep } from './sweep.ts';
import { studentStatus, type ClassLimits, type ClassResult, type ClassStageResult, type StageInfo, type StudentResult, type StudentStatus } from '../results.ts';

export const DEFAULT_LIMITS: ClassLimits = {
  stageMs: 60_000,
  studentMs: 240_000,
  memoryBytes: DATA_BYTES,
  listenMs: 10_000,
};

export interface ClassOptions {
  students: StudentRepo[];
  stages: Stage[];
  classSeed: number;
  /** Students graded at once (default: the number of cores). */
  jobs?: number;
  limits?: Partial<ClassLimits>;
  /** Use bubblewrap where it works (default true). */
  sandbox?: boolean;
  /** Teacher-only checks run too (default true: class mode and Gradescope are the teacher's). */
  includeTeacherOnly?: boolean;
  /** Extra environment for workers and servers (tests tag their processes with it). */
  env?: Record<string, string>;
  onStudentStart?(student: StudentRepo): void;
  onStudentDone?(result: StudentResult): void;
  /**
   * After each student: the class so far (the students graded yet, in roster order), so the caller
   * can save it at once and an interrupted run loses nothing.
   */
  onResults?(sofar: ClassResult): void;
}

export function stageInfo(stage: Stage, includeTeacherOnly: boolean): StageInfo {
  const checks = checksToRun(stage, { includeTeacherOnly });
  return {
    number: stage.number,
    slug: stage.slug,
    title: stage.title,
    maxScore: checks.reduce((a, c) => a + c.points, 0),
    checks: checks.map((c) => ({ id: c.id, title: c.title, points: c.points, teacherOnly: Boolean(c.teacherOnly) })),
  };
}

export async function gradeClass(opts: ClassOptions): Promise<ClassResult> {
  const started = Date.now();
  // The memory limit every server runs under anyway (raised for a Node that needs more to start).
  const limits: ClassLimits = { ...DEFAULT_LIMITS, memoryBytes: limitsPrefix().limits.dataBytes, ...opts.limits };
  const includeTeacherOnly = opts.includeTeacherOnly ?? true;
  const jobs = Math.max(1, Math.min(opts.jobs ?? os.availableParallelism(), opts.students.length || 1));
  const runId = randomUUID().slice(0, 12);
  const baseTmp = mkdtempSync(path.join(os.tmpdir(), 'socklab-class-'));
  trackTempDir(baseTmp);
  chmodSync(baseTmp, 0o755); // holds only document roots, which a server run as nobody must read
  const { spec, netns, info } = detectSandbox({ memoryBytes: limits.memoryBytes, allowSandbox: opts.sandbox ?? true, probeDir: baseTmp });
  // Outside a sandbox, servers share the real temp folder; inside, /tmp is their own.
  const serverTmp = spec.bwrap ? '/tmp' : os.tmpdir();
  const lanes = Array.from({ length: jobs }, (_, i) => new Lane(i, { baseTmp, runId, env: opts.env ?? {}, netns }));
  const queue = [...opts.students];
  const results = new Map<string, StudentResult>();

  const gradeStudent = async (student: StudentRepo, lane: Lane): Promise<StudentResult> => {
    const t0 = Date.now();
    const seed = studentSeed(opts.classSeed, student.id);
    const deadline = t0 + limits.studentMs;
    const stages: ClassStageResult[] = [];
    const problems: Text[] = [];
    let timedOut = false;
    for (const stage of opts.stages) {
      const prefix = (x: Text): Text => join([t(`stage ${stage.number}: `, `第 ${stage.number} 关：`), x], '');
      if (student.problem) {
        stages.push(unrun(stage, seed, includeTeacherOnly, 'not-started', student.problem));
        continue;
      }
      const target = serverFileOf(student.repo, stage.slug);
      if ('problem' in target) {
        stages.push(unrun(stage, seed, includeTeacherOnly, 'not-started', target.problem));
        problems.push(prefix(target.problem));
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        const why = t(`not run: the per-student time limit of ${formatMs(limits.studentMs)} was used up by earlier stages`, `未运行：每个学生 ${formatMs(limits.studentMs)} 的时间上限已被前面的关卡用完`);
        stages.push({ ...unrun(stage, seed, includeTeacherOnly, 'hung', why), cut: { limit: 'student', ms: limits.studentMs } });
        problems.push(prefix(why));
        timedOut = true;
        continue;
      }
      const bound = Math.min(limits.stageMs, remaining);
      const which: 'stage' | 'student' = bound < limits.stageMs ? 'student' : 'stage';
      const outcome = await lane.run(
        {
          stage: stage.number,
          file: target.file,
          repo: student.repo,
          seed,
          includeTeacherOnly,
          listenTimeoutMs: limits.listenMs,
          env: { ...opts.env, TMPDIR: serverTmp, HOME: serverTmp },
          wrap: spec,
        },
        bound,
      );
      if (outcome.kind === 'done') {
        stages.push(outcome.result);
        if (outcome.result.startError) problems.push(prefix(join([t('the server did not start: ', '服务器没有启动：'), outcome.result.startError.text], '')));
      } else if (outcome.kind === 'timeout') {
        const limitText =
          which === 'stage'
            ? t(`stopped at the per-stage time limit of ${formatMs(bound)}`, `在每关 ${formatMs(bound)} 的时间上限处被停止`)
            : t(`stopped at the per-student time limit of ${formatMs(limits.studentMs)}`, `在每个学生 ${formatMs(limits.studentMs)} 的时间上限处被停止`);
        stages.push({ ...partial(stage, seed, includeTeacherOnly, outcome.checks, 'hung', limitText), cut: { limit: which, ms: which === 'stage' ? bound : limits.studentMs } });
        problems.push(prefix(limitText));
        timedOut = true;
      } else {
        const text = t(`grading failed: ${outcome.message}`, `评测失败：${outcome.message}`);
        stages.push(partial(stage, seed, includeTeacherOnly, outcome.checks, 'grader-error', text));
        problems.push(prefix(text));
      }
    }
    if (student.problem) problems.unshift(student.problem);
    const status: StudentStatus = studentStatus({ stages, timedOut, repoProblem: Boolean(student.problem) });
    return {
      id: student.id,
      repo: student.repo,
      seed,
      status,
      problems,
      stages,
      score: stages.reduce((a, s) => a + s.score, 0),
      maxScore: stages.reduce((a, s) => a + s.maxScore, 0),
      durationMs: Date.now() - t0,
    };
  };

  const snapshot = (): ClassResult => ({
    classSeed: opts.classSeed,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    jobs,
    limits,
    sandbox: info,
    stages: opts.stages.map((s) => stageInfo(s, includeTeacherOnly)),
    students: opts.students.flatMap((s) => results.get(s.id) ?? []),
  });

  try {
    await Promise.all(
      lanes.map(async (lane) => {
        for (let s = queue.shift(); s; s = queue.shift()) {
          opts.onStudentStart?.(s);
          const r = await gradeStudent(s, lane);
          results.set(s.id, r);
          opts.onStudentDone?.(r);
          opts.onResults?.(snapshot());
        }
      }),
    );
  } finally {
    await Promise.all(lanes.map((l) => l.close()));
    await sweep(`${runId}:`);
    rmSync(baseTmp, { recursive: true, force: true });
    untrackTempDir(baseTmp);
  }
  return snapshot();
}

/** A stage that could not run at all: every check failed with the same reason. */
function unrun(stage: Stage, seed: number, includeTeacherOnly: boolean, kind: 'not-started' | 'hung', why: Text): StageResult {
  return partial(stage, seed, includeTeacherOnly, [], kind, why);
}

/**
 * A stage that was stopped part-way: the checks that finished keep their results, the rest fail
 * with the reason. The first of those was running when the limit hit; the others never started.
 */
function partial(stage: Stage, seed: number, includeTeacherOnly: boolean, done: CheckResult[], kind: 'not-started' | 'hung' | 'grader-error', why: Text): StageResult {
  const byId = new Map(done.map((c) => [c.id, c]));
  const checks = checksToRun(stage, { includeTeacherOnly }).map((check): CheckResult => {
    return byId.get(check.id) ?? checkNotRun(check, { kind, summary: why });
  });
  const score = checks.reduce((a, c) => a + c.points, 0);
  return {
    stage: stage.number,
    slug: stage.slug,
    title: stage.title,
    seed,
    score,
    maxScore: checks.reduce((a, c) => a + c.maxPoints, 0),
    passed: false,
    checks,
    ...(kind === 'not-started' ? { startError: { kind: 'not-started', text: why, output: '' } } : {}),
    startMs: 0,
    durationMs: done.reduce((a, c) => a + c.durationMs, 0),
  };
}
