/**
 * The engine: prepare a document root, start the server, run each check within its bound, restart
 * the server if a check crashed it, tear everything down. Returns plain results; never prints.
 */
import { setMaxListeners } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckFailure, summarizeWire, toFailure } from './failure.ts';
import { join, t, type Text } from './i18n.ts';
import { createRng } from './rng.ts';
import { buildSite, siteRng } from './site/site.ts';
import { trackTempDir, untrackTempDir } from './runner/processes.ts';
import { RunningServer, ServerStartError, startServer, type ServerCommand } from './runner/server.ts';
import { trackOf, type Track } from './track.ts';
import type { Check, CheckContext, CheckResult, Failure, Stage, StageResult } from './types.ts';
import { Conn, formatMs, WireError } from './wire/conn.ts';
import { kindOf } from './expect/kinds.ts';

export interface GradeOptions {
  seed: number;
  server: ServerCommand;
  /** Whose words hints are given in (default: from the server, a file is TypeScript). */
  track?: Track;
  /** Working directory of the server (the kit or the student's repo). */
  cwd?: string;
  /** Run teacher-only checks too (class mode, Gradescope). */
  includeTeacherOnly?: boolean;
  /** Run only these check ids. */
  only?: readonly string[];
  listenTimeoutMs?: number;
  /** Extra environment for the server. */
  env?: Record<string, string>;
  /** Wrap the server's argv (sandboxing). */
  wrap?: (argv: string[]) => string[];
  /** Called as each check finishes (progress displays). */
  onCheck?: (result: CheckResult) => void;
}

class TimeBoundExceeded extends Error {}

export function checksToRun(stage: Stage, opts: Pick<GradeOptions, 'includeTeacherOnly' | 'only'>): Check[] {
  return stage.checks.filter((c) => (opts.includeTeacherOnly || !c.teacherOnly) && (!opts.only || opts.only.includes(c.id)));
}

export async function gradeStage(stage: Stage, opts: GradeOptions): Promise<StageResult> {
  const started = Date.now();
  const checks = checksToRun(stage, opts);
  const track = opts.track ?? trackOf(opts.server);
  const tempDir = await mkdtemp(path.join(os.tmpdir(), `socklab-${stage.slug}-`));
  trackTempDir(tempDir);
  // What the server serves: the temp folder itself, or the site's root inside it.
  let root = tempDir;
  const results: CheckResult[] = [];
  let server: RunningServer | undefined;
  let startError: StageResult['startError'];
  let startMs = 0;
  const start = async (): Promise<RunningServer | undefined> => {
    try {
      const s = await startServer(opts.server, {
        root,
        cwd: opts.cwd,
        env: opts.env,
        listenTimeoutMs: opts.listenTimeoutMs,
        wrap: opts.wrap,
      });
      return s;
    } catch (err) {
      if (!(err instanceof ServerStartError)) throw err;
      startError = { kind: err.kind, text: err.text, output: err.output };
      return undefined;
    }
  };
  try {
    if (stage.site) root = await buildSite(tempDir, siteRng(opts.seed, stage.slug), stage.site);
    server = await start();
    startMs = server?.startedInMs ?? 0;
    let reproducedCrashes = 0;
    for (const check of checks) {
      let restarted = false;
      if (server && !server.alive) {
        await server.stop();
        server = await start();
        restarted = true;
      }
      let result = server ? await runCheck(check, server, root, opts.seed, track) : notStarted(check, startError!);
      if (server && result.failure?.kind === 'crashed' && reproducedCrashes < 3) {
        // A server may die from what the previous check did last (its client leaving), just as
        // this check begins. Run a crashed check once more on a fresh server: a crash that this
        // check causes happens again, and one it merely witnessed is blamed where it belongs.
        await server.stop();
        server = await start();
        result = server ? await runCheck(check, server, root, opts.seed, track) : notStarted(check, startError!);
        // A server that crashes again and again crashes on its own (at start-up, or on every
        // connection): after a few, re-running would only double what it costs.
        if (result.failure?.kind === 'crashed') reproducedCrashes++;
      }
      if (restarted && !result.passed && result.failure) {
        result.failure.summary = join([result.failure.summary, t('(the server was restarted after an earlier crash)', '（服务器在之前崩溃后已被重启）')]);
      }
      results.push(result);
      opts.onCheck?.(result);
    }
  } finally {
    await server?.stop();
    await rm(tempDir, { recursive: true, force: true });
    untrackTempDir(tempDir);
  }
  const score = results.reduce((sum, r) => sum + r.points, 0);
  const maxScore = results.reduce((sum, r) => sum + r.maxPoints, 0);
  return {
    stage: stage.number,
    slug: stage.slug,
    title: stage.title,
    seed: opts.seed,
    score,
    maxScore,
    passed: results.every((r) => r.passed),
    checks: results,
    ...(startError && results.every((r) => !r.passed) ? { startError } : {}),
    startMs,
    durationMs: Date.now() - started,
  };
}

/** A stage that could not even be attempted (its exercise file is missing): every check fails. */
export function unstartableStage(stage: Stage, seed: number, startError: NonNullable<StageResult['startError']>, opts: Pick<GradeOptions, 'includeTeacherOnly' | 'only'> = {}): StageResult {
  const checks = checksToRun(stage, opts).map((c) => notStarted(c, startError));
  return {
    stage: stage.number,
    slug: stage.slug,
    title: stage.title,
    seed,
    score: 0,
    maxScore: checks.reduce((sum, r) => sum + r.maxPoints, 0),
    passed: false,
    checks,
    startError,
    startMs: 0,
    durationMs: 0,
  };
}

/** The result of a check that could not run (the server never started, a time limit cut it off). */
export function checkNotRun(check: Check, failure: Failure): CheckResult {
  return {
    id: check.id,
    title: check.title,
    passed: false,
    points: 0,
    maxPoints: check.points,
    durationMs: 0,
    ...(check.teacherOnly ? { teacherOnly: true } : {}),
    failure,
  };
}

function notStarted(check: Check, err: NonNullable<StageResult['startError']>): CheckResult {
  return checkNotRun(check, { kind: 'not-started', summary: err.text, ...(err.output ? { serverOutput: err.output } : {}) });
}

async function runCheck(check: Check, server: RunningServer, root: string, seed: number, track: Track): Promise<CheckResult> {
  const started = Date.now();
  const controller = new AbortController();
  setMaxListeners(1000, controller.signal); // one listener per connection a check opens
  const conns: Conn[] = [];
  const ctx: CheckContext = {
    seed,
    rng: createRng(seed, check.id),
    host: server.host,
    port: server.port,
    root,
    signal: controller.signal,
    async connect(label, options) {
      const conn = await Conn.open({
        host: server.host,
        port: server.port,
        label: label ?? t(`client ${conns.length + 1}`, `客户端 ${conns.length + 1}`),
        signal: controller.signal,
        maxBuffered: options?.maxBuffered,
      });
      conns.push(conn);
      return conn;
    },
    async sleep(ms) {
      await sleep(ms, undefined, { signal: controller.signal });
    },
    serverAlive: () => server.alive,
  };

  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new TimeBoundExceeded());
      controller.abort();
    }, check.timeoutMs);
  });
  const running = check.run(ctx);
  running.catch(() => {}); // after a time-out the check winds down on its own; its error is not news
  let failure: Failure | undefined;
  try {
    await Promise.race([running, bound]);
  } catch (err) {
    failure = await explain(err, check, conns, server, track);
  } finally {
    clearTimeout(timer);
    controller.abort();
    for (const c of conns) c.abort();
  }
  return {
    id: check.id,
    title: check.title,
    passed: !failure,
    points: failure ? 0 : check.points,
    maxPoints: check.points,
    durationMs: Date.now() - started,
    ...(check.teacherOnly ? { teacherOnly: true } : {}),
    ...(failure ? { failure } : {}),
  };
}

/** Turns whatever a check threw into a Failure, and notices when the real story is a crash. */
async function explain(err: unknown, check: Check, conns: Conn[], server: RunningServer, track: Track): Promise<Failure> {
  const lastConn = conns[conns.length - 1];
  let failure: Failure;
  if (err instanceof CheckFailure) failure = toFailure(err.init, lastConn, track);
  else if (err instanceof WireError) {
    failure = toFailure({ kind: kindOf(err), summary: err.text, conn: err.conn }, lastConn, track);
  } else if (err instanceof TimeBoundExceeded) {
    const wire = lastConn ? summarizeWire(lastConn) : undefined;
    failure = toFailure(
      {
        kind: 'hung',
        summary: t(
          `no verdict within this check's bound of ${formatMs(check.timeoutMs)}: the server stopped answering (it hung)`,
          `在本检查的时限 ${formatMs(check.timeoutMs)} 内没有结果：服务器不再回应（卡住了）`,
        ),
        hint: wire && wire.receivedBytes === 0
          ? t('Nothing came back at all. Is the server reading from the socket and writing replies to the same socket?', '什么都没有返回。服务器有没有从 socket 读取数据，并把回复写回同一个 socket？')
          : undefined,
      },
      lastConn,
    );
  } else {
    const msg = err instanceof Error ? err.message : String(err);
    failure = { kind: 'grader-error', summary: t(`internal grader error: ${msg} — please report this`, `评测器内部错误：${msg}——请报告这个问题`) };
  }
  // A crash first shows up on the wire as a reset or a close; give the exit a moment to be noticed.
  if (server.alive && ['closed-early', 'reset', 'crashed', 'hung'].includes(failure.kind)) {
    await Promise.race([server.exited, sleep(60, undefined, { ref: false })]);
  }
  if (!server.alive && !server.stoppedByGrader) {
    const exit = server.exitInfo!;
    const how: Text = exit.signal
      ? t(`was killed by ${exit.signal}`, `被信号 ${exit.signal} 终止`)
      : t(`exited with code ${exit.code}`, `退出了，退出码 ${exit.code}`);
    failure.kind = 'crashed';
    failure.summary = join([t(`the server crashed: it ${how.en} during this check.`, `服务器崩溃了：它在本检查中${how.zh}。`), failure.summary]);
    failure.serverOutput = server.outputTail(12);
    failure.hint ??= t(
      'Read the error above. A server must survive whatever one client does: handle the socket\'s \'error\' event and never call process.exit() for a single connection.',
      '看看上面的错误信息。服务器必须经得起任何一个客户端的行为：处理 socket 的 \'error\' 事件，不要因为某一个连接就调用 process.exit()。',
    );
  }
  return failure;
}
