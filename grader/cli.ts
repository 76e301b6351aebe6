/**
 * `npm run grade [stage] [options]`: argument parsing, choosing what to run, printing, exit codes.
 * The grading itself lives in grade.ts; the words in report/.
 */
import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT } from './exit-codes.ts';
import { gradeStage, checksToRun, unstartableStage } from './engine.ts';
import { pickLang, say, t, type Lang, type Text } from './i18n.ts';
import { githubAnnotations, githubSummary } from './report/github.ts';
import { courseToJson, stageToJson } from './report/json.ts';
import { terminalWidth, wantColor } from './report/style.ts';
import { renderCheckLine, renderCourse, renderDetails, renderHeader, titleColumn, type TerminalOptions } from './report/terminal.ts';
import { randomSeed } from './rng.ts';
import { installCleanupHandlers } from './runner/processes.ts';
import { kitRoot, type ServerCommand } from './runner/server.ts';
import { findStage, stages } from './stages.ts';
import type { Stage, StageResult } from './types.ts';

const HELP = t(
  `Usage: npm run grade -- [stage] [options]

  npm run grade                 grade every stage and show your progress
  npm run grade 3               grade stage 3 (exercises/03-*/server.ts)
  npm run grade -- 3 --watch    re-grade stage 3 each time you save (Ctrl-C to stop)
  npm run hint 3                hints for stage 3, one at a time
  npm run grade -- 1 --json     flags go after "--" (npm keeps flags before it for itself)

Options:
  --watch             re-grade whenever a file in the exercise's folder changes; Enter re-grades now
  --cmd "<command>"   grade any program instead of the exercise file; {port} and {root} are
                      substituted, and env PORT and STATIC_DIR are always set
  --file <path>       grade this server file instead of exercises/NN-*/server.ts
  --solution          grade the model solution (not in the student edition)
  --seed <n>          reproduce the random inputs of an earlier run
  --check <ids>       run only these checks, e.g. --check 1.3,1.9
  --json              print one JSON document on stdout and nothing else
  --verbose           show every failure in full
  --lang <en|zh-CN>   language of messages (default: from LANG / LC_ALL)
  --format <f>        terminal (default), json, or github: a Markdown summary to
                      $GITHUB_STEP_SUMMARY and an annotation per failing check (Actions)
  --list              list the stages
  -h, --help          this help

Teachers (docs/teachers.md):
  --class <dir>       grade every student repo in <dir> (each subfolder is one repo)
  --roster <csv>      or the repos listed in a CSV: student id, repo path
  --stages <list>     stages to grade, e.g. 1-3 or 1,3 (default: all)
  --jobs <n>          students graded at once (default: the number of cores)
  --out <dir>         where gradebook.csv, results.json and report.html go (default: grades/<time>)
  --only <ids>        regrade only these students, e.g. --only alice,bob (updates --out)

Exit codes: 0 all passed, 1 some check failed, 2 bad command line, 3 the server did not start,
4 the machine is not ready (Node too old, dependencies missing), 130 interrupted.`,
  `用法：npm run grade -- [关卡] [选项]

  npm run grade                 评测所有关卡，显示你的进度
  npm run grade 3               评测第 3 关（exercises/03-*/server.ts）
  npm run grade -- 3 --watch    每次保存都重新评测第 3 关（按 Ctrl-C 退出）
  npm run hint 3                第 3 关的提示，一次一条
  npm run grade -- 1 --json     选项要写在 "--" 后面（"--" 之前的选项会被 npm 自己拿走）

选项：
  --watch             练习文件夹里有文件变化就重新评测；按回车立即重新评测
  --cmd "<命令>"      评测任意程序而不是练习文件；{port} 和 {root} 会被替换，
                      并且总会设置环境变量 PORT 和 STATIC_DIR
  --file <路径>       评测这个服务器文件，而不是 exercises/NN-*/server.ts
  --solution          评测参考答案（学生版没有）
  --seed <n>          复现之前某次运行的随机输入
  --check <编号>      只运行这些检查，例如 --check 1.3,1.9
  --json              在标准输出上只打印一个 JSON 文档
  --verbose           完整显示每一项失败
  --lang <en|zh-CN>   消息语言（默认根据 LANG / LC_ALL 决定）
  --format <格式>     terminal（默认）、json 或 github：把 Markdown 摘要写入
                      $GITHUB_STEP_SUMMARY，并为每项未通过的检查生成注释（Actions）
  --list              列出所有关卡
  -h, --help          显示本帮助

教师（docs/teachers.zh-CN.md）：
  --class <文件夹>    评测 <文件夹> 里的每个学生仓库（每个子文件夹是一个仓库）
  --roster <csv>      或者评测 CSV 中列出的仓库：学号, 仓库路径
  --stages <列表>     要评测的关卡，例如 1-3 或 1,3（默认全部）
  --jobs <n>          同时评测的学生数（默认等于 CPU 核数）
  --out <文件夹>      gradebook.csv、results.json 和 report.html 的输出位置（默认 grades/<时间>）
  --only <编号>       只重新评测这些学生，例如 --only alice,bob（更新 --out 中的结果）

退出码：0 全部通过，1 有检查未通过，2 命令行有误，3 服务器没能启动，
4 环境没准备好（Node 版本太旧、没有安装依赖），130 被中断。`,
);

export class UsageError extends Error {
  constructor(readonly text: ReturnType<typeof t>) {
    super(text.en);
  }
}

const options = {
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
  help: { type: 'boolean', short: 'h' },
} as const;

export type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true; strict: true }>>['values'];

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let lang: Lang = pickLang(undefined, env) ?? 'en';
  if (argv[0] === '--hint') return (await import('./hint.ts')).hintMain(argv.slice(1), env); // npm run hint
  if (argv[0] === '--site') return (await import('./site/replay.ts')).siteMain(argv.slice(1)); // npm run site
  try {
    const { values, positionals } = parseArgsOrUsage(argv);
    // `npm run grade 1 --json` (without "--") hands --json to npm, which exposes it as env.
    if (env.npm_config_json === 'true') values.json ??= true;
    if (env.npm_config_verbose === 'true') values.verbose ??= true;
    if (values.lang !== undefined) {
      const picked = pickLang(values.lang, env);
      if (!picked) throw new UsageError(t(`unknown language '${values.lang}' — use en or zh-CN`, `不支持的语言 '${values.lang}'——请用 en 或 zh-CN`));
      lang = picked;
    }
    if (values.help) {
      process.stdout.write(say(HELP, lang) + '\n');
      return EXIT.passed;
    }
    if (values.list) {
      const count = (s: Stage): number => s.checks.filter((c) => !c.teacherOnly).length;
      process.stdout.write(stages.map((s) => `${String(s.number).padStart(2)}  ${s.slug.padEnd(22)} ${say(s.title, lang)}  ${say(t(`(${count(s)} checks)`, `（${count(s)} 项检查）`), lang)}`).join('\n') + '\n');
      return EXIT.passed;
    }
    if (values.class !== undefined || values.roster !== undefined) return (await import('./class/cli.ts')).runClass(values, positionals, lang); // teacher mode
    const classOnly = (['stages', 'jobs', 'out', 'only'] as const).find((k) => values[k] !== undefined);
    if (classOnly) throw new UsageError(t(`--${classOnly} is for class grading: add --class DIR or --roster FILE`, `--${classOnly} 用于班级评测：请加上 --class DIR 或 --roster FILE`));
    if (values.format !== undefined && !['terminal', 'json', 'github'].includes(values.format)) {
      throw new UsageError(t(`--format takes terminal, json or github, got '${values.format}'`, `--format 只能是 terminal、json 或 github，收到的是 '${values.format}'`));
    }
    if (values.format === 'json') values.json = true;
    const github = values.format === 'github';
    if (positionals.length > 1) throw new UsageError(t(`expected at most one stage, got: ${positionals.join(' ')}`, `最多只能指定一关，收到了：${positionals.join(' ')}`));
    const seed = parseSeed(values.seed);
    const chosen = positionals.length ? [parseStage(positionals[0]!)] : stages;
    if ((values.cmd || values.file || values.check) && chosen.length !== 1) {
      const flag = values.cmd ? '--cmd' : values.file ? '--file' : '--check';
      throw new UsageError(t(`${flag} grades one stage: name it, e.g. npm run grade -- 1 ${flag} …`, `${flag} 只能用于单独一关：请指明关卡，例如 npm run grade -- 1 ${flag} …`));
    }
    // Grading one stage, a missing file is a command-line problem; grading the course, it is one
    // stage the learner cannot be graded on yet, and the others still deserve a result.
    const missing = new Map<Stage, Text>();
    const plans = chosen.flatMap((stage) => {
      try {
        return [{ stage, server: serverFor(stage, values) }];
      } catch (err) {
        if (!(err instanceof UsageError) || positionals.length > 0) throw err;
        missing.set(stage, err.text);
        return [{ stage, server: { command: { kind: 'file', file: '' } as ServerCommand } }];
      }
    });
    const only = values.check?.split(',').map((s) => s.trim()).filter(Boolean);
    if (only) {
      const known = new Set(checksToRun(chosen[0]!, {}).map((c) => c.id));
      const unknown = only.filter((id) => !known.has(id));
      if (unknown.length) throw new UsageError(t(`unknown check ${unknown.join(', ')} — stage ${chosen[0]!.number} has ${[...known].join(', ')}`, `没有检查项 ${unknown.join('、')}——第 ${chosen[0]!.number} 关有 ${[...known].join('、')}`));
    }

    if (values.watch) return await (await import('./watch.ts')).watchMain(positionals.length === 1 ? plans[0] : undefined, values, { seed, lang, only });
    installCleanupHandlers();
    const term: TerminalOptions = { lang, color: wantColor(), width: terminalWidth(), verbose: values.verbose };
    const single = plans.length === 1 && positionals.length === 1;
    // Grading the whole course takes a while: say how far it is, on a terminal only.
    const progress = !single && !values.json && !github && Boolean(process.stderr.isTTY);
    let done = 0;
    const showProgress = (): void => {
      if (progress) process.stderr.write(`\r\x1b[K${say(t(`grading ${plans.length} stages… ${done} done`, `正在评测 ${plans.length} 个关卡……已完成 ${done} 个`), lang)}`);
    };
    const gradeOne = async ({ stage, server }: (typeof plans)[number]): Promise<StageResult> => {
      const rerun = rerunCommand(stage, seed, values);
      const stageTerm: TerminalOptions = { ...term, runByHand: runByHand(stage, server.command, seed), rerun };
      const streaming = single && !values.json && !github;
      const width = titleColumn(checksToRun(stage, { only }).map((c) => c.title), lang);
      if (streaming) process.stdout.write(renderHeader(stage, seed, stageTerm));
      // Lines for checks that could not run wait: if the server never started, one message says so.
      const notRun: string[] = [];
      const gone = missing.get(stage);
      const result = gone ? unstartableStage(stage, seed, { kind: 'missing-file', text: gone, output: '' }) : await gradeStage(stage, {
        seed,
        server: server.command,
        cwd: process.cwd(),
        only,
        onCheck: streaming
          ? (r) => (r.failure?.kind === 'not-started' ? notRun.push(renderCheckLine(r, width, stageTerm)) : process.stdout.write(renderCheckLine(r, width, stageTerm)))
          : undefined,
      });
      if (streaming) process.stdout.write((result.startError ? '' : notRun.join('')) + renderDetails(result, stageTerm));
      done++;
      showProgress();
      return result;
    };
    // The stages of a course are independent (own server, own port, own document root), so they
    // are graded side by side: most of a stage's time is spent waiting on the wire, not computing.
    showProgress();
    const results = await Promise.all(plans.map(gradeOne));
    if (!single && !values.json && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    if (github) {
      // Annotations on stdout (the runner reads them there); the summary where Actions shows it.
      process.stdout.write(githubAnnotations(results, lang));
      const summary = githubSummary(results, seed, lang);
      if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, summary);
      else process.stdout.write(summary);
    } else if (values.json) {
      const doc = single ? stageToJson(results[0]!, lang) : courseToJson(results, seed, lang);
      process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    } else if (!single) {
      process.stdout.write(renderCourse(results, term));
    }
    if (results.some((r) => r.startError)) return EXIT.serverDidNotStart;
    return results.every((r) => r.passed) ? EXIT.passed : EXIT.failed;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`socklab: ${say(err.text, lang)}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}

function parseArgsOrUsage(argv: string[]): { values: Values; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(t(`${msg} (see npm run grade -- --help)`, `${msg}（参见 npm run grade -- --help）`));
  }
}

export function parseSeed(raw: string | undefined): number {
  if (raw === undefined) return randomSeed();
  if (!/^\d{1,15}$/.test(raw)) throw new UsageError(t(`--seed takes a whole number, got '${raw}'`, `--seed 需要一个整数，收到的是 '${raw}'`));
  return Number(raw);
}

export function parseStage(raw: string): Stage {
  const n = /^\d+$/.test(raw) ? Number(raw) : stages.find((s) => s.slug === raw || s.slug.slice(3) === raw)?.number;
  const stage = n === undefined ? undefined : findStage(n);
  if (!stage) {
    const range = `${stages[0]!.number}–${stages[stages.length - 1]!.number}`;
    throw new UsageError(t(`unknown stage '${raw}' — stages are ${range} (npm run grade -- --list)`, `没有第 '${raw}' 关——关卡编号是 ${range}（npm run grade -- --list）`));
  }
  return stage;
}

export function serverFor(stage: Stage, values: Values): { command: ServerCommand } {
  if (values.cmd) return { command: { kind: 'shell', command: values.cmd } };
  const rel = values.file ?? path.join(values.solution ? 'solutions' : 'exercises', stage.slug, 'server.ts');
  const file = path.resolve(values.file ? process.cwd() : kitRoot, rel);
  if (!existsSync(file)) {
    const shown = path.relative(process.cwd(), file) || file;
    throw new UsageError(
      values.solution
        ? t(`no model solution at ${shown} (the student edition has none)`, `${shown} 没有参考答案（学生版不包含参考答案）`)
        : values.file
          ? t(`file not found: ${shown}`, `找不到文件：${shown}`)
          : missingExercise(shown),
    );
  }
  return { command: { kind: 'file', file } };
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
const q = (x: string): string => (/^[\w./,:=@%+-]+$/.test(x) ? x : `'${x.replaceAll("'", `'\\''`)}'`);

/** The command that grades again with the same inputs: pasted into a shell, it must work as is. */
export function rerunCommand(stage: Stage, seed: number, values: Values): string {
  const flags = [
    values.cmd !== undefined ? ` --cmd ${q(values.cmd)}` : '',
    values.file !== undefined ? ` --file ${q(values.file)}` : '',
    values.solution ? ' --solution' : '',
    values.check !== undefined ? ` --check ${q(values.check)}` : '',
  ];
  return `npm run grade -- ${stage.number} --seed ${seed}${flags.join('')}`;
}

export function runByHand(stage: Stage, cmd: ServerCommand, seed?: number): string {
  // Stages that serve files were graded against a site generated from the seed: rebuild the same
  // one, so the paths in the reproduce command exist.
  const site = stage.site && seed !== undefined ? `"$(npm run -s site -- ${stage.number} --seed ${seed})"` : undefined;
  if (cmd.kind === 'shell') {
    const rootDir = site ?? 'static';
    return `PORT=9000 STATIC_DIR=${rootDir} ${cmd.command.replaceAll('{port}', '9000').replaceAll('{root}', rootDir)}`;
  }
  const rel = path.relative(process.cwd(), cmd.file) || cmd.file;
  return `${site ? `STATIC_DIR=${site} ` : ''}PORT=9000 npx tsx ${q(rel)}`;
}
