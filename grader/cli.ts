/**
 * `npm run grade [stage] [options]`: carries out a grading plan (plan.ts) — grades, prints as the
 * plan's format says, and turns the results into the exit code. The grading itself lives in
 * engine.ts; the words in report/.
 */
import { appendFileSync } from 'node:fs';
import { EXIT } from './exit-codes.ts';
import { gradeStage, checksToRun, unstartableStage } from './engine.ts';
import { say, t } from './i18n.ts';
import { rerunCommand, runByHand, type GradePlan, type Target } from './plan.ts';
import { githubAnnotations, githubSummary } from './report/github.ts';
import { courseToJson, stageToJson } from './report/json.ts';
import { terminalWidth, wantColor } from './report/style.ts';
import { renderCheckLine, renderCourse, renderDetails, renderHeader, titleColumn, type TerminalOptions } from './report/terminal.ts';
import { installCleanupHandlers } from './runner/processes.ts';
import type { StageResult } from './types.ts';

/** Grades as planned, prints as the plan's format says, and says how it went in the exit code. */
export async function gradeMain(plan: GradePlan, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { lang, seed, targets, single, only, format } = plan;
  installCleanupHandlers();
  const term: TerminalOptions = { lang, color: wantColor(), width: terminalWidth(), verbose: plan.verbose };
  // Grading the whole course takes a while: say how far it is, on a terminal only.
  const progress = !single && format === 'terminal' && Boolean(process.stderr.isTTY);
  let done = 0;
  const showProgress = (): void => {
    if (progress) process.stderr.write(`\r\x1b[K${say(t(`grading ${targets.length} stages… ${done} done`, `正在评测 ${targets.length} 个关卡……已完成 ${done} 个`), lang)}`);
  };
  const gradeOne = async (target: Target): Promise<StageResult> => {
    const { stage } = target;
    const stageTerm: TerminalOptions = { ...term, runByHand: runByHand(target, seed), rerun: rerunCommand(stage, seed, plan.flags) };
    const streaming = single && format === 'terminal';
    const width = titleColumn(checksToRun(stage, { only }).map((c) => c.title), lang);
    if (streaming) process.stdout.write(renderHeader(stage, seed, stageTerm));
    // Lines for checks that could not run wait: if the server never started, one message says so.
    const notRun: string[] = [];
    const result = target.missing ? unstartableStage(stage, seed, { kind: 'missing-file', text: target.missing, output: '' }) : await gradeStage(stage, {
      seed,
      server: target.server,
      track: target.track,
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
  const results = await Promise.all(targets.map(gradeOne));
  if (!single && format !== 'json' && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  if (format === 'github') {
    // Annotations on stdout (the runner reads them there); the summary where Actions shows it.
    process.stdout.write(githubAnnotations(results, lang));
    const summary = githubSummary(results, seed, lang);
    if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, summary);
    else process.stdout.write(summary);
  } else if (format === 'json') {
    const doc = single ? stageToJson(results[0]!, lang) : courseToJson(results, seed, lang);
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else if (!single) {
    process.stdout.write(renderCourse(results, term));
  }
  if (results.some((r) => r.startError)) return EXIT.serverDidNotStart;
  return results.every((r) => r.passed) ? EXIT.passed : EXIT.failed;
}
