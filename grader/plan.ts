/**
 * What a command line asks for. Every entry point — grade, watch, hint, site, class, and the kit
 * builders — gets its plan from here and only carries it out: all usage errors are found before
 * anything starts, and no entry point imports another (main.ts routes a plan to the one it needs).
 * Also here: what a plan looks like as commands a learner can paste (re-run, run by hand).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseStageList } from './class/discover.ts';
import type { ClassLimits } from './results.ts';
import { EXIT } from './exit-codes.ts';
import { LANGS, pickLang, same, say, t, type Lang, type Text } from './i18n.ts';
import { GRADEBOOK_FORMATS, type GradebookFormat } from './report/csv.ts';
import { exerciseFile, kitRoot, readmeFile, solutionFile } from './layout.ts';
import { randomSeed } from './rng.ts';
import type { ServerCommand } from './runner/server.ts';
import { findStage, stages } from './stages.ts';
import { runFileByHand, trackOf, type Track } from './track.ts';
import type { Stage } from './types.ts';

/** A command line that cannot be carried out: one line on stderr, exit code 2. */
export class UsageError extends Error {
  /** The language the message is shown in: the one asked for, once --lang has been read. */
  lang?: Lang;
  constructor(
    readonly text: Text,
    /** Printed as it is, without the "socklab: " in front (usage lines). */
    readonly bare = false,
  ) {
    super(text.en);
  }
}

export type OutputFormat = 'terminal' | 'json' | 'github';

/** One stage to grade and the server to grade it against. */
export interface Target {
  stage: Stage;
  server: ServerCommand;
  track: Track;
  /** Grading the whole course, this stage's exercise file is missing: it fails without starting. */
  missing?: Text;
}

/** The flags that choose the server and the checks, as typed: a re-run repeats them. */
export interface TargetFlags {
  cmd?: string;
  file?: string;
  solution?: boolean;
  check?: string;
}

export interface GradePlan {
  mode: 'grade';
  lang: Lang;
  seed: number;
  targets: Target[];
  /** One stage was named: its checks are shown as they finish. Otherwise the whole course. */
  single: boolean;
  only?: string[];
  format: OutputFormat;
  verbose: boolean;
  flags: TargetFlags;
}

export interface WatchPlan {
  mode: 'watch';
  lang: Lang;
  seed: number;
  target: Target & { server: Extract<ServerCommand, { kind: 'file' }> };
  only?: string[];
  verbose: boolean;
  flags: TargetFlags;
}

export interface ClassPlan {
  mode: 'class';
  lang: Lang;
  /** --class DIR or --roster FILE, as typed; or --merge OUT1 OUT2 … (the folders of shard runs). */
  source: { flag: 'class' | 'roster'; path: string } | { flag: 'merge'; paths: string[] };
  /** The gradebook files to write (--gradebook plain,canvas,moodle; default plain). */
  gradebooks: GradebookFormat[];
  /** The rest as typed; class/cli.ts checks them against the class it finds. */
  stages?: string;
  jobs?: string;
  out?: string;
  only?: string;
  seed?: string;
  /** --shard i/n: grade part i of n of the roster. */
  shard?: string;
  /** --resume: grade the students an interrupted run (results.json in --out) did not get to. */
  resume?: boolean;
}

export interface HintPlan {
  mode: 'hint';
  lang: Lang;
  track: Track;
  stage: Stage;
  /** The hint to show first (1-based). */
  first: number;
  /** A hint number was given: show that one only. */
  numbered: boolean;
  all: boolean;
}

export interface SitePlan {
  mode: 'site';
  stage: Stage;
  seed: number;
  /** The folder to build the site in, as typed (relative to where the command was typed). */
  dir: string;
}

/** `npm run grade -- --help` and `--list`. */
export type InfoPlan = { mode: 'help'; lang: Lang } | { mode: 'list'; lang: Lang };

/** `npm run hint` with --help (asked), or without a stage. */
export interface HintUsagePlan {
  mode: 'hint-usage';
  lang: Lang;
  asked: boolean;
}

export type Plan = GradePlan | WatchPlan | ClassPlan | HintPlan | HintUsagePlan | SitePlan | InfoPlan;

const gradeOptions = {
  cmd: { type: 'string' },
  file: { type: 'string' },
  solution: { type: 'boolean' },
  seed: { type: 'string' },
  check: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  lang: { type: 'string' },
  list: { type: 'boolean' },
  watch: { type: 'boolean' },
  format: { type: 'string' },
  class: { type: 'string' },
  roster: { type: 'string' },
  stages: { type: 'string' },
  jobs: { type: 'string' },
  out: { type: 'string' },
  only: { type: 'string' },
  gradebook: { type: 'string', multiple: true },
  shard: { type: 'string' },
  merge: { type: 'boolean' },
  resume: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const hintOptions = {
  all: { type: 'boolean' },
  lang: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Options of the single-learner mode that mean nothing for a class. */
const NOT_FOR_CLASS = ['cmd', 'file', 'solution', 'check', 'json', 'format', 'watch'] as const;

/**
 * The plan for `node grader/bin.mjs ARGS`: `npm run grade`, or `npm run hint` / `npm run site`
 * (which put --hint / --site first). Throws a UsageError.
 */
export function planFromArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Plan {
  if (argv[0] === '--hint') return hintPlan(argv.slice(1), env);
  if (argv[0] === '--site') return sitePlan(argv.slice(1));
  return gradePlan(argv, env);
}

function gradePlan(argv: string[], env: NodeJS.ProcessEnv): Plan {
  let lang: Lang = pickLang(undefined, env) ?? 'en';
  try {
    const { values, positionals } = strictArgs(() => parseArgs({ args: withNegativeValues(argv), options: gradeOptions, allowPositionals: true, strict: true }), 'npm run grade');
    // `npm run grade 1 --json` (without "--") hands --json to npm, which exposes it as env.
    if (env.npm_config_json === 'true') values.json ??= true;
    if (env.npm_config_verbose === 'true') values.verbose ??= true;
    lang = langFlag(values.lang, env) ?? lang;
    if (values.help) return { mode: 'help', lang };
    if (values.list) return { mode: 'list', lang };
    if (values.merge) {
      if (values.class !== undefined || values.roster !== undefined) {
        throw new UsageError(t('--merge joins graded shards: give it their --out folders, without --class or --roster', '--merge 用于合并已评测的分片：请给出各分片的 --out 文件夹，不要同时用 --class 或 --roster'));
      }
      const stray = ([...NOT_FOR_CLASS, 'stages', 'jobs', 'only', 'seed', 'shard', 'resume'] as const).find((k) => values[k] !== undefined && values[k] !== false);
      if (stray) throw new UsageError(t(`--${stray} does not apply to --merge`, `--${stray} 不能与 --merge 一起使用`));
      if (positionals.length === 0) {
        throw new UsageError(t('--merge needs the folders the shards wrote, e.g. npm run grade -- --merge shard-1 shard-2 shard-3 --out grades/all', '--merge 需要各分片写出的文件夹，例如 npm run grade -- --merge shard-1 shard-2 shard-3 --out grades/all'));
      }
      return { mode: 'class', lang, source: { flag: 'merge', paths: positionals }, gradebooks: gradebookFlag(values.gradebook), out: values.out };
    }
    if (values.class !== undefined || values.roster !== undefined) {
      if (values.class !== undefined && values.roster !== undefined) {
        throw new UsageError(t('use either --class DIR or --roster FILE, not both', '--class DIR 和 --roster FILE 只能用一个'));
      }
      for (const k of NOT_FOR_CLASS) {
        if (values[k] !== undefined && values[k] !== false) throw new UsageError(t(`--${k} does not apply to class grading`, `--${k} 不能用于班级评测`));
      }
      if (positionals.length) {
        throw new UsageError(t(`class grading takes no stage argument — use --stages ${positionals.join(',')}`, `班级评测不接受关卡参数——请用 --stages ${positionals.join(',')}`));
      }
      if (values.shard !== undefined && values.seed === undefined) {
        throw new UsageError(t('--shard needs --seed N: every shard must grade with the same class seed (e.g. --seed 2026)', '--shard 需要 --seed N：每个分片都必须用同一个班级种子评测（例如 --seed 2026）'));
      }
      if (values.resume && values.only !== undefined) {
        throw new UsageError(t('--resume grades everyone an interrupted run did not get to; --only names students itself — use one of them', '--resume 会评测被中断的评测没评到的所有人；--only 则自己指定学生——二者选一'));
      }
      if (values.resume && values.out === undefined) {
        throw new UsageError(t('--resume needs the --out folder of the run to finish', '--resume 需要给出要接着完成的那次评测的 --out 文件夹'));
      }
      if (values.shard !== undefined && values.only !== undefined) {
        throw new UsageError(t('--only regrades students in a whole run\'s --out folder; it does not combine with --shard', '--only 用于在整班评测的 --out 文件夹里重评部分学生，不能与 --shard 一起使用'));
      }
      const source = values.class !== undefined ? { flag: 'class' as const, path: values.class } : { flag: 'roster' as const, path: values.roster! };
      return {
        mode: 'class',
        lang,
        source,
        gradebooks: gradebookFlag(values.gradebook),
        stages: values.stages,
        jobs: values.jobs,
        out: values.out,
        only: values.only,
        seed: values.seed,
        shard: values.shard,
        resume: values.resume,
      };
    }
    const classOnly = (['stages', 'jobs', 'out', 'only', 'gradebook', 'shard', 'resume'] as const).find((k) => values[k] !== undefined);
    if (classOnly) throw new UsageError(t(`--${classOnly} is for class grading: add --class DIR or --roster FILE`, `--${classOnly} 用于班级评测：请加上 --class DIR 或 --roster FILE`));
    if (values.format !== undefined && !['terminal', 'json', 'github'].includes(values.format)) {
      throw new UsageError(t(`--format takes terminal, json or github, got '${values.format}'`, `--format 只能是 terminal、json 或 github，收到的是 '${values.format}'`));
    }
    const json = values.json === true || values.format === 'json';
    if (positionals.length > 1) throw new UsageError(t(`expected at most one stage, got: ${positionals.join(' ')}`, `最多只能指定一关，收到了：${positionals.join(' ')}`));
    const seed = parseSeed(values.seed);
    const single = positionals.length === 1;
    const chosen = single ? [parseStage(positionals[0]!)] : stages;
    if ((values.cmd || values.file || values.check) && chosen.length !== 1) {
      const flag = values.cmd ? '--cmd' : values.file ? '--file' : '--check';
      throw new UsageError(t(`${flag} grades one stage: name it, e.g. npm run grade -- 1 ${flag} …`, `${flag} 只能用于单独一关：请指明关卡，例如 npm run grade -- 1 ${flag} …`));
    }
    const flags: TargetFlags = { cmd: values.cmd, file: values.file, solution: values.solution, check: values.check };
    // Grading one stage, a missing file is a command-line problem; grading the course, it is one
    // stage the learner cannot be graded on yet, and the others still deserve a result.
    const targets = chosen.map((stage): Target => {
      try {
        const server = serverFor(stage, flags);
        return { stage, server, track: trackOf(server) };
      } catch (err) {
        if (!(err instanceof UsageError) || single) throw err;
        return { stage, server: { kind: 'file', file: '' }, track: 'typescript', missing: err.text };
      }
    });
    const only = values.check?.split(',').map((s) => s.trim()).filter(Boolean);
    if (only) {
      // The checks a learner can run (the engine's checksToRun without teacher-only ones), written
      // out here so that parsing a command line does not load the engine.
      const known = new Set(chosen[0]!.checks.filter((c) => !c.teacherOnly).map((c) => c.id));
      const unknown = only.filter((id) => !known.has(id));
      if (unknown.length) throw new UsageError(t(`unknown check ${unknown.join(', ')} — stage ${chosen[0]!.number} has ${[...known].join(', ')}`, `没有检查项 ${unknown.join('、')}——第 ${chosen[0]!.number} 关有 ${[...known].join('、')}`));
    }
    const verbose = values.verbose === true;
    if (values.watch) {
      const target = single ? targets[0]! : undefined;
      if (!target) throw new UsageError(t('--watch follows one stage: name it, e.g. npm run grade -- 1 --watch', '--watch 只能跟踪一关：请指明关卡，例如 npm run grade -- 1 --watch'));
      if (json) throw new UsageError(t('--watch prints for people; for one JSON document leave out --watch', '--watch 的输出是给人看的；要得到 JSON 文档请去掉 --watch'));
      const { server } = target;
      if (server.kind !== 'file') {
        throw new UsageError(t('--watch follows a file: use it with the exercise, --file or --solution, not --cmd', '--watch 跟踪的是文件：请配合练习文件、--file 或 --solution 使用，不能配合 --cmd'));
      }
      return { mode: 'watch', lang, seed, target: { ...target, server }, only, verbose, flags };
    }
    // --format github wins over --json: Actions reads annotations, not a JSON document.
    const format: OutputFormat = values.format === 'github' ? 'github' : json ? 'json' : 'terminal';
    return { mode: 'grade', lang, seed, targets, single, only, format, verbose, flags };
  } catch (err) {
    throw inLang(err, lang);
  }
}

function hintPlan(argv: string[], env: NodeJS.ProcessEnv): Plan {
  let lang: Lang = pickLang(undefined, env) ?? 'en';
  try {
    const { values, positionals } = strictArgs(() => parseArgs({ args: argv, options: hintOptions, allowPositionals: true, strict: true }), 'npm run hint');
    lang = langFlag(values.lang, env) ?? lang;
    if (values.help || positionals.length === 0) return { mode: 'hint-usage', lang, asked: values.help === true };
    if (positionals.length > 2) throw new UsageError(t(`expected a stage and at most one hint number, got: ${positionals.join(' ')}`, `只需要关卡编号和（可选的）提示编号，收到的是：${positionals.join(' ')}`));
    const stage = parseStage(positionals[0]!);
    const total = stage.hints?.length ?? 0;
    if (total === 0) {
      throw new UsageError(t(`stage ${stage.number} has no hints yet — read ${readmeFile(stage.slug, 'en')}`, `第 ${stage.number} 关还没有提示——请阅读 ${readmeFile(stage.slug, 'zh-CN')}`));
    }
    let first = 1;
    if (positionals[1] !== undefined) {
      first = Number(positionals[1]);
      if (!Number.isInteger(first) || first < 1 || first > total) {
        throw new UsageError(t(`stage ${stage.number} has hints 1–${total}, not '${positionals[1]}'`, `第 ${stage.number} 关的提示编号是 1–${total}，没有 '${positionals[1]}'`));
      }
    }
    // Nothing on the hint command line says which language the learner writes in: the kit's own.
    return { mode: 'hint', lang, track: 'typescript', stage, first, numbered: positionals[1] !== undefined, all: values.all === true };
  } catch (err) {
    throw inLang(err, lang);
  }
}

/** `npm run -s site -- <stage> --seed <n> [folder]`: a developer's tool, so English and terse. */
function sitePlan(argv: string[]): SitePlan {
  const [stageArg, flag, seedArg, dir] = argv;
  if (!stageArg || flag !== '--seed' || !seedArg || !/^\d+$/.test(stageArg) || !/^\d{1,15}$/.test(seedArg)) {
    throw new UsageError(same('usage: npm run -s site -- <stage> --seed <seed> [folder]'), true);
  }
  const stage = findStage(Number(stageArg));
  if (!stage?.site) throw new UsageError(same(`stage ${stageArg} serves no files`));
  return { mode: 'site', stage, seed: Number(seedArg), dir: dir ?? path.join(os.tmpdir(), `socklab-site-${stageArg}-${seedArg}`) };
}

/** What `npm run gradescope` writes into the autograder zip, and run_autograder grades by. */
export interface GradescopeConfig {
  classSeed: number;
  stages: number[];
  teacherOnlyVisibility: 'after_published' | 'hidden';
  lang: Lang;
  limits?: Partial<ClassLimits>;
}

const GRADESCOPE_USAGE = `usage: npm run gradescope -- OUT [--stages 1-3] [--hidden] [--seed N] [--lang ${LANGS.join('|')}]`;

/** `npm run gradescope -- OUT [...]` (a teacher's tool, English only). */
export function gradescopePlan(argv: string[]): { out: string; config: GradescopeConfig } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { hidden: { type: 'boolean' }, stages: { type: 'string' }, seed: { type: 'string' }, lang: { type: 'string' } },
    });
  } catch (err) {
    throw new UsageError(same(`${(err as Error).message} — ${GRADESCOPE_USAGE}`));
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(same(GRADESCOPE_USAGE));
  if (values.seed !== undefined && seedProblem(values.seed)) throw new UsageError(same(seedProblem(values.seed)!.en));
  if (values.lang !== undefined && !(LANGS as readonly string[]).includes(values.lang)) throw new UsageError(same(`--lang takes ${LANGS.join(', ')}, got '${values.lang}'`));
  let numbers: number[];
  try {
    numbers = values.stages ? parseStageList(values.stages, stages.map((s) => s.number)) : stages.map((s) => s.number);
  } catch (err) {
    throw new UsageError(same((err as { text?: { en: string } }).text?.en ?? String(err)));
  }
  return {
    out: positionals[0]!,
    config: {
      classSeed: values.seed !== undefined ? Number(values.seed) : randomSeed(),
      stages: numbers,
      teacherOnlyVisibility: values.hidden ? 'hidden' : 'after_published',
      lang: (values.lang as Lang | undefined) ?? 'en',
    },
  };
}

const STUDENT_EDITION_USAGE = 'usage: npm run kit:student -- OUT [--allow-dirty]   (OUT: a new folder for the student edition)';

/**
 * `npm run kit:student -- OUT [--allow-dirty]`. The edition is always built from the last commit;
 * --allow-dirty only says the teacher knows exercises/ differs from it (and wants that left out).
 */
export function studentEditionPlan(argv: string[]): { out: string; allowDirty: boolean } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { 'allow-dirty': { type: 'boolean' } } });
  } catch {
    throw new UsageError(same(STUDENT_EDITION_USAGE), true);
  }
  const [out, ...rest] = parsed.positionals;
  if (!out || rest.length) throw new UsageError(same(STUDENT_EDITION_USAGE), true);
  return { out, allowDirty: parsed.values['allow-dirty'] === true };
}

/** Runs node's parseArgs; what it refuses becomes a usage error pointing at --help. */
function strictArgs<R>(parse: () => R, command: string): R {
  try {
    return parse();
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(t(`${msg} (see ${command} -- --help)`, `${msg}（参见 ${command} -- --help）`));
  }
}

/** `--gradebook canvas,moodle` (repeatable): the formats asked for, each once; plain when none. */
function gradebookFlag(raw: string[] | undefined): GradebookFormat[] {
  const asked = (raw ?? []).flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase()).filter(Boolean);
  const unknown = asked.find((v) => !(GRADEBOOK_FORMATS as readonly string[]).includes(v));
  if (unknown !== undefined) {
    throw new UsageError(t(`--gradebook takes ${GRADEBOOK_FORMATS.join(', ')} (a comma list, or the flag repeated), got '${unknown}'`, `--gradebook 可以是 ${GRADEBOOK_FORMATS.join('、')}（用逗号分隔，或重复这个选项），收到的是 '${unknown}'`));
  }
  return asked.length ? GRADEBOOK_FORMATS.filter((f) => asked.includes(f)) : ['plain'];
}

function langFlag(raw: string | undefined, env: NodeJS.ProcessEnv): Lang | undefined {
  if (raw === undefined) return undefined;
  const picked = pickLang(raw, env);
  if (!picked) throw new UsageError(t(`unknown language '${raw}' — use ${LANGS.join(', ').replace(/, (?=[^,]*$)/, ' or ')}`, `不支持的语言 '${raw}'——请用 ${LANGS.join('、')}`));
  return picked;
}

/** Says what was wrong with the command line, on stderr; returns the exit code for it. */
export function reportUsageError(err: UsageError, lang: Lang): number {
  const text = say(err.text, err.lang ?? lang);
  process.stderr.write(err.bare ? `${text}\n` : `socklab: ${text}\n`);
  return EXIT.usage;
}

/** A usage error is shown in the language known when it happened. */
function inLang(err: unknown, lang: Lang): unknown {
  if (err instanceof UsageError) err.lang ??= lang;
  return err;
}

/**
 * `--seed -5` reads, to node's parseArgs, as a flag with its value missing ("argument is
 * ambiguous"). A number, even a negative one, is a value: join it to its flag, so the option's own
 * check can say what it takes.
 */
function withNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (/^--[a-z]+$/.test(argv[i]!) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}

/** The largest seed: 15 digits, so every seed is exact as a JavaScript number (and in JSON). */
const MAX_SEED = 999_999_999_999_999;

/** Why a --seed value is refused, or undefined when it is a seed. */
export function seedProblem(raw: string): Text | undefined {
  if (/^\d{1,15}$/.test(raw)) return undefined;
  const why = /^\d{16,}$/.test(raw) ? t(' (that is more than 15 digits)', '（超过了 15 位）') : t('', '');
  return t(
    `--seed takes a whole number from 0 to ${MAX_SEED}, got '${raw}'${why.en}`,
    `--seed 需要 0 到 ${MAX_SEED} 之间的整数，收到的是 '${raw}'${why.zh}`,
  );
}

function parseSeed(raw: string | undefined): number {
  if (raw === undefined) return randomSeed();
  const problem = seedProblem(raw);
  if (problem) throw new UsageError(problem);
  return Number(raw);
}

/** A stage by number (`3`), slug (`03-routing`) or slug without its number (`routing`). */
function parseStage(raw: string): Stage {
  const n = /^\d+$/.test(raw) ? Number(raw) : stages.find((s) => s.slug === raw || s.slug.slice(3) === raw)?.number;
  const stage = n === undefined ? undefined : findStage(n);
  if (!stage) {
    const range = `${stages[0]!.number}–${stages[stages.length - 1]!.number}`;
    throw new UsageError(t(`unknown stage '${raw}' — stages are ${range} (npm run grade -- --list)`, `没有第 '${raw}' 关——关卡编号是 ${range}（npm run grade -- --list）`));
  }
  return stage;
}

function serverFor(stage: Stage, flags: TargetFlags): ServerCommand {
  if (flags.cmd) return { kind: 'shell', command: flags.cmd };
  const rel = flags.file ?? (flags.solution ? solutionFile(stage.slug) : exerciseFile(stage.slug));
  const file = path.resolve(flags.file ? process.cwd() : kitRoot, rel);
  const shown = path.relative(process.cwd(), file) || file;
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new UsageError(t(`${shown} is a folder, not a file — give the server's .ts file`, `${shown} 是一个文件夹，不是文件——请给出服务器的 .ts 文件`));
  }
  if (!existsSync(file)) {
    throw new UsageError(
      flags.solution
        ? t(`no model solution at ${shown} (the student edition has none)`, `${shown} 没有参考答案（学生版不包含参考答案）`)
        : flags.file
          ? t(`file not found: ${shown}`, `找不到文件：${shown}`)
          : missingExercise(shown),
    );
  }
  return { kind: 'file', file };
}

/** The exercise file is gone: say where it might have gone, and how to get it back. */
function missingExercise(shown: string): Text {
  const dir = path.dirname(path.resolve(shown));
  const others = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(m?[jt]s|cjs|cts|mts)$/i.test(f)) : [];
  if (others.length > 0) {
    const found = others.map((f) => path.join(path.dirname(shown), f)).join(', ');
    return t(
      `${shown} is missing, but ${found} is there — the grader always runs server.ts, so rename it back (or grade it with --file ${path.join(path.dirname(shown), others[0]!)})`,
      `${shown} 不见了，但有 ${found}——评测器只运行 server.ts，请把它改回这个名字（或者用 --file ${path.join(path.dirname(shown), others[0]!)} 评测它）`,
    );
  }
  return t(
    `${shown} is missing — was it renamed, moved or deleted? Get the original back with: git checkout -- ${shown}`,
    `${shown} 不见了——是不是被改名、移动或删除了？可以这样取回原始文件：git checkout -- ${shown}`,
  );
}

/** Quotes a word for sh, only when it needs it. */
export const shellWord = (x: string): string => (/^[\w./,:=@%+-]+$/.test(x) ? x : `'${x.replaceAll("'", `'\\''`)}'`);

/** The command that grades again with the same inputs: pasted into a shell, it must work as is. */
export function rerunCommand(stage: Stage, seed: number, flags: TargetFlags): string {
  const extra = [
    flags.cmd !== undefined ? ` --cmd ${shellWord(flags.cmd)}` : '',
    flags.file !== undefined ? ` --file ${shellWord(flags.file)}` : '',
    flags.solution ? ' --solution' : '',
    flags.check !== undefined ? ` --check ${shellWord(flags.check)}` : '',
  ];
  return `npm run grade -- ${stage.number} --seed ${seed}${extra.join('')}`;
}

/** How to start the graded server by hand on port 9000: the "terminal 1" line of "Try it". */
export function runByHand(target: Pick<Target, 'stage' | 'server' | 'track'>, seed?: number): string {
  const { stage, server, track } = target;
  // Stages that serve files were graded against a site generated from the seed: rebuild the same
  // one, so the paths in the reproduce command exist.
  const site = stage.site && seed !== undefined ? `"$(npm run -s site -- ${stage.number} --seed ${seed})"` : undefined;
  if (server.kind === 'shell') {
    const rootDir = site ?? 'static';
    return `PORT=9000 STATIC_DIR=${rootDir} ${server.command.replaceAll('{port}', '9000').replaceAll('{root}', rootDir)}`;
  }
  const rel = path.relative(process.cwd(), server.file) || server.file;
  return `${site ? `STATIC_DIR=${site} ` : ''}PORT=9000 ${runFileByHand(shellWord(rel), track)}`;
}
