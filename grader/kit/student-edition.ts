/**
 * `npm run kit:student -- OUT [--allow-dirty]`: writes the student edition — the kit without
 * solutions/, without teacher-only checks, without the teacher's tools and docs, plus a GitHub
 * Actions workflow that grades every push — ready to push as a template repository.
 *
 * It is built from the kit's last commit, never the working copy: the skeletons as committed, so a
 * teacher who solved a stage in exercises/ (or left a note there) hands none of it out. When
 * exercises/ differs from the commit it refuses, unless --allow-dirty says to build without those
 * changes. The edition's README and package.json offer only what the edition has: README parts
 * between `<!-- teacher-only -->` and `<!-- /teacher-only -->` are cut, teacher scripts removed,
 * and every link and `npm run` command in its Markdown is checked against the edition's files and
 * scripts. Finally it loads the edition's stage list and refuses to finish if any teacher-only
 * check survived.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT } from '../exit-codes.ts';
import { kitRoot } from '../layout.ts';
import { reportUsageError, studentEditionPlan, UsageError } from '../plan.ts';
import { stages } from '../stages.ts';
import { nodePinProblem } from './deploy.ts';
import { committedFiles, headCommit, NoCommitError, uncommittedChanges } from './files.ts';

/** What only the teacher gets: model answers, the builders, their templates, the docs for teachers and kit developers. */
const TEACHER_ONLY_PATHS = ['solutions', 'grader/kit', 'templates', 'docs', '.github'];
/** Each stage's teacher-only checks live in a file of their own, which the edition leaves out. */
const isTeacherChecks = (rel: string): boolean => /^grader\/stages\/[^/]+\/teacher\.ts$/.test(rel);
/** npm scripts that need what the student edition leaves out. */
const TEACHER_SCRIPTS = ['kit:student', 'gradescope', 'test', 'bench'];
/** Where the edition's workflow comes from, and where it goes. */
const WORKFLOW_TEMPLATE = 'templates/github/grade.yml';
const WORKFLOW = '.github/workflows/grade.yml';

export const TEACHER_ONLY_START = '<!-- teacher-only -->';
export const TEACHER_ONLY_END = '<!-- /teacher-only -->';

class KitError extends Error {}

interface EditionFile {
  data: Buffer;
  executable: boolean;
}

interface EditionSummary {
  files: number;
  removedChecks: string[];
  commit: { hash: string; subject: string };
  /** Uncommitted changes under exercises/ that were left out (with --allow-dirty). */
  leftOut: string[];
}

const under = (rel: string, prefixes: readonly string[]): boolean => prefixes.some((p) => rel === p || rel.startsWith(p + '/'));

function buildStudentEdition(out: string, opts: { allowDirty: boolean }, kit = kitRoot): EditionSummary {
  const target = path.resolve(out);
  if (existsSync(target) && readdirSync(target).length > 0) throw new KitError(`${out} exists and is not empty — choose a new folder`);
  if (target === path.resolve(kit) || target.startsWith(path.resolve(kit) + path.sep)) {
    throw new KitError(`${out} is inside the kit — write the student edition somewhere else`);
  }
  let commit: EditionSummary['commit'];
  try {
    commit = headCommit(kit);
  } catch (err) {
    if (!(err instanceof NoCommitError)) throw err;
    throw new KitError(`the student edition is built from the kit's last commit, and ${kit} is not a git checkout with one — run it in a clone of the kit`);
  }
  const changes = uncommittedChanges(kit, 'exercises');
  if (changes.length > 0 && !opts.allowDirty) {
    const shown = changes.slice(0, 3).map(describeChange).join('; ') + (changes.length > 3 ? `; ${changes.length - 3} more` : '');
    throw new KitError(
      `exercises/ differs from the last commit (${shown}) — the student edition is built from commit ${commit.hash} only, so commit or stash these changes, or pass --allow-dirty to build without them`,
    );
  }

  const committed = committedFiles(kit, []);
  const template = committed.find((f) => f.path === WORKFLOW_TEMPLATE);
  if (!template) throw new KitError(`${WORKFLOW_TEMPLATE} is not in commit ${commit.hash}`);
  const edition = new Map<string, EditionFile>();
  for (const f of committed) {
    if (under(f.path, TEACHER_ONLY_PATHS) || isTeacherChecks(f.path)) continue;
    edition.set(f.path, { data: f.data, executable: f.executable });
  }
  const pkgFile = edition.get('package.json');
  if (!pkgFile) throw new KitError(`package.json is not in commit ${commit.hash}`);
  const pkg = JSON.parse(pkgFile.data.toString()) as { scripts?: Record<string, string> };
  // Dependencies stay exactly as they are, so package-lock.json still matches and `npm ci` works.
  for (const s of TEACHER_SCRIPTS) delete pkg.scripts?.[s];
  edition.set('package.json', { data: Buffer.from(JSON.stringify(pkg, null, 2) + '\n'), executable: false });
  for (const [rel, f] of edition) {
    if (!rel.endsWith('.md')) continue;
    try {
      edition.set(rel, { ...f, data: Buffer.from(withoutTeacherParts(f.data.toString())) });
    } catch (err) {
      throw new KitError(`${rel}: ${(err as Error).message}`);
    }
  }
  const workflow = template.data.toString();
  const pin = nodePinProblem(WORKFLOW_TEMPLATE, workflow);
  if (pin) throw new KitError(pin);
  edition.set(WORKFLOW, { data: template.data, executable: false });

  const files = new Set(edition.keys());
  const problems = [
    ...scriptProblems(pkg.scripts ?? {}, files),
    ...[...edition].filter(([rel]) => rel.endsWith('.md')).flatMap(([rel, f]) => docProblems(rel, f.data.toString(), files, pkg.scripts ?? {})),
  ];
  if (problems.length > 0) {
    throw new KitError(`the student edition would ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''} — mark the teacher's part of it ${TEACHER_ONLY_START} … ${TEACHER_ONLY_END}`);
  }

  for (const [rel, f] of edition) {
    const dest = path.join(target, rel);
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, f.data);
    if (f.executable) chmodSync(dest, 0o755);
  }
  verifyEdition(target, kit);
  return { files: edition.size, removedChecks: stages.flatMap((s) => s.checks.filter((c) => c.teacherOnly).map((c) => c.id)), commit, leftOut: changes };
}

function describeChange(change: string): string {
  const [code, ...rest] = change.split(' ');
  const what = { '?': 'untracked', M: 'modified', A: 'added', D: 'deleted', R: 'renamed', C: 'copied', T: 'type changed', U: 'unmerged' }[code!] ?? 'changed';
  return `${what} ${rest.join(' ')}`;
}

/** A command line that runs a script the edition does not have (`npm test`, `npm run bench`, …). */
const runsTeacherScript = (line: string): boolean =>
  TEACHER_SCRIPTS.some((s) => new RegExp(`^\\s*npm (?:run(?:-script)? (?:-s )?)?${s.replace(':', '\\:')}(?:\\s|$)`).test(line));

/**
 * Cuts every `<!-- teacher-only -->` … `<!-- /teacher-only -->` block (marker lines included), and
 * every line that runs a script the edition leaves out — such as the `npm test` of the kit's
 * first commands, which a student's copy has no tests for.
 */
export function withoutTeacherParts(text: string): string {
  const out: string[] = [];
  let inside = 0;
  text.split('\n').forEach((line, i) => {
    const marker = line.trim();
    if (marker === TEACHER_ONLY_START) {
      if (inside) throw new Error(`line ${i + 1}: ${TEACHER_ONLY_START} inside another one`);
      inside = i + 1;
    } else if (marker === TEACHER_ONLY_END) {
      if (!inside) throw new Error(`line ${i + 1}: ${TEACHER_ONLY_END} without ${TEACHER_ONLY_START}`);
      inside = 0;
    } else if (!inside && !runsTeacherScript(line)) out.push(line);
  });
  if (inside) throw new Error(`line ${inside}: ${TEACHER_ONLY_START} is never closed`);
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

/** A path the edition has: a file, or a folder holding one. */
function has(files: ReadonlySet<string>, rel: string): boolean {
  const clean = rel.replace(/\/+$/, '');
  if (clean === '' || clean === '.') return true;
  if (files.has(clean)) return true;
  for (const f of files) if (f.startsWith(clean + '/')) return true;
  return false;
}

/** Scripts whose command names a path (a word with a slash) the edition does not have. */
export function scriptProblems(scripts: Record<string, string>, files: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const [name, command] of Object.entries(scripts)) {
    for (const m of command.matchAll(/(?:^|\s)((?:\.\/)?[\w.-]+(?:\/[\w.-]+)+)/g)) {
      const rel = m[1]!.replace(/^\.\//, '');
      if (!has(files, rel)) problems.push(`offer the script '${name}', which runs ${rel}, not in the edition`);
    }
  }
  return problems;
}

/** Links to files the edition lacks, and `npm run X` / `npm test` for scripts it lacks, in one Markdown file. */
export function docProblems(rel: string, text: string, files: ReadonlySet<string>, scripts: Record<string, string>): string[] {
  const problems: string[] = [];
  const dir = path.posix.dirname(rel);
  for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const href = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('#')) continue;
    const target = path.posix.normalize(path.posix.join(dir, decodeURI(href.split('#')[0]!)));
    if (!has(files, target)) problems.push(`have ${rel} link ${href}, which it leaves out`);
  }
  for (const m of text.matchAll(/\bnpm\s+(?:run(?:-script)?\s+(?:(?:-s|--silent)\s+)?([\w:.-]+)|(test|start)\b)/g)) {
    const script = m[1] ?? m[2]!;
    if (!(script in scripts)) problems.push(`have ${rel} show \`npm ${m[1] ? 'run ' : ''}${script}\`, a script it leaves out`);
  }
  return problems;
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
    if (!got) throw new KitError(`stage ${stage.number} is missing from the student edition (is its folder committed?)`);
    if (got.teacherOnly.length) {
      throw new KitError(`teacher-only check ${got.teacherOnly.join(', ')} is still in the student edition: teacher-only checks belong in their stage's teacher.ts`);
    }
    if (got.ids.join(',') !== want.join(',')) {
      throw new KitError(`stage ${stage.number}: the student edition has checks ${got.ids.join(', ')}, expected ${want.join(', ')} (is grader/ committed?)`);
    }
  }
}

function studentEditionMain(argv: string[]): number {
  let plan: { out: string; allowDirty: boolean };
  try {
    plan = studentEditionPlan(argv);
  } catch (err) {
    if (err instanceof UsageError) return reportUsageError(err, 'en');
    throw err;
  }
  const { out } = plan;
  try {
    // npm runs scripts from the kit's folder; a relative OUT means relative to where the teacher typed.
    const r = buildStudentEdition(path.resolve(process.env.INIT_CWD ?? process.cwd(), out), plan);
    process.stdout.write(
      [
        `socklab: wrote the student edition to ${out} from commit ${r.commit.hash} "${r.commit.subject}" (${r.files} files; no solutions/; ${r.removedChecks.length} teacher-only check${r.removedChecks.length === 1 ? '' : 's'} removed: ${r.removedChecks.join(', ') || 'none'})`,
        ...(r.leftOut.length ? [`  left out ${r.leftOut.length} uncommitted change${r.leftOut.length === 1 ? '' : 's'} in exercises/ (--allow-dirty): ${r.leftOut.map(describeChange).join('; ')}`] : []),
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
