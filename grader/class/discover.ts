/**
 * Which students to grade: every immediate subfolder of a class folder (hidden ones skipped), or
 * the rows of a roster CSV (student id, repo path — relative paths are relative to the roster —
 * and, under a header row, any other columns to carry into the gradebooks); which part of them a
 * shard grades; and which of a student's stages are still the untouched skeleton.
 * Problems with the command line are `ClassInputError`s (one line, exit code 2); a roster row whose
 * repo is missing is not: that student is graded as an error, the rest of the class still is.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { t, type Text } from '../i18n.ts';

export interface StudentRepo {
  id: string;
  /** Absolute path as given (before resolving symlinks). */
  repo: string;
  /** Set when the repo cannot be graded at all: no folder, no exercises/. */
  problem?: Text;
  /** The roster's other columns for this student, by header name. */
  info?: Record<string, string>;
}

export class ClassInputError extends Error {
  constructor(readonly text: Text) {
    super(text.en);
  }
}

/** `shown` is how the teacher wrote the folder, for messages. */
export function studentsFromClassDir(dir: string, shown = dir): StudentRepo[] {
  const abs = path.resolve(dir);
  dir = shown;
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new ClassInputError(t(`--class ${dir}: no such folder`, `--class ${dir}：没有这个文件夹`));
  }
  const students = readdirSync(abs, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || (e.isSymbolicLink() && isDir(path.join(abs, e.name)))))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b, 'en'))
    .map((id) => withProblem({ id, repo: path.join(abs, id) }));
  if (students.length === 0) {
    throw new ClassInputError(t(`--class ${dir}: no student folders inside (each immediate subfolder is one student's repo)`, `--class ${dir}：里面没有学生文件夹（每个直接子文件夹是一个学生的仓库）`));
  }
  return students;
}

/** A roster's students, and the names of its columns beyond student id and repo (in its order). */
export interface Roster {
  students: StudentRepo[];
  columns: string[];
}

/** The first cell of a header row. */
const HEADER_FIRST = /^(student|student[ _-]?id|id|name)$/i;

export function studentsFromRoster(file: string, shown = file): StudentRepo[] {
  return readRoster(file, shown).students;
}

/**
 * A roster CSV: student id, repo path (relative to the roster), and — under a header row that
 * names them — any other columns (email, lms_id, section, …), carried through to the gradebooks.
 * Errors name the file's own line numbers, counting blank lines and quoted line breaks.
 */
export function readRoster(file: string, shown = file): Roster {
  let text: string;
  try {
    text = readFileSync(path.resolve(file), 'utf8');
  } catch {
    throw new ClassInputError(t(`--roster ${shown}: cannot read this file`, `--roster ${shown}：无法读取这个文件`));
  }
  const base = path.dirname(path.resolve(file));
  const fail = (line: number, en: string, zh: string): never => {
    throw new ClassInputError(t(`--roster ${shown}: line ${line} ${en}`, `--roster ${shown}：第 ${line} 行${zh}`));
  };
  const rows = parseCsvLines(text.replace(/^\ufeff/, '')).filter((r) => r.cells.some((c) => c.trim() !== ''));
  let columns: string[] = [];
  let width = 2;
  if (rows.length > 0 && HEADER_FIRST.test(rows[0]!.cells[0]!.trim())) {
    const header = rows.shift()!;
    const names = header.cells.map((c) => c.trim());
    while (names.length > 2 && names[names.length - 1] === '') names.pop();
    columns = names.slice(2);
    const blank = columns.indexOf('');
    if (blank >= 0) fail(header.line, `(the header): column ${blank + 3} has no name`, `（表头）：第 ${blank + 3} 列没有名字`);
    const twice = columns.find((c, i) => columns.findIndex((x) => x.toLowerCase() === c.toLowerCase()) !== i);
    if (twice) fail(header.line, `(the header): column '${twice}' appears twice`, `（表头）：列 '${twice}' 出现了两次`);
    width = names.length;
  }
  const seen = new Map<string, number>();
  const out: StudentRepo[] = [];
  for (const { cells, line } of rows) {
    const row = cells.map((c) => c.trim());
    while (row.length > width && row[row.length - 1] === '') row.pop();
    const [id = '', repo = ''] = row;
    if (!id || !repo) fail(line, 'needs two columns, student id and repo path', '需要两列：学号和仓库路径');
    if (row.length > width) {
      if (width === 2) {
        fail(line, `has ${row.length} columns — name them in a header row (student,repo,email,…) to carry the others into the gradebooks`, `有 ${row.length} 列——请在表头行里给各列命名（student,repo,email,…），其余列才会带进成绩单`);
      }
      fail(line, `has ${row.length} columns, but the header names ${width}`, `有 ${row.length} 列，但表头只命名了 ${width} 列`);
    }
    const first = seen.get(id);
    if (first !== undefined) fail(line, `lists student '${id}' again (first on line ${first})`, `再次列出了学生 '${id}'（第一次在第 ${first} 行）`);
    seen.set(id, line);
    const student: StudentRepo = withProblem({ id, repo: path.resolve(base, repo) });
    if (columns.length) student.info = Object.fromEntries(columns.map((c, i) => [c, row[i + 2] ?? '']));
    out.push(student);
  }
  if (out.length === 0) throw new ClassInputError(t(`--roster ${shown}: no students listed`, `--roster ${shown}：没有列出任何学生`));
  return { students: out, columns };
}

/** `--shard 2/5`: part 2 of 5. */
export function parseShard(raw: string): { index: number; count: number } {
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(raw.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new ClassInputError(t(`--shard takes i/n with 1 ≤ i ≤ n, e.g. --shard 2/4 — got '${raw}'`, `--shard 的格式是 i/n，且 1 ≤ i ≤ n，例如 --shard 2/4——收到的是 '${raw}'`));
  }
  return { index, count };
}

/**
 * Part `index` of `count` of a roster: every count-th student, starting with the index-th. Stable
 * (the same roster always splits the same way), balanced to within one student, and — since a
 * student's seed depends only on the class seed and their id — graded exactly as in a whole run.
 */
export function shardOf<T>(students: readonly T[], index: number, count: number): T[] {
  return students.filter((_, k) => k % count === index - 1);
}

/** The roster's student ids in order, as a short digest: the shards of one class carry the same one. */
export function rosterDigest(ids: readonly string[]): string {
  return createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16);
}

/** A server file as a reader sees it: no byte-order mark, LF line ends, no trailing blanks. */
const normalized = (text: string): string => text.replace(/^\ufeff/, '').replace(/\r\n?/g, '\n').replace(/[ \t]+$/gm, '').trimEnd();

/**
 * The kit's skeleton of a stage as committed (HEAD) — a teacher may have solved it in their working
 * copy — or, outside a git checkout, as it is on disk. Undefined when there is none.
 */
export function skeletonOf(kit: string, slug: string): string | undefined {
  const rel = `exercises/${slug}/server.ts`;
  try {
    return execFileSync('git', ['show', `HEAD:${rel}`], { cwd: kit, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return existsSync(path.join(kit, rel)) ? readFileSync(path.join(kit, rel), 'utf8') : undefined;
  }
}

/** Stages whose server file in the repo is the skeleton, unchanged: the student has not started them. */
export function untouchedStages(repo: string, stages: readonly { number: number; slug: string }[], skeletons: ReadonlyMap<string, string | undefined>): number[] {
  return stages
    .filter((s) => {
      const skeleton = skeletons.get(s.slug);
      const target = serverFileOf(repo, s.slug);
      if (skeleton === undefined || 'problem' in target) return false;
      try {
        return normalized(readFileSync(target.file, 'utf8')) === normalized(skeleton);
      } catch {
        return false;
      }
    })
    .map((s) => s.number);
}

function withProblem(s: StudentRepo): StudentRepo {
  if (!isDir(s.repo)) return { ...s, problem: t(`repo not found: ${s.repo}`, `找不到仓库：${s.repo}`) };
  if (!isDir(path.join(s.repo, 'exercises'))) {
    return { ...s, problem: t('not a socklab repo: it has no exercises/ folder', '不是 socklab 仓库：没有 exercises/ 文件夹') };
  }
  return s;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The server file of one stage in a student's repo, or why it cannot be run. A symlink out of the
 * repo (to a classmate's folder, say) is refused: only the student's own file is graded.
 */
export function serverFileOf(repo: string, slug: string): { file: string } | { problem: Text } {
  const rel = `exercises/${slug}/server.ts`;
  const file = path.join(repo, rel);
  if (!existsSync(file)) return { problem: t(`${rel} is missing`, `${rel} 不存在`) };
  try {
    const real = realpathSync(file);
    const root = realpathSync(repo);
    if (!real.startsWith(root + path.sep)) return { problem: t(`${rel} is a link to a file outside the repo`, `${rel} 是指向仓库之外文件的链接`) };
    if (!statSync(real).isFile()) return { problem: t(`${rel} is not a file`, `${rel} 不是文件`) };
    return { file: real };
  } catch {
    return { problem: t(`${rel} cannot be read`, `无法读取 ${rel}`) };
  }
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  return parseCsvLines(text).map((r) => r.cells);
}

/** parseCsv, with the line each row starts on (1-based, as an editor shows it). */
export function parseCsvLines(text: string): { cells: string[]; line: number }[] {
  const rows: { cells: string[]; line: number }[] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push({ cells: row, line: start });
      row = [];
      field = '';
      start = ++line;
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push({ cells: row, line: start });
  }
  return rows;
}

/** `--stages 1-3`, `--stages 1,3`, `--stages 2`: the numbers asked for, validated against what exists. */
export function parseStageList(raw: string, known: readonly number[]): number[] {
  const out = new Set<number>();
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new ClassInputError(t(`--stages takes numbers and ranges like 1-3 or 1,3 — got '${raw}'`, `--stages 需要数字或范围，例如 1-3 或 1,3——收到的是 '${raw}'`));
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new ClassInputError(t(`--stages: range ${part} runs backwards`, `--stages：范围 ${part} 是倒着的`));
    for (let n = from; n <= to; n++) {
      if (!known.includes(n)) {
        throw new ClassInputError(t(`--stages: there is no stage ${n} — stages are ${known.join(', ')}`, `--stages：没有第 ${n} 关——现有关卡为 ${known.join('、')}`));
      }
      out.add(n);
    }
  }
  if (out.size === 0) throw new ClassInputError(t('--stages: name at least one stage', '--stages：至少指定一关'));
  return [...out].sort((a, b) => a - b);
}
