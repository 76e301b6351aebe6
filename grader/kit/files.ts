/**
 * Which of the kit's files go into a package handed to someone else (the student edition, the
 * Gradescope autograder), and what they contain.
 *
 * The student edition is built from the kit's last commit, never from the working copy: a teacher
 * who solved stage 1 in exercises/ to try the kit, or left notes beside it, must not hand those out.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Never shipped: development folders, local state, and what only the teacher needs. */
const ALWAYS_OUT = ['node_modules', '.git', 'grades', 'coverage', '.ci', 'bench', 'test', '.vitest', 'vitest.config.ts'];

/** Not a git checkout, or one without a commit: there is no committed content to build from. */
export class NoCommitError extends Error {}

/** One file as committed: its path (forward slashes), whether it is executable, its bytes. */
export interface CommittedFile {
  path: string;
  executable: boolean;
  data: Buffer;
}

const isOut = (f: string, skip: readonly string[]): boolean => skip.some((p) => f === p || f.startsWith(p.endsWith('/') ? p : p + '/'));
const isLocalJunk = (f: string): boolean => /(^|\/)(\.DS_Store|[^/]*\.log)$/.test(f);

/**
 * Relative paths of the kit's files (forward slashes), sorted. In a git checkout: tracked files
 * plus untracked ones git does not ignore; otherwise every file. Minus `exclude` (prefixes).
 * The working copy as it is — for the Gradescope image, which students never see.
 */
export function kitFiles(kit: string, exclude: readonly string[]): string[] {
  let files: string[];
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: kit, stdio: ['ignore', 'pipe', 'ignore'] });
    files = out.toString().split('\0').filter(Boolean);
  } catch {
    files = walk(kit, '');
  }
  const skip = [...ALWAYS_OUT, ...exclude];
  return files
    .filter((f) => !isOut(f, skip))
    .filter((f) => !isLocalJunk(f))
    .filter((f) => existsSync(path.join(kit, f)) && statSync(path.join(kit, f)).isFile()) // deleted but still tracked
    .sort();
}

function walk(root: string, rel: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (ALWAYS_OUT.includes(r)) continue;
    if (e.isDirectory()) out.push(...walk(root, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

function git(kit: string, args: string[], input?: string): Buffer {
  return execFileSync('git', args, { cwd: kit, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], maxBuffer: 512 * 2 ** 20 });
}

/** The commit the kit's files are read from: HEAD, as a short hash and its subject line. */
export function headCommit(kit: string): { hash: string; subject: string } {
  try {
    const [hash = '', ...subject] = git(kit, ['log', '-1', '--format=%h %s', 'HEAD']).toString().trim().split(' ');
    return { hash, subject: subject.join(' ') };
  } catch {
    throw new NoCommitError(`${kit} is not a git checkout with a commit`);
  }
}

/**
 * Every file of the kit's last commit (HEAD) with its committed bytes — `git archive` without the
 * archive: `ls-tree` lists the blobs, one `cat-file --batch` reads them all. Minus `exclude`
 * (prefixes) and the folders never shipped. Symbolic links are left out: a link could point
 * anywhere on the teacher's machine, and nothing in the kit needs one.
 */
export function committedFiles(kit: string, exclude: readonly string[]): CommittedFile[] {
  headCommit(kit);
  const skip = [...ALWAYS_OUT, ...exclude];
  const entries = git(kit, ['ls-tree', '-r', '-z', '--full-tree', 'HEAD'])
    .toString()
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode = '', type = '', oid = ''] = line.slice(0, tab).split(' ');
      return { mode, type, oid, path: line.slice(tab + 1) };
    })
    .filter((e) => e.type === 'blob' && (e.mode === '100644' || e.mode === '100755'))
    .filter((e) => !isOut(e.path, skip) && !isLocalJunk(e.path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (entries.length === 0) return [];
  // Output: for each object, "<oid> blob <size>\n<bytes>\n".
  const batch = git(kit, ['cat-file', '--batch'], entries.map((e) => e.oid).join('\n') + '\n');
  const files: CommittedFile[] = [];
  let at = 0;
  for (const e of entries) {
    const nl = batch.indexOf(0x0a, at);
    const [oid, , size] = batch.subarray(at, nl).toString().split(' ');
    if (oid !== e.oid) throw new Error(`git cat-file answered ${oid} for ${e.oid} (${e.path})`);
    const start = nl + 1;
    const end = start + Number(size);
    files.push({ path: e.path, executable: e.mode === '100755', data: Buffer.from(batch.subarray(start, end)) });
    at = end + 1;
  }
  return files;
}

/**
 * What differs from the last commit under `folder`: changed, added, deleted and untracked files
 * (not ignored ones), as `git status --porcelain` says them ("M exercises/…", "? exercises/…").
 */
export function uncommittedChanges(kit: string, folder: string): string[] {
  const out = git(kit, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', folder]).toString();
  const changes: string[] = [];
  const items = out.split('\0');
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (!item) continue;
    const code = item.slice(0, 2);
    changes.push(`${code.includes('?') ? '?' : code.trim().charAt(0)} ${item.slice(3)}`);
    if (code.includes('R') || code.includes('C')) i++; // a rename is followed by its old name
  }
  return changes;
}
