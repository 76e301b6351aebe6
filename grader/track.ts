/**
 * The learner's track: the language their server is written in, as far as the grader's words are
 * concerned. A hint that says "handle the socket's 'error' event" or a "Try it" line that says
 * `npx tsx server.ts` is TypeScript advice; someone grading a Python server with --cmd needs other
 * words. Checks say what they know per track; the engine resolves it for the server it grades.
 *
 * Today: 'typescript' for a server file (run with node and tsx), 'any' for a --cmd (any program).
 * A new track is a new key here plus the texts that differ for it; checks that say nothing
 * track-specific need no change, and a track without its own text gets the TypeScript one.
 */
import type { Text } from './i18n.ts';
import type { ServerCommand } from './runner/server.ts';

export type Track = 'typescript' | 'any';

/** Something that differs per track: the TypeScript form always, others where they differ. */
export interface PerTrack<T> {
  typescript: T;
  any?: T;
}

/** A learner-facing text (a hint): the same for every track, or one per track. */
export type TrackText = Text | PerTrack<Text>;

/** The track of the server being graded. */
export function trackOf(server: ServerCommand): Track {
  return server.kind === 'file' ? 'typescript' : 'any';
}

function isPerTrack<T extends object>(x: T | PerTrack<T>): x is PerTrack<T> {
  return 'typescript' in x;
}

/** The text for this track: its own, else the TypeScript one (what every learner saw before tracks). */
export function forTrack(x: TrackText, track: Track): Text {
  return isPerTrack(x) ? (x[track] ?? x.typescript) : x;
}

/** Every form of a text, for tests that check each one (both languages present, and so on). */
export function allForms(x: TrackText): Text[] {
  return isPerTrack(x) ? [x.typescript, ...(x.any ? [x.any] : [])] : [x];
}

/** How a learner of each track starts a server file by hand (its "terminal 1" line of "Try it"). */
const RUN_FILE_BY_HAND: PerTrack<(file: string) => string> = {
  typescript: (file) => `npx tsx ${file}`,
};

/** The command that starts this server file by hand; `file` is already quoted for sh. */
export function runFileByHand(file: string, track: Track): string {
  return (RUN_FILE_BY_HAND[track] ?? RUN_FILE_BY_HAND.typescript)(file);
}
