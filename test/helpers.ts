/**
 * Helpers for the project's own tests: grade a file or a command in-process, and prove that no
 * process started for that grading is still running afterwards.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { gradeStage, type GradeOptions } from '../grader/engine.ts';
import * as layout from '../grader/layout.ts';
import type { ServerCommand } from '../grader/runner/server.ts';
import { findStage } from '../grader/stages.ts';
import type { StageResult } from '../grader/types.ts';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export const solutionFile = (slug: string): string => layout.inKit(layout.solutionFile(slug), repoRoot);
export const exerciseFile = (slug: string): string => layout.inKit(layout.exerciseFile(slug), repoRoot);
export const fixtureFile = (slug: string, name: string): string => path.join(repoRoot, 'test', 'fixtures', slug, name);

let counter = 0;

/** A tag unique to this test run, worker and call; servers started with it in env can be found. */
export function newTag(): string {
  return `${process.env.SOCKLAB_TEST_RUN ?? 'adhoc'}-${process.pid}-${++counter}`;
}

/** Pids of live processes whose environment carries this tag (every server we start gets it). */
export function processesTagged(tag: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue; // exited, awaiting reaping
      if (readFileSync(`/proc/${name}/environ`, 'utf8').includes(`SOCKLAB_TEST_TAG=${tag}\0`)) out.push(Number(name));
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return out;
}

/**
 * Grades one stage against a server (a file path, or a ServerCommand) and asserts that nothing it
 * started is left running.
 */
export async function grade(
  stageNumber: number,
  server: string | ServerCommand,
  seed = 1,
  extra: Partial<GradeOptions> = {},
): Promise<StageResult> {
  const stage = findStage(stageNumber);
  if (!stage) throw new Error(`no stage ${stageNumber}`);
  const tag = newTag();
  const result = await gradeStage(stage, {
    seed,
    server: typeof server === 'string' ? { kind: 'file', file: server } : server,
    cwd: repoRoot,
    ...extra,
    env: { ...extra.env, SOCKLAB_TEST_TAG: tag },
  });
  expect(processesTagged(tag), 'processes left running after grading').toEqual([]);
  return result;
}

/** The ids of the checks that failed, for compact assertions. */
export const failedIds = (r: StageResult): string[] => r.checks.filter((c) => !c.passed).map((c) => c.id);

/** A readable dump of failures, used as assertion messages so a red test explains itself. */
export function explainFailures(r: StageResult): string {
  if (r.startError) return `did not start: ${r.startError.text.en}\n${r.startError.output}`;
  return r.checks
    .filter((c) => !c.passed)
    .map((c) => `${c.id} ${c.title.en}: ${c.failure?.summary.en}`)
    .join('\n');
}

/**
 * What a broken fixture declares it must trip, read from the comment lines it starts with:
 *
 *   // catches: 4.4 closed-early        the check it must fail, and the failure kind
 *   // says: read can end anywhere       a regular expression (JavaScript syntax, no slashes,
 *                                        case-sensitive) that the failure's English text — summary,
 *                                        expected, hint or caret note — must match
 *   // says-zh: 9123                     optional: the same for the Chinese text
 *
 * In a block comment the lines read ` * catches: …`. Two other forms of `catches`:
 * `start never-listened` — the server must not even start, with that start-error kind (`says` is
 * matched against the start error); `nothing` — not a bug of the stage but a tool of another test,
 * which must pass every check (it takes no `says`).
 */
export type FixtureHeader = {
  catches: { check: string; kind: string } | { start: string } | 'nothing';
  says?: RegExp;
  saysZh?: RegExp;
};

export function fixtureHeader(source: string, name = 'this fixture'): FixtureHeader {
  const header: string[] = [];
  for (const line of source.split('\n')) {
    if (!/^\s*(\/\/|\/\*|\*)/.test(line)) break;
    header.push(line);
  }
  const values = (key: string): string[] =>
    header.flatMap((line) => {
      const m = new RegExp(`^\\s*(?://|\\*)\\s*${key}:\\s*(.*?)\\s*$`).exec(line);
      return m ? [m[1]!] : [];
    });
  const how = 'its first comment lines must say which check it trips and how, e.g. "// catches: 4.4 closed-early" and "// says: read can end anywhere" (see test/helpers.ts)';
  const one = (key: string): string | undefined => {
    const found = values(key);
    if (found.length > 1) throw new Error(`${name} has ${found.length} "${key}:" lines in its header; ${how}`);
    return found[0];
  };
  const regex = (key: string): RegExp | undefined => {
    const text = one(key);
    if (text === undefined) return undefined;
    if (text === '') throw new Error(`${name} has an empty "${key}:" line; ${how}`);
    try {
      return new RegExp(text);
    } catch (err) {
      throw new Error(`${name}: "${key}: ${text}" is not a regular expression (${(err as Error).message})`);
    }
  };
  const catches = one('catches');
  if (catches === undefined) throw new Error(`${name} has no "catches:" line in its header; ${how}`);
  const says = regex('says');
  const saysZh = regex('says-zh');
  if (catches === 'nothing') {
    if (says || saysZh) throw new Error(`${name} catches nothing, so it cannot say anything; drop its "says:" line`);
    return { catches };
  }
  // "4.13 reset|closed-early": where the kernel's state decides between two kinds of the same failure.
  const m = /^(start|\d+\.\d+) ([a-z-]+(?:\|[a-z-]+)*)$/.exec(catches);
  if (!m) throw new Error(`${name}: "catches: ${catches}" is not "<check id> <failure kind>", "start <start-error kind>" or "nothing"; ${how}`);
  if (!says) throw new Error(`${name} has no "says:" line: declare words its failure message must contain; ${how}`);
  return { catches: m[1] === 'start' ? { start: m[2]! } : { check: m[1]!, kind: m[2]! }, says, saysZh };
}

/** Whether a command is installed (tests of real third-party servers skip, visibly, without it). */
export function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
