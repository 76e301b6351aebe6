/** Messages between the class runner and its grading workers (over the IPC channel, as JSON). */
import type { CheckResult, StageResult } from '../types.ts';
import type { WrapSpec } from './sandbox.ts';

export interface StageJob {
  stage: number;
  /** The student's server file (absolute, inside their repo). */
  file: string;
  /** The student's repo: the server's working directory. */
  repo: string;
  seed: number;
  includeTeacherOnly: boolean;
  listenTimeoutMs: number;
  /** Environment for the server (on top of the worker's scrubbed environment). */
  env: Record<string, string>;
  wrap: WrapSpec;
}

export type ToWorker = { type: 'grade'; job: StageJob };

export type FromWorker =
  /** `pid`: the worker's own (it may run behind bubblewrap, which is what the runner started). */
  | { type: 'ready'; pid: number }
  | { type: 'check'; result: CheckResult }
  | { type: 'done'; result: StageResult }
  | { type: 'failed'; message: string };
