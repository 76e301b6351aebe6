/**
 * `npm run kit:student -- OUT`: writes the student edition — the kit without solutions/, without
 * teacher-only checks and without the teacher's tools, plus a GitHub Actions workflow that grades
 * every push — ready to push as a template repository. It then loads the edition's stage list and
 * refuses to finish if any teacher-only check survived.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT } from '../exit-codes.ts';
import { kitRoot } from '../layout.ts';
import { reportUsageError, studentEditionPlan, UsageError } from '../plan.ts';
import { stages } from '../stages.ts';
import { kitFiles } from './files.ts';

/** What only the teacher gets: model answers, the builders, their templates, the teacher docs. */
const TEACHER_ONLY_PATHS = ['solutions', 'grader/kit', 'templates', 'docs/teachers.md', 'docs/teachers.zh-CN.md', 'docs/teachers.zh-TW.md'];
/** Each stage's teacher-only checks live in a file of their own, which the edition leaves out. */
const isTeacherChecks = (rel: string): boolean => /^grader\/stages\/[^/]+\/teacher\.ts$/.test(rel);
/** npm scripts that need what the student edition leaves out. */
const TEACHER_SCRIPTS = ['kit:student', 'gradescope', 'test'];

class KitError extends Error {}

interface EditionSummary {
  files: number;
  removedChecks: string[];
}

function buildStudentEdition(out: string, kit = kitRoot): EditionSummary {
  const target = path.resolve(out);
  if (existsSync(target) && readdirSync(target).length > 0) throw new KitError(`${out} exists and is not empty — choose a new folder`);
  if (target === path.resolve(kit) || target.startsWith(path.resolve(kit) + path.sep)) {
    throw new KitError(`${out} is inside the kit — write the student edition somewhere else`);
  }
  const files = kitFiles(kit, TEACHER_ONLY_PATHS).filter((rel) => !isTeacherChecks(rel));
  const removedChecks = stages.flatMap((s) => s.checks.filter((c) => c.teacherOnly).map((c) => c.id));
  for (const rel of files) {
    const dest = path.join(target, rel);
    mkdirSync(path.dirname(dest), { recursive: true });
    if (rel === 'package.json') {
      const pkg = JSON.parse(readFileSync(path.join(kit, rel), 'utf8')) as { scripts?: Record<string, string> };
      // Dependencies stay exactly as they are, so package-lock.json still matches and `npm ci` works.
      for (const s of TEACHER_SCRIPTS) delete pkg.scripts?.[s];
      writeFileSync(dest, JSON.stringify(pkg, null, 2) + '\n');
    } else {
      copyFileSync(path.join(kit, rel), dest);
    }
  }
  const workflow = path.join(target, '.github', 'workflows', 'grade.yml');
  mkdirSync(path.dirname(workflow), { recursive: true });
  copyFileSync(path.join(kit, 'templates', 'github', 'grade.yml'), workflow);
  verifyEdition(target, kit);
  return { files: files.length + 1, removedChecks };
}

/**
 * Loads the edition's own grader/stages.ts (with the kit's node_modules lent for the moment) and
 * compares its checks with the kit's: same stages, same checks minus the teacher-only ones.
 */
function verifyEdition(target: string, kit: string): void {
  const link = path.join(target, 'node_modules');
  symlinkSync(path.join(kit, 'node_modules'), link, 'dir');
  let listed: { number: number; ids: string[]; teacherOnly: string[] }[];
  try {
    const script = `const { stages } = await import(${JSON.stringify(pathToFileURL(path.join(target, 'grader', 'stages.ts')).href)});
process.stdout.write(JSON.stringify(stages.map((s) => ({ number: s.number, ids: s.checks.map((c) => c.id), teacherOnly: s.checks.filter((c) => c.teacherOnly).map((c) => c.id) }))));`;
    const out = execFileSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], { cwd: target, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    listed = JSON.parse(out.toString());
  } catch (err) {
    const why = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim().split('\n').slice(-3).join(' ');
    throw new KitError(`the student edition's grader does not load: ${why}`);
  } finally {
    rmSync(link, { force: true });
  }
  for (const stage of stages) {
    const got = listed.find((s) => s.number === stage.number);
    const want = stage.checks.filter((c) => !c.teacherOnly).map((c) => c.id);
    if (!got) throw new KitError(`stage ${stage.number} is missing from the student edition`);
    if (got.teacherOnly.length) {
      throw new KitError(`teacher-only check ${got.teacherOnly.join(', ')} is still in the student edition: teacher-only checks belong in their stage's teacher.ts`);
    }
    if (got.ids.join(',') !== want.join(',')) throw new KitError(`stage ${stage.number}: the student edition has checks ${got.ids.join(', ')}, expected ${want.join(', ')}`);
  }
}

function studentEditionMain(argv: string[]): number {
  let out: string;
  try {
    ({ out } = studentEditionPlan(argv));
  } catch (err) {
    if (err instanceof UsageError) return reportUsageError(err, 'en');
    throw err;
  }
  try {
    // npm runs scripts from the kit's folder; a relative OUT means relative to where the teacher typed.
    const r = buildStudentEdition(path.resolve(process.env.INIT_CWD ?? process.cwd(), out));
    process.stdout.write(
      [
        `socklab: wrote the student edition to ${out} (${r.files} files; no solutions/; ${r.removedChecks.length} teacher-only check${r.removedChecks.length === 1 ? '' : 's'} removed: ${r.removedChecks.join(', ') || 'none'})`,
        'Next: publish it as a template repository, e.g.',
        `  cd ${out} && git init -b main && git add -A && git commit -m "socklab student edition"`,
        '  gh repo create ORG/socklab-template --private --source . --push && gh repo edit ORG/socklab-template --template',
        '',
      ].join('\n'),
    );
    return EXIT.passed;
  } catch (err) {
    if (err instanceof KitError) {
      process.stderr.write(`socklab: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = studentEditionMain(process.argv.slice(2));
