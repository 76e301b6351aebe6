/**
 * `npm run -s site -- <stage> --seed <n> [folder]`: rebuilds the document root of a grading run, to
 * replay a failure by hand. Prints the folder to use as STATIC_DIR:
 *   STATIC_DIR="$(npm run -s site -- 3 --seed 123456)" PORT=9000 npx tsx exercises/03-routing/server.ts
 */
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT } from '../exit-codes.ts';
import { findStage } from '../stages.ts';
import { buildSite, siteRng } from './site.ts';

export async function siteMain(argv: string[]): Promise<number> {
  const [stageArg, flag, seedArg, dirArg] = argv;
  if (!stageArg || flag !== '--seed' || !seedArg || !/^\d+$/.test(stageArg) || !/^\d{1,15}$/.test(seedArg)) {
    process.stderr.write('usage: npm run -s site -- <stage> --seed <seed> [folder]\n');
    return EXIT.usage;
  }
  const stage = findStage(Number(stageArg));
  if (!stage?.site) {
    process.stderr.write(`socklab: stage ${stageArg} serves no files\n`);
    return EXIT.usage;
  }
  const dir = path.resolve(process.env.INIT_CWD ?? process.cwd(), dirArg ?? path.join(os.tmpdir(), `socklab-site-${stageArg}-${seedArg}`));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.stdout.write((await buildSite(dir, siteRng(Number(seedArg), stage.slug), stage.site)) + '\n');
  return EXIT.passed;
}
