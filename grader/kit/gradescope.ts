/**
 * `npm run gradescope -- OUT`: builds OUT/autograder.zip for a Gradescope programming assignment —
 * the kit (teacher-only checks included, no solutions), setup.sh (installs Node and the kit) and
 * run_autograder (grades /autograder/submission into /autograder/results/results.json).
 *
 * The zip is written with fflate: a small, dependency-free, widely used npm library, so building the
 * zip works the same on a teacher's Linux, macOS or Windows machine without a `zip` binary, and it
 * stores the Unix mode bits (run_autograder and setup.sh must stay executable) and fixed
 * timestamps (the same kit gives a byte-identical zip).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { zipSync, type Zippable } from 'fflate';
import { parseStageList } from '../class/discover.ts';
import { CONFIG_FILE, type GradescopeConfig } from '../class/gradescope.ts';
import { EXIT } from '../exit-codes.ts';
import { randomSeed } from '../rng.ts';
import { kitRoot } from '../runner/server.ts';
import { stages } from '../stages.ts';
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
  const setup = readFileSync(path.join(kit, 'templates', 'gradescope', 'setup.sh'), 'utf8').replaceAll('__NODE_VERSION__', process.versions.node);
  add('setup.sh', setup, EXEC_MODE);
  add('run_autograder', readFileSync(path.join(kit, 'templates', 'gradescope', 'run_autograder')), EXEC_MODE);
  add(CONFIG_FILE, JSON.stringify(config, null, 2) + '\n');
  mkdirSync(out, { recursive: true });
  const zip = path.join(out, 'autograder.zip');
  writeFileSync(zip, zipSync(entries, { level: 9 }));
  return { zip, files: Object.keys(entries).length, config };
}

export function gradescopeMain(argv: string[]): number {
  const fail = (msg: string): number => {
    process.stderr.write(`socklab: ${msg}\n`);
    return EXIT.usage;
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { hidden: { type: 'boolean' }, stages: { type: 'string' }, seed: { type: 'string' }, lang: { type: 'string' } },
    });
  } catch (err) {
    return fail(`${(err as Error).message} — usage: npm run gradescope -- OUT [--stages 1-3] [--hidden] [--seed N] [--lang zh-CN]`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return fail('usage: npm run gradescope -- OUT [--stages 1-3] [--hidden] [--seed N] [--lang zh-CN]');
  if (values.seed !== undefined && !/^\d{1,15}$/.test(values.seed)) return fail(`--seed takes a whole number, got '${values.seed}'`);
  if (values.lang !== undefined && !['en', 'zh-CN'].includes(values.lang)) return fail(`--lang takes en or zh-CN, got '${values.lang}'`);
  let numbers: number[];
  try {
    numbers = values.stages ? parseStageList(values.stages, stages.map((s) => s.number)) : stages.map((s) => s.number);
  } catch (err) {
    return fail((err as { text?: { en: string } }).text?.en ?? String(err));
  }
  const out = path.resolve(process.env.INIT_CWD ?? process.cwd(), positionals[0]!);
  if (existsSync(path.join(out, 'autograder.zip'))) return fail(`${path.join(positionals[0]!, 'autograder.zip')} already exists — remove it or choose another folder`);
  const config: GradescopeConfig = {
    classSeed: values.seed !== undefined ? Number(values.seed) : randomSeed(),
    stages: numbers,
    teacherOnlyVisibility: values.hidden ? 'hidden' : 'after_published',
    lang: (values.lang as 'en' | 'zh-CN' | undefined) ?? 'en',
  };
  const r = buildGradescopeZip(out, config);
  const hidden = stages.filter((s) => numbers.includes(s.number)).flatMap((s) => s.checks.filter((c) => c.teacherOnly).map((c) => c.id));
  process.stdout.write(
    [
      `socklab: wrote ${r.zip} (${r.files} files; stages ${numbers.join(', ')}; class seed ${config.classSeed})`,
      `  teacher-only checks ${hidden.join(', ') || '(none)'}: visibility ${config.teacherOnlyVisibility}`,
      '  Upload it under Configure Autograder → Zip file upload (base image: Ubuntu), then Update Autograder.',
      '',
    ].join('\n'),
  );
  return EXIT.passed;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = gradescopeMain(process.argv.slice(2));
