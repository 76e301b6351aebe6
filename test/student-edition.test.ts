/**
 * `npm run kit:student -- OUT`: the student edition has no solutions, no teacher-only checks (not
 * even in its source), the Actions workflow, and a grader that still works.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stages } from '../grader/stages.ts';
import { classStages } from './fixtures/class/make-class.ts';
import { newTag, processesTagged, repoRoot, solutionFile } from './helpers.ts';

function allFiles(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    e.name === 'node_modules' ? [] : e.isDirectory() ? allFiles(dir, path.join(rel, e.name)) : [path.join(rel, e.name)],
  );
}

describe('the student edition', () => {
  let tmp: string;
  let edition: string;
  let build: Awaited<ReturnType<typeof execa>>;
  const hidden = stages.flatMap((s) => s.checks.filter((c) => c.teacherOnly).map((c) => c.id));

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'socklab-edition-'));
    edition = path.join(tmp, 'edition');
    build = await execa('npm', ['run', '--silent', 'kit:student', '--', edition], { cwd: repoRoot, reject: false, stdin: 'ignore', timeout: 120_000 });
  }, 180_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is written, and says what it left out', () => {
    expect(build.exitCode, String(build.stderr)).toBe(0);
    expect(String(build.stdout)).toMatch(new RegExp(`${hidden.length} teacher-only checks? removed: ${hidden.join(', ').replaceAll('.', '\\.')}`));
  });

  it('has every exercise, no solutions, no teacher tools, and no trace of teacher-only checks', () => {
    expect(hidden.length).toBeGreaterThan(0);
    for (const s of classStages) expect(existsSync(path.join(edition, 'exercises', s.slug, 'server.ts')), s.slug).toBe(true);
    for (const p of ['solutions', 'grader/kit', 'templates', 'test', '.ci', 'docs/teachers.md', 'docs/teachers.zh-CN.md', 'docs/teachers.zh-TW.md', 'node_modules']) expect(existsSync(path.join(edition, p)), p).toBe(false);
    // Teacher-only checks live in their stage's teacher.ts, which the edition leaves out.
    for (const f of allFiles(path.join(edition, 'grader'))) {
      expect(path.basename(f), f).not.toBe('teacher.ts');
      const text = readFileSync(path.join(edition, 'grader', f), 'utf8');
      for (const id of hidden) expect(text, `${f} mentions ${id}`).not.toContain(`id: '${id}'`);
    }
    const pkg = JSON.parse(readFileSync(path.join(edition, 'package.json'), 'utf8'));
    const kitPkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.scripts)).not.toEqual(expect.arrayContaining(['kit:student']));
    expect(pkg.scripts.grade).toBe(kitPkg.scripts.grade);
    // Same dependencies as the lock file, so `npm ci` works in the template repo.
    expect(pkg.dependencies).toEqual(kitPkg.dependencies);
    expect(pkg.devDependencies).toEqual(kitPkg.devDependencies);
    expect(readFileSync(path.join(edition, 'package-lock.json'), 'utf8')).toBe(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8'));
  });

  it('has the three editions of every README, and its own `npm run i18n` regenerates the zh-TW ones unchanged', async () => {
    for (const dir of ['.', ...classStages.map((s) => `exercises/${s.slug}`)]) {
      for (const name of ['README.md', 'README.zh-CN.md', 'README.zh-TW.md']) expect(existsSync(path.join(edition, dir, name)), `${dir}/${name}`).toBe(true);
    }
    const link = path.join(edition, 'node_modules');
    symlinkSync(path.join(repoRoot, 'node_modules'), link, 'dir');
    const before = readFileSync(path.join(edition, 'exercises', classStages[0]!.slug, 'README.zh-TW.md'), 'utf8');
    const r = await execa('npm', ['run', '--silent', 'i18n'], { cwd: edition, reject: false, stdin: 'ignore', timeout: 60_000 }).finally(() => rmSync(link));
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toMatch(/zh-TW documents, 0 changed/);
    expect(readFileSync(path.join(edition, 'exercises', classStages[0]!.slug, 'README.zh-TW.md'), 'utf8')).toBe(before);
  });

  it('carries the GitHub Actions workflow: npm ci, then grade --format github', () => {
    const yml = readFileSync(path.join(edition, '.github', 'workflows', 'grade.yml'), 'utf8');
    expect(yml).toMatch(/^on:\n  push:/m);
    expect(yml).toMatch(/^jobs:\n  grade:\n    runs-on: ubuntu-latest$/m);
    expect(yml).toMatch(/uses: actions\/checkout@v\d+/);
    expect(yml).toMatch(/uses: actions\/setup-node@v\d+\n        with:\n          node-version: 20/);
    expect(yml).toMatch(/^      - run: npm ci\b/m);
    expect(yml).toMatch(/^        run: npm run grade -- --format github$/m);
    expect(yml).not.toMatch(/\t/); // YAML forbids tabs for indentation
  });

  it('grades with its own grader: the student-visible checks, and no model solution to peek at', async () => {
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(edition, 'node_modules'), 'dir');
    const tag = newTag();
    const env = { SOCKLAB_TEST_TAG: tag, LANG: 'C.UTF-8' };
    const list = await execa('node', ['grader/bin.mjs', '--list'], { cwd: edition, env, reject: false, stdin: 'ignore' });
    expect(list.exitCode).toBe(0);
    const graded = await execa('node', ['grader/bin.mjs', '1', '--file', solutionFile('01-tcp-echo'), '--json'], { cwd: edition, env, reject: false, stdin: 'ignore', timeout: 120_000 });
    expect(graded.exitCode, graded.stderr).toBe(0);
    const doc = JSON.parse(graded.stdout);
    expect(doc.checks.map((c: { id: string }) => c.id)).toEqual(stages[0]!.checks.filter((c) => !c.teacherOnly).map((c) => c.id));
    const sol = await execa('node', ['grader/bin.mjs', '1', '--solution'], { cwd: edition, env, reject: false, stdin: 'ignore' });
    expect(sol.exitCode).toBe(2);
    expect(sol.stderr).toMatch(/student edition has none/);
    expect(processesTagged(tag)).toEqual([]);
  }, 180_000);

  it('refuses to write into a folder that is not empty', async () => {
    const busy = path.join(tmp, 'busy');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'keep.txt'), 'mine');
    const r = await execa('npm', ['run', '--silent', 'kit:student', '--', busy], { cwd: repoRoot, reject: false, stdin: 'ignore' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/exists and is not empty/);
    expect(readFileSync(path.join(busy, 'keep.txt'), 'utf8')).toBe('mine');
  }, 60_000);
});
