/**
 * gradebook.csv: one row per student — a column per stage, total, max, status and the reason when
 * the status is not ok — after a first row holding the maximum of each column, so a spreadsheet or
 * an LMS import knows what each column is out of. RFC 4180 (CRLF, quotes doubled); cells that a
 * spreadsheet would run as a formula (=, +, -, @) are prefixed with ' so a folder name cannot.
 */
import type { ClassResult } from '../results.ts';
import { say, type Lang } from '../i18n.ts';

export function gradebookCsv(result: ClassResult, lang: Lang = 'en'): string {
  const header = ['student', ...result.stages.map((s) => `stage ${s.number} ${say(s.title, 'en')}`), 'total', 'max', 'status', 'error'];
  const totalMax = result.stages.reduce((a, s) => a + s.maxScore, 0);
  const maxRow = ['(max points)', ...result.stages.map((s) => String(s.maxScore)), String(totalMax), String(totalMax), '', ''];
  const rows = result.students.map((st) => [
    st.id,
    ...result.stages.map((s) => String(st.stages.find((x) => x.stage === s.number)?.score ?? 0)),
    String(st.score),
    String(st.maxScore),
    st.status,
    st.problems.map((p) => say(p, lang)).join('; '),
  ]);
  return [header, maxRow, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
