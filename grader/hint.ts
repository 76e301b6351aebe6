/**
 * `npm run hint 3`: the hints of a stage, one at a time, gentlest first (they live in stages.ts).
 *
 *   npm run hint 3          hint 1; on a terminal, Enter shows the next one (Ctrl-C stops)
 *   npm run hint 3 2        hint 2 only, and the command for hint 3 — works anywhere (no terminal
 *                           needed: editors' consoles, scripts, CI logs)
 *   npm run hint -- 3 --all every hint at once
 *
 * Each hint gives a little more away, so showing one and making the next a deliberate step keeps
 * the learner thinking; the numbered form means nothing needs to be remembered between runs.
 */
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { parseStage, UsageError } from './cli.ts';
import { EXIT } from './exit-codes.ts';
import { pickLang, say, t, type Lang, type Text } from './i18n.ts';
import { colors, terminalWidth, wantColor, wrap } from './report/style.ts';
import { stages } from './stages.ts';
import type { Stage } from './types.ts';

export interface HintStyle {
  lang: Lang;
  color: boolean;
  width: number;
}

/** Hint `n` (1-based) of a stage, headed "hint n of N" and wrapped to the terminal. */
export function renderHint(stage: Stage, n: number, style: HintStyle): string {
  const c = colors(style.color);
  const hints = stage.hints ?? [];
  const head = say(
    t(`Stage ${stage.number} · ${stage.title.en} — hint ${n} of ${hints.length}`, `第 ${stage.number} 关 · ${stage.title.zh}——提示 ${n}/${hints.length}`),
    style.lang,
  );
  const body = wrap(say(hints[n - 1]!, style.lang), style.width - 2).map((l) => '  ' + l);
  return `${c.bold(c.yellow(head))}\n${body.join('\n')}\n`;
}

/** What to do after hint `n`: the next command, or that this was the last one. */
export function afterHint(stage: Stage, n: number): Text {
  const total = stage.hints?.length ?? 0;
  if (n >= total) {
    return t(
      `That was the last hint for stage ${stage.number}. Still stuck? Re-read "The contract" in exercises/${stage.slug}/README.md, and run the failing check's "Try it" commands by hand.`,
      `这是第 ${stage.number} 关的最后一条提示。还是卡住了？重读 exercises/${stage.slug}/README.zh-CN.md 里的「约定」一节，再亲手运行失败检查下面「动手试试」里的命令。`,
    );
  }
  return t(`Next hint: npm run hint ${stage.number} ${n + 1}`, `下一条提示：npm run hint ${stage.number} ${n + 1}`);
}

const options = {
  all: { type: 'boolean' },
  lang: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const USAGE = t(
  `Usage: npm run hint <stage> [n]      e.g. npm run hint 1, npm run hint 1 2, npm run hint -- 1 --all
Stages: ${stages.map((s) => `${s.number} ${s.title.en}`).join(' · ')}`,
  `用法：npm run hint <关卡> [第几条]      例如 npm run hint 1、npm run hint 1 2、npm run hint -- 1 --all
关卡：${stages.map((s) => `${s.number} ${s.title.zh}`).join(' · ')}`,
);

export async function hintMain(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let lang: Lang = pickLang(undefined, env) ?? 'en';
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    } catch (err) {
      const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
      throw new UsageError(t(`${msg} (see npm run hint -- --help)`, `${msg}（参见 npm run hint -- --help）`));
    }
    const { values, positionals } = parsed;
    if (values.lang !== undefined) {
      const picked = pickLang(values.lang, env);
      if (!picked) throw new UsageError(t(`unknown language '${values.lang}' — use en or zh-CN`, `不支持的语言 '${values.lang}'——请用 en 或 zh-CN`));
      lang = picked;
    }
    if (values.help || positionals.length === 0) {
      (values.help ? process.stdout : process.stderr).write(say(USAGE, lang) + '\n');
      return values.help ? EXIT.passed : EXIT.usage;
    }
    if (positionals.length > 2) throw new UsageError(t(`expected a stage and at most one hint number, got: ${positionals.join(' ')}`, `只需要关卡编号和（可选的）提示编号，收到的是：${positionals.join(' ')}`));
    const stage = parseStage(positionals[0]!);
    const hints = stage.hints ?? [];
    if (hints.length === 0) {
      throw new UsageError(t(`stage ${stage.number} has no hints yet — read exercises/${stage.slug}/README.md`, `第 ${stage.number} 关还没有提示——请阅读 exercises/${stage.slug}/README.zh-CN.md`));
    }
    let first = 1;
    if (positionals[1] !== undefined) {
      first = Number(positionals[1]);
      if (!Number.isInteger(first) || first < 1 || first > hints.length) {
        throw new UsageError(t(`stage ${stage.number} has hints 1–${hints.length}, not '${positionals[1]}'`, `第 ${stage.number} 关的提示编号是 1–${hints.length}，没有 '${positionals[1]}'`));
      }
    }
    const style: HintStyle = { lang, color: wantColor(), width: terminalWidth() };
    const c = colors(style.color);
    if (values.all) {
      process.stdout.write(hints.map((_, i) => renderHint(stage, i + 1, style)).join('\n'));
      return EXIT.passed;
    }
    const interactive = positionals[1] === undefined && Boolean(process.stdin.isTTY && process.stdout.isTTY);
    process.stdout.write(renderHint(stage, first, style));
    if (!interactive || first === hints.length) {
      process.stdout.write('\n' + c.dim(say(afterHint(stage, first), lang)) + '\n');
      return EXIT.passed;
    }
    // Line mode, not raw mode: Ctrl-C stays an ordinary SIGINT and the terminal needs no restoring.
    const rl = createInterface({ input: process.stdin });
    try {
      for (let n = first + 1; n <= hints.length; n++) {
        process.stdout.write(
          '\n' + c.dim(say(t(`Enter: hint ${n} of ${hints.length} · Ctrl-C: stop here`, `回车：看第 ${n}/${hints.length} 条提示 · Ctrl-C：到此为止`), lang)) + ' ',
        );
        const [line] = (await Promise.race([once(rl, 'line'), once(rl, 'close').then(() => [null])])) as [string | null];
        if (line === null || /^\s*q/i.test(line)) return EXIT.passed;
        process.stdout.write('\n' + renderHint(stage, n, style));
      }
      process.stdout.write('\n' + c.dim(say(afterHint(stage, hints.length), lang)) + '\n');
    } finally {
      rl.close();
    }
    return EXIT.passed;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`socklab: ${say(err.text, lang)}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}
