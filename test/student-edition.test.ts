/**
 * `npm run kit:student -- OUT`: the student edition has no solutions, no teacher-only checks (not
 * even in its source), the Actions workflow, a grader that still works — and it is built from the
 * kit's last commit: a teacher's solved exercise or stray note never ships. Its README offers only
 * what the edition has: every `npm run` command it shows runs there.
 *
 * The tests build from a throw-away clone of this kit (its working copy, committed), so they test
 * the kit as it is now, and can dirty that clone as a teacher would.
 */
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_NODE_MAJOR } from '../grader/kit/deploy.ts';
import { docProblems, scriptProblems, withoutTeacherParts } from '../grader/kit/student-edition.ts';
import { stages } from '../grader/stages.ts';
import { classStages } from './fixtures/class/make-class.ts';
import { newTag, processesTagged, repoRoot, solutionFile } from './helpers.ts';

function allFiles(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    e.name === 'node_modules' || e.name === '.git' ? [] : e.isDirectory() ? allFiles(dir, path.join(rel, e.name)) : [path.join(rel, e.name)],
  );
}

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Teacher', '-c', 'user.email=teacher@example.com', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** A git repo holding this kit's working copy as its one commit (what a teacher's clone looks like). */
function cloneKit(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot }).toString().split('\0').filter(Boolean);
  for (const f of files) {
    if (f === 'node_modules' || !existsSync(path.join(repoRoot, f))) continue;
    mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
    cpSync(path.join(repoRoot, f), path.join(to, f));
  }
  git(to, 'init', '-q', '-b', 'main');
  git(to, 'add', '-A');
  git(to, 'commit', '-qm', 'kit');
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(to, 'node_modules'), 'dir');
}

describe('the student edition', () => {
  let tmp: string;
  let kit: string;
  let edition: string;
  let build: Awaited<ReturnType<typeof execa>>;
  const hidden = stages.flatMap((s) => s.checks.filter((c) => c.teacherOnly).map((c) => c.id));
  const kitStudent = (args: string[]) => execa('npm', ['run', '--silent', 'kit:student', '--', ...args], { cwd: kit, reject: false, stdin: 'ignore', timeout: 120_000 });

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'socklab-edition-'));
    kit = path.join(tmp, 'kit');
    cloneKit(kit);
    edition = path.join(tmp, 'edition');
    build = await kitStudent([edition]);
  }, 180_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is written from the last commit, and says what it left out', () => {
    expect(build.exitCode, String(build.stderr)).toBe(0);
    expect(String(build.stdout)).toMatch(new RegExp(`from commit [0-9a-f]{7,} "kit" .*${hidden.length} teacher-only checks? removed: ${hidden.join(', ').replaceAll('.', '\\.')}`));
  });

  it('has every exercise, no solutions, no teacher tools, and no trace of teacher-only checks', () => {
    expect(hidden.length).toBeGreaterThan(0);
    for (const s of classStages) expect(existsSync(path.join(edition, 'exercises', s.slug, 'server.ts')), s.slug).toBe(true);
    for (const p of ['solutions', 'grader/kit', 'templates', 'test', 'bench', '.ci', 'docs', 'node_modules']) expect(existsSync(path.join(edition, p)), p).toBe(false);
    // Teacher-only checks live in their stage's teacher.ts, which the edition leaves out.
    for (const f of allFiles(path.join(edition, 'grader'))) {
      expect(path.basename(f), f).not.toBe('teacher.ts');
      const text = readFileSync(path.join(edition, 'grader', f), 'utf8');
      for (const id of hidden) expect(text, `${f} mentions ${id}`).not.toContain(`id: '${id}'`);
    }
    const pkg = JSON.parse(readFileSync(path.join(edition, 'package.json'), 'utf8'));
    const kitPkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.scripts).sort()).toEqual(['grade', 'hint', 'i18n', 'site', 'typecheck']);
    expect(pkg.scripts.grade).toBe(kitPkg.scripts.grade);
    // Same dependencies as the lock file, so `npm ci` works in the template repo.
    expect(pkg.dependencies).toEqual(kitPkg.dependencies);
    expect(pkg.devDependencies).toEqual(kitPkg.devDependencies);
    expect(readFileSync(path.join(edition, 'package-lock.json'), 'utf8')).toBe(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8'));
    expect(readFileSync(path.join(edition, 'grader', 'bin.mjs'), 'utf8')).toMatch(/^#!/);
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

  it('carries the GitHub Actions workflow: current LTS Node, npm ci, then grade --format github', () => {
    const yml = readFileSync(path.join(edition, '.github', 'workflows', 'grade.yml'), 'utf8');
    expect(yml).toMatch(/^on:\n  push:/m);
    expect(yml).toMatch(/^jobs:\n  grade:\n    runs-on: ubuntu-latest$/m);
    expect(yml).toMatch(/uses: actions\/checkout@v\d+/);
    expect(DEPLOY_NODE_MAJOR).toBeGreaterThanOrEqual(24);
    expect(yml).toMatch(new RegExp(`uses: actions/setup-node@v\\d+\\n        with:\\n          node-version: ${DEPLOY_NODE_MAJOR}\\n`));
    expect(yml).toMatch(/^      - run: npm ci\b/m);
    expect(yml).toMatch(/^        run: npm run grade -- --format github$/m);
    expect(yml).not.toMatch(/\t/); // YAML forbids tabs for indentation
  });

  it('has a README that links only files it has and shows only scripts it has', () => {
    const readme = readFileSync(path.join(edition, 'README.md'), 'utf8');
    const zh = readFileSync(path.join(edition, 'README.zh-CN.md'), 'utf8');
    for (const text of [readme, zh]) {
      expect(text).not.toMatch(/docs\/teachers|npm test\b|npm run bench|kit:student|npm run gradescope|solutions\//);
      expect(text).not.toContain('teacher-only');
      expect(text).toMatch(/npm run grade 1/);
    }
    const files = new Set(allFiles(edition).map((f) => f.split(path.sep).join('/')));
    const scripts = JSON.parse(readFileSync(path.join(edition, 'package.json'), 'utf8')).scripts;
    for (const f of [...files].filter((x) => x.endsWith('.md'))) expect(docProblems(f, readFileSync(path.join(edition, f), 'utf8'), files, scripts), f).toEqual([]);
    // ...while the kit's own README keeps its teacher and developer parts.
    expect(readFileSync(path.join(repoRoot, 'README.md'), 'utf8')).toMatch(/docs\/teachers\.md[\s\S]*npm test/);
  });

  it('runs every `npm run …` command its READMEs show, inside the edition: no missing script, no crash', async () => {
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(edition, 'node_modules'), 'dir');
    try {
      const shown = new Set<string>();
      for (const f of ['README.md', 'README.zh-CN.md']) {
        const text = readFileSync(path.join(edition, f), 'utf8');
        // In code spans and blocks; a command ends at its closing backtick, a comment, or the ")" of "$(…)".
        for (const m of text.matchAll(/npm run(?:-script)?(?:\s+(?:-s|--silent))?\s+[\w:.-]+[^`\n#)]*/g)) shown.add(m[0].trim());
      }
      expect(shown.size).toBeGreaterThanOrEqual(8);
      expect([...shown]).toEqual(expect.arrayContaining(['npm run grade 1', 'npm run grade -- 3 --watch', 'npm run hint 3', 'npm run -s site -- 3 --seed 123456']));
      const scratch = mkdtempSync(path.join(tmp, 'scratch-'));
      const tag = newTag();
      for (const command of shown) {
        const r = await execa('sh', ['-c', command], {
          cwd: edition,
          reject: false,
          // "q" + Enter stops watch mode and an interactive hint.
          input: 'q\n',
          env: { SOCKLAB_TEST_TAG: tag, LANG: 'C.UTF-8', TMPDIR: scratch, CI: 'true' },
          timeout: 180_000,
        });
        const all = `${r.stdout}\n${r.stderr}`;
        expect(all, command).not.toMatch(/Missing script|npm error|npm ERR!/);
        expect(all, command).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m); // a stack trace
        // 0 passed, 1 a check failed (the skeleton), 3 the server did not start; never a usage error or a crash.
        expect([0, 1, 3], `${command}: exit ${r.exitCode}\n${all.slice(-600)}`).toContain(r.exitCode);
      }
      expect(processesTagged(tag)).toEqual([]);
    } finally {
      rmSync(path.join(edition, 'node_modules'), { force: true });
    }
  }, 600_000);

  it('grades with its own grader: the student-visible checks, and no model solution to peek at', async () => {
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(edition, 'node_modules'), 'dir');
    try {
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
    } finally {
      rmSync(path.join(edition, 'node_modules'), { force: true });
    }
  }, 180_000);

  it('refuses to write into a folder that is not empty', async () => {
    const busy = path.join(tmp, 'busy');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'keep.txt'), 'mine');
    const r = await kitStudent([busy]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/exists and is not empty/);
    expect(readFileSync(path.join(busy, 'keep.txt'), 'utf8')).toBe('mine');
  }, 60_000);

  describe('from a dirty teacher tree', () => {
    const slug = classStages[0]!.slug;
    const exercise = () => path.join(kit, 'exercises', slug, 'server.ts');
    let skeleton: string;

    beforeAll(() => {
      skeleton = git(kit, 'show', `HEAD:exercises/${slug}/server.ts`);
      // The teacher solved stage 1 to try the kit, left a note beside it, and edited the README.
      cpSync(solutionFile(slug), exercise());
      writeFileSync(path.join(kit, 'exercises', slug, 'notes.md'), 'my answer key\n');
      writeFileSync(path.join(kit, 'README.md'), readFileSync(path.join(kit, 'README.md'), 'utf8') + '\nTEACHER SCRATCH\n');
    });

    it('refuses in one line naming what differs, and writes nothing', async () => {
      const out = path.join(tmp, 'dirty-refused');
      const r = await kitStudent([out]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^socklab: exercises/ differs from the last commit \\(modified exercises/${slug}/server\\.ts; untracked exercises/${slug}/notes\\.md\\) — .*--allow-dirty`));
      expect(existsSync(out)).toBe(false);
    }, 60_000);

    it('with --allow-dirty, ships the skeletons as committed and nothing uncommitted', async () => {
      const out = path.join(tmp, 'dirty-allowed');
      const r = await kitStudent([out, '--allow-dirty']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/left out 2 uncommitted changes in exercises\/ \(--allow-dirty\)/);
      expect(readFileSync(path.join(out, 'exercises', slug, 'server.ts'), 'utf8')).toBe(skeleton);
      expect(readFileSync(path.join(out, 'exercises', slug, 'server.ts'), 'utf8')).not.toBe(readFileSync(solutionFile(slug), 'utf8'));
      expect(existsSync(path.join(out, 'exercises', slug, 'notes.md'))).toBe(false);
      expect(readFileSync(path.join(out, 'README.md'), 'utf8')).not.toContain('TEACHER SCRATCH');
    }, 120_000);

    it('refuses a README that would link a file the edition leaves out', async () => {
      git(kit, 'stash', 'push', '-u', '-q', '--', 'exercises', 'README.md');
      try {
        writeFileSync(path.join(kit, 'README.md'), readFileSync(path.join(kit, 'README.md'), 'utf8') + '\nSee [the teacher guide](docs/teachers.md).\n');
        git(kit, 'commit', '-qam', 'unmarked teacher link');
        const r = await kitStudent([path.join(tmp, 'bad-readme')]);
        expect(r.exitCode).toBe(2);
        expect(r.stderr).toMatch(/^socklab: the student edition would have README\.md link docs\/teachers\.md, which it leaves out — mark the teacher's part/);
      } finally {
        git(kit, 'reset', '-q', '--hard', 'HEAD~1');
      }
    }, 120_000);

    it('refuses a kit that is not a git checkout', async () => {
      const plain = path.join(tmp, 'plain-kit');
      cpSync(kit, plain, { recursive: true, filter: (src) => !src.includes(`${path.sep}.git`) && !src.endsWith('node_modules') });
      symlinkSync(path.join(repoRoot, 'node_modules'), path.join(plain, 'node_modules'), 'dir');
      const r = await execa('node', ['--import', 'tsx', 'grader/kit/student-edition.ts', path.join(tmp, 'from-plain')], { cwd: plain, reject: false, stdin: 'ignore', env: { GIT_CEILING_DIRECTORIES: tmp } });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/built from the kit's last commit, and .* is not a git checkout/);
    }, 60_000);
  });

  it('cuts teacher-only parts and finds links and scripts the edition lacks', () => {
    expect(withoutTeacherParts('a\n<!-- teacher-only -->\nsecret\n<!-- /teacher-only -->\nb\n')).toBe('a\nb\n');
    expect(withoutTeacherParts('npm install\nnpm run grade 1\nnpm test   # ours\nnpm run -s bench\n')).toBe('npm install\nnpm run grade 1\n');
    expect(() => withoutTeacherParts('a\n<!-- teacher-only -->\nsecret\n')).toThrow(/never closed/);
    const files = new Set(['README.md', 'exercises/01-x/server.ts', 'static/index.html']);
    expect(docProblems('README.md', '[ok](exercises/01-x/server.ts) [dir](static) [web](https://x.org) [anchor](#stages)', files, {})).toEqual([]);
    expect(docProblems('README.md', '[t](docs/teachers.md) `npm test` `npm run -s bench`', files, { grade: 'x' })).toEqual([
      'have README.md link docs/teachers.md, which it leaves out',
      'have README.md show `npm test`, a script it leaves out',
      'have README.md show `npm run bench`, a script it leaves out',
    ]);
    expect(scriptProblems({ grade: 'node grader/bin.mjs', bench: 'node --import tsx bench/bench.ts' }, new Set(['grader/bin.mjs']))).toEqual([
      "offer the script 'bench', which runs bench/bench.ts, not in the edition",
    ]);
  });
});
