/**
 * How a stage folder becomes a `Stage`. A folder `grader/stages/NN-slug/` holds `index.ts`, whose
 * default export is `defineStage(import.meta.url, { title, checks, hints, site })` — the number and
 * slug come from the folder's name — and, optionally, `teacher.ts`, whose `checks` run only in
 * class mode and on Gradescope. The student edition leaves `teacher.ts` out; nothing else changes.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Check, Stage } from './types.ts';

export type StageDefinition = Omit<Stage, 'number' | 'slug'>;

export function defineStage(moduleUrl: string, def: StageDefinition): Stage {
  const slug = path.basename(path.dirname(fileURLToPath(moduleUrl)));
  const m = /^(\d+)-[a-z0-9-]+$/.exec(slug);
  if (!m) throw new Error(`a stage folder is named NN-slug, not ${slug}`);
  return { number: Number(m[1]), slug, ...def };
}

/** The folder of a stage's sources. */
export const stageDir = (slug: string): string => fileURLToPath(new URL(`./stages/${slug}/`, import.meta.url));

/** Adds each stage's teacher-only checks, where its `teacher.ts` is present, marked as such. */
export async function withTeacherChecks(stages: readonly Stage[]): Promise<Stage[]> {
  return Promise.all(
    stages.map(async (stage) => {
      const file = path.join(stageDir(stage.slug), 'teacher.ts');
      if (!existsSync(file)) return stage;
      const mod = (await import(pathToFileURL(file).href)) as { checks: Check[] };
      return { ...stage, checks: [...stage.checks, ...mod.checks.map((c) => ({ ...c, teacherOnly: true }))] };
    }),
  );
}
