/**
 * Which of the kit's files go into a package handed to someone else (the student edition, the
 * Gradescope autograder), and how teacher-only checks are taken out of the check sources.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

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

/**
 * Removes every check marked `teacherOnly: true` from a checks source file: each object literal in
 * an array that has that property, with its comments and trailing comma. Returns the new text and
 * the ids removed. Anything cleverer (a check built by a function, pushed later) is not found here;
 * the student-edition builder then notices that the check is still there and refuses.
 */
export function stripTeacherOnly(source: string, fileName = 'checks.ts'): { text: string; removed: string[] } {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const cuts: { start: number; end: number; id: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isArrayLiteralExpression(node)) {
      node.elements.forEach((el, i) => {
        if (!ts.isObjectLiteralExpression(el)) return;
        const prop = (name: string) => el.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(sf) === name);
        const flag = prop('teacherOnly');
        if (!flag || flag.initializer.kind !== ts.SyntaxKind.TrueKeyword) return;
        const idNode = prop('id')?.initializer;
        const id = idNode && ts.isStringLiteralLike(idNode) ? idNode.text : '?';
        let end = el.getEnd();
        const next = node.elements[i + 1];
        // Up to the next element (swallowing the comma), or past a trailing comma.
        if (next) end = next.getFullStart();
        else {
          const rest = source.slice(end);
          const m = /^\s*,/.exec(rest);
          if (m) end += m[0].length;
        }
        cuts.push({ start: el.getFullStart(), end, id });
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  let text = source;
  for (const c of [...cuts].sort((a, b) => b.start - a.start)) text = text.slice(0, c.start) + text.slice(c.end);
  return { text, removed: cuts.map((c) => c.id) };
}

export function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}
