/**
 * The gradebooks: CSV files a spreadsheet or an LMS opens without editing, one file per format.
 *
 * - plain (gradebook.csv): one header row, one row per student — student id, the roster's other
 *   columns, a column per stage (its maximum in the header), total, max, status, reason.
 * - canvas (gradebook-canvas.csv): Canvas's gradebook import layout — Student, ID, SIS User ID,
 *   SIS Login ID, Section, then one column per stage, with the "Points Possible" row right under
 *   the header (Canvas reads it as each new assignment's maximum, never as a student).
 * - moodle (gradebook-moodle.csv): Moodle's grade import — one identifier column (email address,
 *   ID number or username; chosen at import under "Identify user by"), then grade columns, and no
 *   other rows.
 *
 * All are RFC 4180 (CRLF, quotes doubled), UTF-8 with a byte-order mark so Excel shows 董明 and not
 * mojibake; Canvas finds its "Student" header with the mark in front, and Moodle strips it. Cells a
 * spreadsheet would run as a formula (=, +, -, @) get a leading '. A stage the grader itself could
 * not grade is left blank in the LMS files — an import then keeps what the LMS has — never 0.
 */
import os from 'node:os';
import path from 'node:path';
import { say, t, type Lang, type Text } from '../i18n.ts';
import { kitRoot } from '../layout.ts';
import type { ClassResult, StudentResult } from '../results.ts';

export type GradebookFormat = 'plain' | 'canvas' | 'moodle';
export const GRADEBOOK_FORMATS: readonly GradebookFormat[] = ['plain', 'canvas', 'moodle'];

/** Each format's file, written side by side in the output folder. */
export const GRADEBOOK_FILE: Record<GradebookFormat, string> = {
  plain: 'gradebook.csv',
  canvas: 'gradebook-canvas.csv',
  moodle: 'gradebook-moodle.csv',
};

export interface Gradebook {
  file: string;
  text: string;
  /** What the teacher should know before importing it (e.g. no identifier column in the roster). */
  warnings: string[];
}

export function gradebook(format: GradebookFormat, result: ClassResult, lang: Lang = 'en'): Gradebook {
  const made = format === 'canvas' ? canvasGradebook(result) : format === 'moodle' ? moodleGradebook(result) : { text: gradebookCsv(result, lang), warnings: [] };
  return { file: GRADEBOOK_FILE[format], ...made };
}

const BOM = '\ufeff';

function csv(rows: string[][]): string {
  return BOM + rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** A roster column's name as a key: "SIS User ID" → "sis_user_id", "E-mail" → "e_mail". */
const key = (name: string): string => name.trim().toLowerCase().replace(/[\s-]+/g, '_');

/** The student's value of the first roster column whose name is one of `names` (as keys). */
function info(st: StudentResult, names: readonly string[]): string {
  for (const [k, v] of Object.entries(st.info ?? {})) if (names.includes(key(k)) && v.trim() !== '') return v.trim();
  return '';
}

/** A stage's score, or blank where the grader itself could not grade it (an LMS then keeps what it has). */
function lmsScore(st: StudentResult, stage: number): string {
  const r = st.stages.find((x) => x.stage === stage);
  if (!r || r.checks.some((c) => c.failure?.kind === 'grader-error') || (st.status === 'error' && r.startError)) return '';
  return String(r.score);
}

/** An assignment's column name in an LMS: "socklab stage 1: TCP echo". No "(digits)" at the end: Canvas reads that as an assignment's ID. */
const assignment = (s: ClassResult['stages'][number]): string => `socklab stage ${s.number}: ${say(s.title, 'en')}`;

export function gradebookCsv(result: ClassResult, lang: Lang = 'en'): string {
  const extra = result.rosterColumns ?? [];
  const totalMax = result.stages.reduce((a, s) => a + s.maxScore, 0);
  // In the language of the cells below it; the status values stay as documented (ok, error, …).
  const header = [
    say(t('student', '学生'), lang),
    ...extra,
    ...result.stages.map((s) => say(t(`stage ${s.number} ${s.title.en} (max ${s.maxScore})`, `第 ${s.number} 关 ${s.title.zh}（满分 ${s.maxScore}）`), lang)),
    say(t(`total (max ${totalMax})`, `总分（满分 ${totalMax}）`), lang),
    say(t('max', '满分'), lang),
    say(t('status', '状态'), lang),
    say(t('reason', '原因'), lang),
  ];
  const rows = result.students.map((st) => [
    st.id,
    ...extra.map((c) => st.info?.[c] ?? ''),
    ...result.stages.map((s) => String(st.stages.find((x) => x.stage === s.number)?.score ?? 0)),
    String(st.score),
    String(st.maxScore),
    st.status,
    reasons(st, lang),
  ]);
  return csv([header, ...rows]);
}

const CANVAS_NAME = ['name', 'student_name', 'full_name', 'display_name'];
const CANVAS_ID = ['lms_id', 'canvas_id', 'canvas_user_id', 'user_id'];
const CANVAS_SIS_USER = ['sis_user_id', 'sis_id', 'student_number'];
const CANVAS_SIS_LOGIN = ['sis_login_id', 'login_id', 'login'];

/**
 * Canvas (Grades → Import): the first columns name the student — Canvas matches ID first, then SIS
 * User ID, SIS Login ID, and last the name in Student — and every later column is an assignment
 * (one it has by that name, or a new one). So no total or status columns here: Canvas would make
 * assignments of them.
 */
function canvasGradebook(result: ClassResult): { text: string; warnings: string[] } {
  const header = ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', ...result.stages.map(assignment)];
  const points = ['Points Possible', '', '', '', '', ...result.stages.map((s) => String(s.maxScore))];
  const rows = result.students.map((st) => [
    info(st, CANVAS_NAME) || st.id,
    info(st, CANVAS_ID),
    info(st, CANVAS_SIS_USER),
    info(st, CANVAS_SIS_LOGIN),
    info(st, ['section']),
    ...result.stages.map((s) => lmsScore(st, s.number)),
  ]);
  const warnings: string[] = [];
  const unmatched = result.students.filter((st) => !info(st, CANVAS_ID) && !info(st, CANVAS_SIS_USER) && !info(st, CANVAS_SIS_LOGIN));
  if (unmatched.length > 0) {
    warnings.push(
      `${GRADEBOOK_FILE.canvas}: ${unmatched.length} student${unmatched.length === 1 ? ' has' : 's have'} no lms_id, sis_user_id or sis_login_id in the roster (e.g. ${unmatched[0]!.id}) — Canvas can match ${unmatched.length === 1 ? 'that one' : 'those'} only by the name in the Student column`,
    );
  }
  return { text: csv([header, points, ...rows]), warnings };
}

/** Moodle's own export names for the user fields its import can identify a user by. */
const MOODLE_IDS: { header: string; names: string[] }[] = [
  { header: 'Email address', names: ['email', 'e_mail', 'email_address', 'mail'] },
  { header: 'ID number', names: ['idnumber', 'id_number', 'student_number'] },
  { header: 'Username', names: ['username', 'user_name', 'moodle_username'] },
];

/**
 * Moodle (Grades → Import → CSV file): the teacher maps one column to the user (Identify user by)
 * and each grade column to a grade item, or to a new one. The identifier is the first of email,
 * ID number and username that the roster gives for every student; without one, the student ids go
 * in Username.
 */
function moodleGradebook(result: ClassResult): { text: string; warnings: string[] } {
  const id = MOODLE_IDS.find((m) => result.students.length > 0 && result.students.every((st) => info(st, m.names) !== ''));
  const warnings: string[] = [];
  if (!id) {
    warnings.push(`${GRADEBOOK_FILE.moodle}: the roster has no email, idnumber or username column filled for every student — the Username column holds the student ids; map it only if they are the Moodle usernames`);
  }
  const header = [id?.header ?? 'Username', ...result.stages.map(assignment), 'socklab total'];
  const rows = result.students.map((st) => {
    const scores = result.stages.map((s) => lmsScore(st, s.number));
    return [id ? info(st, id.names) : st.id, ...scores, scores.includes('') ? '' : String(st.score)];
  });
  return { text: csv([header, ...rows]), warnings };
}

/**
 * Why a student's status is not ok, one cell: the reasons, without what only this run had (ports,
 * temp folders, the teacher's paths), and one reason shared by several stages said once for all
 * of them ("stages 1, 2: the server did not start: …").
 */
function reasons(st: StudentResult, lang: Lang): string {
  const texts: Text[] = st.problems.length ? st.problems : st.stages.flatMap((s) => s.checks.filter((c) => c.failure?.kind === 'grader-error').slice(0, 1).map((c) => c.failure!.summary));
  const groups: { stages: string[]; why: string }[] = [];
  for (const text of texts.map((p) => withoutRunDetails(say(p, lang), st.repo))) {
    const m = /^stage (\d+): (.*)$/s.exec(text) ?? /^第 (\d+) 关：(.*)$/s.exec(text);
    const same = m ? groups.find((g) => g.stages.length > 0 && g.why === m[2]) : undefined;
    if (same) same.stages.push(m![1]!);
    else groups.push(m ? { stages: [m[1]!], why: m[2]! } : { stages: [], why: text });
  }
  return groups
    .map((g) => {
      if (g.stages.length === 0) return g.why;
      const list = g.stages.join(', ');
      return lang === 'zh-CN' ? `第 ${list} 关：${g.why}` : `stage${g.stages.length > 1 ? 's' : ''} ${list}: ${g.why}`;
    })
    .join('; ');
}

/**
 * A message as it reads on any machine on any day: the random port a server was given and the
 * folders of this run left out. "did not start listening on port 41234 within 6 s" → "did not
 * start listening within 6 s"; a path in the student's repo becomes relative to it.
 */
export function withoutRunDetails(text: string, repo?: string): string {
  let out = text;
  if (repo) out = out.replaceAll(repo + path.sep, '');
  out = out.replaceAll(path.resolve(kitRoot) + path.sep, '');
  const tmp = os.tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // The class runner's own temp folder (mkdtemp: socklab-class-XXXXXX), where document roots live.
  out = out.replace(new RegExp(`${tmp}/socklab-class-[A-Za-z0-9]{6}(/\\S*)?`, 'g'), '…');
  return out
    .replace(/ on port \d+/g, '')
    .replace(/\bPORT=\d+/g, 'PORT')
    .replace(/\bport \d+/g, 'a port')
    .replace(/在端口 \d+ 上/g, '')
    .replace(/端口 \d+/g, '端口');
}
