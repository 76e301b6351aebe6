/**
 * What class grading produces: plain, serialisable data that the CSV, JSON, HTML and Gradescope
 * reports read. A student's result is the engine's `StageResult`s plus what the class runner adds
 * around them: the seed it derived, the limits it enforced, and a status a teacher can sort by.
 * It lives beside types.ts, not in class/, because reports read it and must not import class/.
 */
import type { Text } from './i18n.ts';
import type { StageResult } from './types.ts';

/**
 * ok: graded normally · did-not-start: one of the student's servers never started, or its exercise
 * file is missing (the student's side: those stages score 0) · error: the grader could not grade
 * (repo not found, not a socklab repo, the grader itself failed — not the student's fault) ·
 * timeout: a time limit cut grading short.
 */
export type StudentStatus = 'ok' | 'did-not-start' | 'error' | 'timeout';

/** The status of a graded student; the grader's own failure outranks a time limit, which outranks a server that did not start. */
export function studentStatus(x: { stages: readonly ClassStageResult[]; timedOut: boolean; repoProblem: boolean }): StudentStatus {
  if (x.repoProblem || x.stages.some((s) => s.checks.some((c) => c.failure?.kind === 'grader-error'))) return 'error';
  if (x.timedOut) return 'timeout';
  if (x.stages.some((s) => s.startError)) return 'did-not-start';
  return 'ok';
}

export interface ClassStageResult extends StageResult {
  /** Set when a time limit stopped this stage: the checks that had finished keep their points. */
  cut?: { limit: 'stage' | 'student'; ms: number };
}

export interface StudentResult {
  id: string;
  /** The repo folder as found (absolute). */
  repo: string;
  /** Derived from the class seed and the id: `npm run grade -- N --seed SEED` in the student's repo reproduces the inputs. */
  seed: number;
  status: StudentStatus;
  /** Why the status is not ok, one line each. */
  problems: Text[];
  stages: ClassStageResult[];
  score: number;
  maxScore: number;
  durationMs: number;
  /** The roster's other columns for this student (email, lms_id, section, …), by the roster's header names. */
  info?: Record<string, string>;
  /** Stages whose server file is the kit's skeleton, byte for byte (line endings aside): not started. */
  untouched?: number[];
}

export interface SandboxInfo {
  /** How student servers were confined. */
  kind: 'bubblewrap' | 'none';
  /** Said in the report header: what the sandbox did, or why there was none. */
  note: Text;
  /** The memory limit per server, when one could be enforced. */
  memoryLimitBytes?: number;
  /** Which defences were in force (the note says the same in words). */
  defences?: {
    /** The disk: only the system, the student's repo and the stage's test files, read-only. */
    filesystem: boolean;
    /** Every process a server starts ends with it (its own pid namespace). */
    pidNamespace: boolean;
    /** private: each server alone with its grader on a loopback of their own. */
    network: 'private' | 'shared';
    /** Size of the server's private /tmp; absent: not bounded (or not private). */
    tmpBytes?: number;
    processLimit?: { count: number; via: 'cgroup' | 'rlimit' };
    /** Servers see only PATH, locale, time zone, PORT, STATIC_DIR, TMPDIR and HOME. */
    envAllowlist: boolean;
  };
}

export interface ClassLimits {
  /** Per stage of one student; checks that finished before it keep their points. */
  stageMs: number;
  /** All stages of one student together. */
  studentMs: number;
  /** Per server process (RLIMIT_DATA): allocations beyond it fail and the server crashes. */
  memoryBytes: number;
  /** How long a server may take to start listening. */
  listenMs: number;
}

export interface StageInfo {
  number: number;
  slug: string;
  title: Text;
  maxScore: number;
  checks: { id: string; title: Text; points: number; teacherOnly: boolean }[];
}

export interface ClassResult {
  classSeed: number;
  startedAt: string;
  durationMs: number;
  jobs: number;
  limits: ClassLimits;
  sandbox: SandboxInfo;
  stages: StageInfo[];
  students: StudentResult[];
  /** The roster's columns beyond student id and repo, in its order (absent when there were none). */
  rosterColumns?: string[];
  /** Set when this is one part of a class graded in shards (`--shard i/n`); `--merge` joins the parts. */
  shard?: ShardInfo;
  /** Set while the run is still going (results.json is saved after every student): `--resume` finishes it. */
  unfinished?: boolean;
}

export interface ShardInfo {
  /** 1-based: this is part `index` of `count`. */
  index: number;
  count: number;
  /** Students in the whole roster, and a digest of their ids in roster order: the parts of one class agree on both. */
  rosterSize: number;
  rosterDigest: string;
}
