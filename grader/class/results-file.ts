/**
 * results.json: the whole class result — every check of every student, with its messages in both
 * languages ({en, zh}), wire transcripts and the limits and sandbox grading ran with. It is also
 * what `--only` reads back to regrade some students and keep everyone else's results.
 */
import { readFileSync } from 'node:fs';
import { t } from '../i18n.ts';
import { ClassInputError } from './discover.ts';
import type { ClassResult } from '../results.ts';

export const RESULTS_FORMAT = 'socklab-class-results';
export const RESULTS_VERSION = 1;

export function resultsJson(result: ClassResult): string {
  const doc = {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    ...result,
    students: result.students.map((st) => ({
      ...st,
      stages: st.stages.map((s) => ({
        ...s,
        checks: s.checks.map((c) => ({ ...c, message: c.failure ? c.failure.summary : t('passed', '通过') })),
      })),
    })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

export function readResults(file: string): ClassResult {
  let doc: { format?: string; version?: number } & ClassResult;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new ClassInputError(t(`${file} is not a readable results file`, `${file} 不是可读取的结果文件`));
  }
  if (doc.format !== RESULTS_FORMAT || doc.version !== RESULTS_VERSION) {
    throw new ClassInputError(t(`${file} was not written by this version of socklab's class grading`, `${file} 不是由这个版本的 socklab 班级评测写出的`));
  }
  const valid =
    Array.isArray(doc.students) &&
    Array.isArray(doc.stages) &&
    typeof doc.classSeed === 'number' &&
    doc.students.every((s) => typeof s?.id === 'string' && Array.isArray(s.stages)) &&
    doc.stages.every((s) => typeof s?.number === 'number');
  if (!valid) {
    throw new ClassInputError(t(`${file} is damaged: its students or stages are missing or malformed — grade the class again into another --out`, `${file} 已损坏：缺少学生或关卡信息，或者格式不对——请换一个 --out 重新评测全班`));
  }
  const { format: _f, version: _v, ...rest } = doc;
  return rest;
}
