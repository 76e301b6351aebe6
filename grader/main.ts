/**
 * What bin.mjs runs: turns the command line into a plan and hands it to the one entry point that
 * carries it out. The only module that imports entry points, and only the one it needs: `--list`,
 * `--help` and `npm run hint` load neither the engine nor the reports nor the class runner.
 */
import { pickLang } from './i18n.ts';
import { planFromArgs, reportUsageError, UsageError, type Plan } from './plan.ts';

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let plan: Plan;
  try {
    plan = planFromArgs(argv, env);
  } catch (err) {
    if (err instanceof UsageError) return reportUsageError(err, pickLang(undefined, env) ?? 'en');
    throw err;
  }
  switch (plan.mode) {
    case 'grade':
      return (await import('./cli.ts')).gradeMain(plan, env);
    case 'help':
    case 'list':
      return (await import('./help.ts')).infoMain(plan);
    case 'watch':
      return (await import('./watch.ts')).watchMain(plan);
    case 'class':
      return (await import('./class/cli.ts')).runClass(plan);
    case 'hint':
    case 'hint-usage':
      return (await import('./hint.ts')).hintMain(plan);
    case 'site':
      return (await import('./site/replay.ts')).siteMain(plan);
  }
}
