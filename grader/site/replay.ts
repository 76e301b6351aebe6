/**
 * `npm run -s site -- <stage> --seed <n> [folder]`: rebuilds the document root of a grading run, to
 * replay a failure by hand. Prints the folder to use as STATIC_DIR:
 *   STATIC_DIR="$(npm run -s site -- 3 --seed 123456)" PORT=9000 npx tsx exercises/03-routing/server.ts
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { EXIT } from '../exit-codes.ts';
import type { SitePlan } from '../plan.ts';
import { buildSite, siteRng } from './site.ts';

export async function siteMain(plan: SitePlan): Promise<number> {
  const { stage, seed } = plan;
  const dir = path.resolve(process.env.INIT_CWD ?? process.cwd(), plan.dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.stdout.write((await buildSite(dir, siteRng(seed, stage.slug), stage.site!)) + '\n');
  return EXIT.passed;
}
