/**
 * One lane of the class runner's pool: a long-lived worker process that grades stages one at a
 * time. A stage that runs past its time limit is stopped by killing the worker and every server it
 * started; the lane then starts a fresh worker for the next job. Starting a worker costs a few
 * hundred milliseconds of CPU (node + tsx + the grader), so workers are reused rather than started
 * per student.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { track, untrack } from '../runner/processes.ts';
import { TEST_TAG } from '../runner/server.ts';
import type { CheckResult, StageResult } from '../types.ts';
import type { FromWorker, StageJob } from './protocol.ts';
import { allowedEnv, sweepCgroups, type NetnsPrefix, type WrapSpec } from './sandbox.ts';
import { JOB_TAG, sweep } from './sweep.ts';

const tsxLoader = import.meta.resolve('tsx');
const workerFile = new URL('./worker.ts', import.meta.url);

/** How long a new worker may take to load the grader; generous, since the machine may be busy. */
const WORKER_READY_MS = 60_000;

export type LaneOutcome =
  | { kind: 'done'; result: StageResult }
  | { kind: 'timeout'; checks: CheckResult[] }
  | { kind: 'failed'; checks: CheckResult[]; message: string };

/**
 * The environment a worker gets, which is what its servers start from: the allowlist (PATH, locale,
 * time zone) and nothing else of the teacher's — no tokens, no SOCKLAB_* internals. The one
 * exception is the test suite's process tag, so its leak checks find every process.
 */
export function scrubbedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = allowedEnv();
  if (process.env[TEST_TAG] !== undefined) env[TEST_TAG] = process.env[TEST_TAG]!;
  return { ...env, ...extra };
}

export class Lane {
  private child: ChildProcess | undefined;
  private ready: Promise<boolean> | undefined;
  private tmp: string | undefined;
  private stderr = '';
  private listener: ((msg: FromWorker) => void) | undefined;
  private seq = 0;
  /** The worker's own pid (behind bubblewrap it is not the child we started). */
  private workerPid: number | undefined;
  private spec: WrapSpec | undefined;

  constructor(
    readonly index: number,
    private readonly opts: { baseTmp: string; runId: string; env: Record<string, string>; netns?: NetnsPrefix },
  ) {}

  /** The env tag every server of this lane's current job carries (see sweep.ts). */
  tagFor(seq: number): string {
    return `${this.opts.runId}:${this.index}:${seq}`;
  }

  private spawn(): Promise<boolean> {
    this.tmp = mkdtempSync(path.join(this.opts.baseTmp, `lane${this.index}-`));
    this.stderr = '';
    // Behind the netns prefix the worker and its servers share a loopback nobody else can reach.
    const argv = [...(this.opts.netns ?? []), process.execPath, '--import', tsxLoader, fileURLToPath(workerFile)];
    const child = spawn(argv[0]!, argv.slice(1), {
      env: scrubbedEnv({ ...this.opts.env, TMPDIR: this.tmp, NODE_NO_WARNINGS: '1' }),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // A group of its own, tracked like a server: on Ctrl-C (or SIGTERM) the grader kills the
      // worker and all it started, and waits for them, before it exits.
      detached: true,
    });
    if (child.pid !== undefined) {
      const pid = child.pid;
      track(pid);
      child.once('exit', () => untrack(pid));
    }
    this.workerPid = undefined;
    this.child = child;
    child.stderr?.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-4000);
    });
    child.on('message', (msg: FromWorker) => this.listener?.(msg));
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), WORKER_READY_MS);
      const onMsg = (msg: FromWorker): void => {
        if (msg.type !== 'ready') return;
        this.workerPid = msg.pid;
        clearTimeout(timer);
        child.off('message', onMsg);
        resolve(true);
      };
      child.on('message', onMsg);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  }

  /** Grades one stage within `timeoutMs`; never takes much longer than that, whatever the server does. */
  async run(job: Omit<StageJob, 'env'> & { env: Record<string, string> }, timeoutMs: number, onCheck?: (r: CheckResult) => void): Promise<LaneOutcome> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) this.ready = this.spawn();
    const ok = await this.ready!;
    const child = this.child!;
    if (!ok) {
      const message = `the grading worker did not start: ${this.stderr.trim().split('\n').slice(-3).join(' ') || 'no output'}`;
      await this.kill();
      return { kind: 'failed', checks: [], message };
    }
    const seq = ++this.seq;
    const tag = this.tagFor(seq);
    const checks: CheckResult[] = [];
    const outcome = await new Promise<LaneOutcome>((resolve) => {
      // The clock starts now: time spent starting the worker is ours, not the student's.
      const timer = setTimeout(() => resolve({ kind: 'timeout', checks }), timeoutMs);
      const onExit = (code: number | null, signal: string | null): void => {
        clearTimeout(timer);
        resolve({ kind: 'failed', checks, message: `the grading worker exited (${signal ?? `code ${code}`}): ${this.stderr.trim().split('\n').slice(-3).join(' ')}` });
      };
      child.once('exit', onExit);
      this.listener = (msg) => {
        if (msg.type === 'check') {
          checks.push(msg.result);
          onCheck?.(msg.result);
        } else if (msg.type === 'done' || msg.type === 'failed') {
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve(msg.type === 'done' ? { kind: 'done', result: msg.result } : { kind: 'failed', checks, message: msg.message });
        }
      };
      // Outside a pid namespace, a tag in the environment is how the sweep finds a server's process
      // that left its group; inside one, nothing escapes, and the server sees no SOCKLAB_* at all.
      const env = job.wrap.bwrap ? job.env : { ...job.env, [JOB_TAG]: tag };
      this.spec = job.wrap;
      child.send({ type: 'grade', job: { ...job, env } });
    });
    this.listener = undefined;
    if (outcome.kind !== 'done') await this.kill();
    return outcome;
  }

  /** Stops the worker and everything it started; bounded. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.ready = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // The worker's handler kills its server groups at once, then exits.
      try {
        process.kill(this.workerPid ?? child.pid!, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      await Promise.race([exited, sleep(1500, undefined, { ref: false })]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await Promise.race([exited, sleep(1000, undefined, { ref: false })]);
      }
    }
    await sweep(`${this.opts.runId}:${this.index}:`);
    const limit = this.spec?.processLimit;
    if (limit?.via === 'cgroup' && this.workerPid !== undefined) sweepCgroups(limit.cgroupRoot, this.workerPid);
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
    this.tmp = undefined;
  }

  async close(): Promise<void> {
    await this.kill();
  }
}
