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

/** Whether a command is installed (tests of real third-party servers skip, visibly, without it). */
export function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
