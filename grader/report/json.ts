/**
 * `--json`: exactly one JSON document. The field names are a contract (scripts, CI and teachers
 * read them): stage, title, seed, score, maxScore, passed, checks[{id, title, passed, points,
 * maxPoints, message}]. Extra detail rides along in further fields: crashes (how many checks the
 * server crashed in) and limits (open files, data bytes, and how they were set) among them.
 */
import { say, type Lang } from '../i18n.ts';
import type { CheckResult, StageResult } from '../types.ts';
import { connectionName, diffLines } from './sections.ts';

export function checkToJson(r: CheckResult, lang: Lang): Record<string, unknown> {
  const f = r.failure;
  return {
    id: r.id,
    title: say(r.title, lang),
    passed: r.passed,
    points: r.points,
    maxPoints: r.maxPoints,
    message: f ? say(f.summary, lang) : 'passed',
    durationMs: r.durationMs,
    ...(r.teacherOnly ? { teacherOnly: true } : {}),
    ...(f
      ? {
          kind: f.kind,
          ...(f.expected ? { expected: say(f.expected, lang) } : {}),
          ...(f.hint ? { hint: say(f.hint, lang) } : {}),
          ...(f.wire ? { wire: { ...f.wire, label: connectionName(f.wire.label, lang), ...(f.wire.notes ? { notes: f.wire.notes.map((n) => ({ atMs: n.atMs, text: say(n.text, lang) })) } : {}) } } : {}),
          ...(f.diff ? { diff: diffLines(f.diff, lang) } : {}),
          ...(f.caret ? { caret: { line: f.caret.line, caret: f.caret.caret, note: say(f.caret.note, lang) } } : {}),
          ...(f.reproduce ? { reproduce: f.reproduce } : {}),
          ...(f.serverOutput ? { serverOutput: f.serverOutput } : {}),
        }
      : {}),
  };
}

export function stageToJson(r: StageResult, lang: Lang): Record<string, unknown> {
  return {
    stage: r.stage,
    title: say(r.title, lang),
    seed: r.seed,
    score: r.score,
    maxScore: r.maxScore,
    passed: r.passed,
    checks: r.checks.map((c) => checkToJson(c, lang)),
    ...(r.startError ? { startError: { kind: r.startError.kind, message: say(r.startError.text, lang), output: r.startError.output } } : {}),
    ...(r.crashes !== undefined ? { crashes: r.crashes } : {}),
    ...(r.limits ? { limits: r.limits } : {}),
    startMs: r.startMs,
    durationMs: r.durationMs,
  };
}

export function courseToJson(results: StageResult[], seed: number, lang: Lang): Record<string, unknown> {
  return {
    seed,
    score: results.reduce((a, r) => a + r.score, 0),
    maxScore: results.reduce((a, r) => a + r.maxScore, 0),
    passed: results.every((r) => r.passed),
    stages: results.map((r) => stageToJson(r, lang)),
  };
}
