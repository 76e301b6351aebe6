/**
 * Where things are in the kit. The grader finds the kit from its own location, so it works from any
 * working directory. Paths below are relative to a kit — this one, or a learner's repo, which is laid
 * out the same — and use forward slashes, as messages show them; `inKit` makes one absolute.
 *
 * Not under grader/kit/: the student edition leaves that folder out, and everything needs this.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lang } from './i18n.ts';

/** The kit's folder (holding exercises/, grader/, package.json). */
export const kitRoot = fileURLToPath(new URL('../', import.meta.url));

/** The server file a learner writes for a stage. */
export const exerciseFile = (slug: string): string => `exercises/${slug}/server.ts`;

/** The model answer for a stage (absent in the student edition). */
export const solutionFile = (slug: string): string => `solutions/${slug}/server.ts`;

/** A stage's README in the reader's language. */
export const readmeFile = (slug: string, lang: Lang): string => `exercises/${slug}/README${lang === 'en' ? '' : `.${lang}`}.md`;

/** Written at the kit's root by `npm run gradescope`, read by the autograder. */
export const gradescopeConfigFile = 'socklab-gradescope.json';

/** A path relative to the kit, made absolute. */
export const inKit = (rel: string, kit = kitRoot): string => path.join(kit, rel);
