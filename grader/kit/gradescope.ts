/**
 * `npm run gradescope -- OUT`: builds OUT/autograder.zip for a Gradescope programming assignment —
 * the kit (teacher-only checks included, no solutions), setup.sh (installs the Node of deploy.ts,
 * then the kit) and run_autograder (grades /autograder/submission into
 * /autograder/results/results.json).
 *
 * The zip is written with fflate: a small, dependency-free, widely used npm library, so building the
 * zip works the same on a teacher's Linux, macOS or Windows machine without a `zip` binary, and it
 * stores the Unix mode bits (run_autograder and setup.sh must stay executable) and fixed
 * timestamps (the same kit gives a byte-identical zip).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { zipSync, type Zippable } from 'fflate';
import { EXIT } from '../exit-codes.ts';
import { gradescopeConfigFile, kitRoot } from '../layout.ts';
import { gradescopePlan, reportUsageError, UsageError, type GradescopeConfig } from '../plan.ts';
import { stages } from '../stages.ts';
import { nodePinProblem } from './deploy.ts';
import { kitFiles } from './files.ts';

const FIXED_TIME = new Date('2000-01-01T00:00:00Z');
const FILE_MODE = 0o100644;
const EXEC_MODE = 0o100755;

export interface GradescopeBuild {
  zip: string;
  files: number;
  config: GradescopeConfig;
}

export function buildGradescopeZip(out: string, config: GradescopeConfig, kit = kitRoot): GradescopeBuild {
  const entries: Zippable = {};
  const add = (name: string, data: Buffer | string, mode = FILE_MODE): void => {
    entries[name] = [typeof data === 'string' ? Buffer.from(data) : data, { mtime: FIXED_TIME, os: 3, attrs: (mode << 16) >>> 0 }];
  };
  // Solutions are not needed to grade, and what is not in the image cannot leak from it.
  const files = kitFiles(kit, ['solutions', 'templates', '.github']);
  for (const rel of files) add(rel, readFileSync(path.join(kit, rel)));
  const setup = readFileSync(path.join(kit, 'templates', 'gradescope', 'setup.sh'), 'utf8');
  const pin = nodePinProblem('templates/gradescope/setup.sh', setup);
  if (pin) throw new Error(pin);
  add('setup.sh', setup, EXEC_MODE);
  add('run_autograder', readFileSync(path.join(kit, 'templates', 'gradescope', 'run_autograder')), EXEC_MODE);
  add(gradescopeConfigFile, JSON.stringify(config, null, 2) + '\n');
  mkdirSync(out, { recursive: true });
  const zip = path.join(out, 'autograder.zip');
  writeFileSync(zip, zipSync(entries, { level: 9 }));
  return { zip, files: Object.keys(entries).length, config };
}

function gradescopeMain(argv: string[]): number {
  let plan;
  try {
    plan = gradescopePlan(argv);
  } catch (err) {
    if (err instanceof UsageError) return reportUsageError(err, 'en');
    throw err;
  }
  const { config } = plan;
  const out = path.resolve(process.env.INIT_CWD ?? process.cwd(), plan.out);
  if (existsSync(path.join(out, 'autograder.zip'))) {
    process.stderr.write(`socklab: ${path.join(plan.out, 'autograder.zip')} already exists — remove it or choose another folder\n`);
    return EXIT.usage;
  }
  const r = buildGradescopeZip(out, config);
  const hidden = stages.filter((s) => config.stages.includes(s.number)).flatMap((s) => s.checks.filter((c) => c.teacherOnly).map((c) => c.id));
  process.stdout.write(
    [
      `socklab: wrote ${r.zip} (${r.files} files; stages ${config.stages.join(', ')}; class seed ${config.classSeed})`,
      `  teacher-only checks ${hidden.join(', ') || '(none)'}: visibility ${config.teacherOnlyVisibility}`,
      '  Upload it under Configure Autograder → Zip file upload (base image: Ubuntu), then Update Autograder.',
      '',
    ].join('\n'),
  );
  return EXIT.passed;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = gradescopeMain(process.argv.slice(2));
