/**
 * `npm run grade [stage] [options]`: argument parsing, choosing what to run, printing, exit codes.
 * The grading itself lives in grade.ts; the words in report/.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT } from './exit-codes.ts';
import { gradeStage, checksToRun } from './grade.ts';
import { pickLang, say, t, type Lang } from './i18n.ts';
import { courseToJson, stageToJson } from './report/json.ts';
import { terminalWidth, wantColor } from './report/style.ts';
import { renderCheckLine, renderCourse, renderDetails, renderHeader, titleColumn, type TerminalOptions } from './report/terminal.ts';
import { randomSeed } from './rng.ts';
import { installCleanupHandlers } from './runner/processes.ts';
import { kitRoot, type ServerCommand } from './runner/server.ts';
import { findStage, stages } from './stages.ts';
import type { Stage, StageResult } from './types.ts';

const HELP = `Usage: npm run grade -- [stage] [options]

  npm run grade                 grade every stage and show your progress
  npm run grade 3               grade stage 3 (exercises/03-*/server.ts)
  npm run grade -- 1 --json     flags go after "--" (npm keeps flags before it for itself)

Options:
  --cmd "<command>"   grade any program instead of the exercise file; {port} and {root} are
                      substituted, and env PORT and STATIC_DIR are always set
  --file <path>       grade this server file instead of exercises/NN-*/server.ts
  --solution          grade the model solution (not in the student edition)
  --seed <n>          reproduce the random inputs of an earlier run
  --check <ids>       run only these checks, e.g. --check 1.3,1.9
  --json              print one JSON document on stdout and nothing else
  --verbose           show every failure in full
  --lang <en|zh-CN>   language of messages (default: from LANG / LC_ALL)
  --list              list the stages
  -h, --help          this help

Exit codes: 0 all passed, 1 some check failed, 2 bad command line, 3 the server did not start,
4 the machine is not ready (Node too old, dependencies missing), 130 interrupted.`;

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
  help: { type: 'boolean', short: 'h' },
} as const;

export type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true; strict: true }>>['values'];

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let lang: Lang = pickLang(undefined, env) ?? 'en';
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
      process.stdout.write(HELP + '\n');
      return EXIT.passed;
    }
    if (values.list) {
      process.stdout.write(stages.map((s) => `${String(s.number).padStart(2)}  ${s.slug.padEnd(22)} ${say(s.title, lang)}  (${s.checks.filter((c) => !c.teacherOnly).length} checks)`).join('\n') + '\n');
      return EXIT.passed;
    }
    if (positionals.length > 1) throw new UsageError(t(`expected at most one stage, got: ${positionals.join(' ')}`, `最多只能指定一关，收到了：${positionals.join(' ')}`));
    const seed = parseSeed(values.seed);
    const chosen = positionals.length ? [parseStage(positionals[0]!)] : stages;
    if ((values.cmd || values.file || values.check) && chosen.length !== 1) {
      const flag = values.cmd ? '--cmd' : values.file ? '--file' : '--check';
      throw new UsageError(t(`${flag} grades one stage: name it, e.g. npm run grade -- 1 ${flag} …`, `${flag} 只能用于单独一关：请指明关卡，例如 npm run grade -- 1 ${flag} …`));
    }
    const plans = chosen.map((stage) => ({ stage, server: serverFor(stage, values) }));
    const only = values.check?.split(',').map((s) => s.trim()).filter(Boolean);
    if (only) {
      const known = new Set(checksToRun(chosen[0]!, {}).map((c) => c.id));
      const unknown = only.filter((id) => !known.has(id));
      if (unknown.length) throw new UsageError(t(`unknown check ${unknown.join(', ')} — stage ${chosen[0]!.number} has ${[...known].join(', ')}`, `没有检查项 ${unknown.join('、')}——第 ${chosen[0]!.number} 关有 ${[...known].join('、')}`));
    }

    installCleanupHandlers();
    const term: TerminalOptions = { lang, color: wantColor(), width: terminalWidth(), verbose: values.verbose };
    const results: StageResult[] = [];
    const single = plans.length === 1 && positionals.length === 1;
    for (const { stage, server } of plans) {
      const rerun = `npm run grade -- ${stage.number} --seed ${seed}${values.cmd ? ` --cmd '${values.cmd}'` : ''}${values.file ? ` --file ${values.file}` : ''}`;
      const stageTerm: TerminalOptions = { ...term, runByHand: runByHand(stage, server.command), rerun };
      const streaming = single && !values.json;
      const width = titleColumn(checksToRun(stage, { only }).map((c) => c.title), lang);
      if (streaming) process.stdout.write(renderHeader(stage, seed, stageTerm));
      const result = await gradeStage(stage, {
        seed,
        server: server.command,
        cwd: process.cwd(),
        only,
        onCheck: streaming ? (r) => process.stdout.write(renderCheckLine(r, width, stageTerm)) : undefined,
      });
      results.push(result);
      if (streaming) process.stdout.write(renderDetails(result, stageTerm));
    }
    if (values.json) {
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
          : t(
              `${shown} is missing — was it renamed or moved? Restore it with: git checkout -- ${shown}`,
              `${shown} 不见了——是不是被改名或移动了？可以这样恢复：git checkout -- ${shown}`,
            ),
    );
  }
  return { command: { kind: 'file', file } };
}

export function runByHand(stage: Stage, cmd: ServerCommand): string {
  if (cmd.kind === 'shell') return `PORT=9000 STATIC_DIR=static ${cmd.command.replaceAll('{port}', '9000').replaceAll('{root}', 'static')}`;
  const rel = path.relative(process.cwd(), cmd.file) || cmd.file;
  return `PORT=9000 npx tsx ${rel}`;
}
