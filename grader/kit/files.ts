/**
 * Which of the kit's files go into a package handed to someone else (the student edition, the
 * Gradescope autograder).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Never shipped: development folders, local state, and what only the teacher needs. */
const ALWAYS_OUT = ['node_modules', '.git', 'grades', 'coverage', '.ci', 'bench', 'test', '.vitest', 'vitest.config.ts'];

/**
 * Relative paths of the kit's files (forward slashes), sorted. In a git checkout: tracked files
 * plus untracked ones git does not ignore; otherwise every file. Minus `exclude` (prefixes).
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
    .filter((f) => !skip.some((p) => f === p || f.startsWith(p.endsWith('/') ? p : p + '/')))
    .filter((f) => !/(^|\/)(\.DS_Store|[^/]*\.log)$/.test(f))
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
