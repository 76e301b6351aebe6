/**
 * What `run_autograder` runs on Gradescope for each submission: find the student's repo in
 * /autograder/submission, grade it like one student of a class (this kit's grader, teacher-only
 * checks included, sandboxed where possible), and write /autograder/results/results.json.
 * Whatever goes wrong, a results.json is written, so the student sees a reason and not a crash.
 * AUTOGRADER_ROOT replaces /autograder (the tests simulate the layout in a temp folder).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { t } from '../i18n.ts';
import { gradescopeConfigFile, inKit } from '../layout.ts';
import type { GradescopeConfig } from '../plan.ts';
import { gradescopeResults, type GradescopeResults } from '../report/gradescope.ts';
import { installCleanupHandlers } from '../runner/processes.ts';
import { stages as allStages } from '../stages.ts';
import { gradeClass } from './grade-class.ts';

/** The folder holding exercises/: the submission itself, or a folder a few levels down (a zip of the repo). */
function findRepo(submission: string, depth = 3): string | undefined {
  if (existsSync(path.join(submission, 'exercises'))) return submission;
  if (depth === 0) return undefined;
  let entries: string[] = [];
  try {
    entries = readdirSync(submission, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules' && e.name !== '__MACOSX')
      .map((e) => e.name)
      .sort();
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const found = findRepo(path.join(submission, e), depth - 1);
    if (found) return found;
  }
  return undefined;
}

/** Who submitted, from Gradescope's metadata: seeds derive from it, so a resubmission gets the same inputs. */
function submitterId(root: string): string {
  try {
    const meta = JSON.parse(readFileSync(path.join(root, 'submission_metadata.json'), 'utf8')) as { users?: { email?: string; id?: string | number }[] };
    const u = meta.users?.[0];
    return String(u?.email ?? u?.id ?? 'submission');
  } catch {
    return 'submission';
  }
}

export async function runAutograder(env: NodeJS.ProcessEnv = process.env): Promise<GradescopeResults> {
  const root = env.AUTOGRADER_ROOT ?? '/autograder';
  const config = JSON.parse(readFileSync(inKit(gradescopeConfigFile), 'utf8')) as GradescopeConfig;
  const stages = allStages.filter((s) => config.stages.includes(s.number));
  const submission = path.join(root, 'submission');
  const repo = findRepo(submission);
  const id = submitterId(root);
  const student = repo
    ? { id, repo }
    : {
        id,
        repo: submission,
        problem: t(
          'no exercises/ folder in the submission: submit your whole socklab repository (from GitHub, or as a zip of the repo)',
          '提交中没有 exercises/ 文件夹：请提交整个 socklab 仓库（通过 GitHub，或者把仓库打包成 zip）',
        ),
      };
  const result = await gradeClass({
    students: [student],
    stages,
    classSeed: config.classSeed,
    jobs: 1,
    limits: config.limits,
    includeTeacherOnly: true,
    env: Object.fromEntries(Object.entries(env).filter(([k]) => k === 'SOCKLAB_TEST_TAG')) as Record<string, string>,
  });
  return gradescopeResults(result.students[0]!, result.stages, { lang: config.lang, teacherOnlyVisibility: config.teacherOnlyVisibility });
}

async function gradescopeMain(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const root = env.AUTOGRADER_ROOT ?? '/autograder';
  const out = path.join(root, 'results', 'results.json');
  mkdirSync(path.dirname(out), { recursive: true });
  installCleanupHandlers();
  try {
    const results = await runAutograder(env);
    writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
    process.stdout.write(`socklab: ${results.tests.filter((x) => x.status === 'passed').length}/${results.tests.length} checks passed; wrote ${out}\n`);
    return 0;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    writeFileSync(out, JSON.stringify({ score: 0, output: `The autograder failed: ${msg}. Please tell your teacher.`, tests: [] }, null, 2) + '\n');
    process.stderr.write(`socklab: autograder failed: ${err instanceof Error ? err.stack : msg}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await gradescopeMain();
