/**
 * Which students to grade: every immediate subfolder of a class folder (hidden ones skipped), or
 * the rows of a roster CSV (student id, repo path — relative paths are relative to the roster).
 * Problems with the command line are `ClassInputError`s (one line, exit code 2); a roster row whose
 * repo is missing is not: that student is graded as an error, the rest of the class still is.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { t, type Text } from '../i18n.ts';

export interface StudentRepo {
  id: string;
  /** Absolute path as given (before resolving symlinks). */
  repo: string;
  /** Set when the repo cannot be graded at all: no folder, no exercises/. */
  problem?: Text;
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

export function studentsFromRoster(file: string, shown = file): StudentRepo[] {
  let text: string;
  try {
    text = readFileSync(path.resolve(file), 'utf8');
  } catch {
    throw new ClassInputError(t(`--roster ${shown}: cannot read this file`, `--roster ${shown}：无法读取这个文件`));
  }
  const base = path.dirname(path.resolve(file));
  const rows = parseCsv(text.replace(/^\ufeff/, '')).filter((r) => r.some((c) => c.trim() !== ''));
  if (rows.length > 0 && /^(student|student[ _-]?id|id|name)$/i.test(rows[0]![0]!.trim())) rows.shift();
  const seen = new Set<string>();
  const out: StudentRepo[] = [];
  rows.forEach((row, i) => {
    const [id = '', repo = ''] = row.map((c) => c.trim());
    if (!id || !repo) {
      throw new ClassInputError(t(`--roster ${shown}: row ${i + 1} needs two columns, student id and repo path`, `--roster ${shown}：第 ${i + 1} 行需要两列：学号和仓库路径`));
    }
    if (seen.has(id)) throw new ClassInputError(t(`--roster ${shown}: student '${id}' appears twice`, `--roster ${shown}：学生 '${id}' 出现了两次`));
    seen.add(id);
    out.push(withProblem({ id, repo: path.resolve(base, repo) }));
  });
  if (out.length === 0) throw new ClassInputError(t(`--roster ${shown}: no students listed`, `--roster ${shown}：没有列出任何学生`));
  return out;
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
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
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
