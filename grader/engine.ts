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
import { cpuTimeOf, freezeGroup, listeningHost, openFilesOf, trackTempDir, untrackTempDir } from './runner/processes.ts';
import { RunningServer, ServerStartError, startServer, type ExitInfo, type ServerCommand } from './runner/server.ts';
import { trackOf, type Track } from './track.ts';
import type { Check, CheckContext, CheckResult, Failure, Stage, StageResult } from './types.ts';
import { bytes, Conn, formatMs, WireError, type WireEvent } from './wire/conn.ts';
import { escapeBytes } from './wire/escape.ts';
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
  /** Run every check on its own, background ones included (the verdicts bench compares both ways). */
  oneAtATime?: boolean;
  listenTimeoutMs?: number;
  /** Extra environment for the server. */
  env?: Record<string, string>;
  /** Wrap the server's argv (sandboxing). */
  wrap?: (argv: string[]) => string[];
  /** Called as each check finishes (progress displays). */
  onCheck?: (result: CheckResult) => void;
}

class TimeBoundExceeded extends Error {}

/** A check that ran alongside others, stopped because it will be run again on its own anyway. */
class Cancelled extends Error {}

/** A check stopped early because the server, silent since it started, stayed silent in it too. */
class StillHung extends Error {
  /** `spins`: the check where the server was found using CPU all along while it sent nothing. */
  constructor(readonly earlier: string[], readonly afterMs: number, readonly spins?: string) {
    super('still hung');
  }
}

/**
 * Once a server has sent nothing at all since it started and a check has waited its whole time for
 * it, later checks each give it QUICK_HUNG_MS (and as long as what they send still moves) to send
 * a first byte or close before they say "still hung":
 * a fully hung server costs one check's bound and a fraction of a second per check after it, not
 * every check's bound. A server that answers anything is graded in full from then on.
 */
const QUICK_HUNG_MS = 100;
/** How often a still-hung check looks whether the server answered or our side still moves. */
const QUICK_TICK_MS = 50;
/**
 * A silent server still at work on what a check sent (it uses CPU: 2 ms or more in a tick) gets up
 * to this much CPU time after our side stood still before "still hung" — an echo of megabytes sent
 * back only once our FIN arrives takes a moment. A server still at work when that runs out is
 * taken to be spinning (while (true) …), and later checks on it go without the grace.
 */
const QUICK_BUSY_MS = 1000;
const BUSY_NS = 2e6;
/**
 * When a check hangs, the server's CPU use (run time plus run-queue wait) is sampled this long: a
 * server using a third of it or more is busy, not waiting — spinning in a loop that never ends, as
 * the classic "skip the empty frame with `continue`" does — and the report says so.
 */
const SPIN_SAMPLE_MS = 100;
const SPIN_SHARE = 1 / 3;

/**
 * What is said of a server found using the CPU while it answers nobody: a sentence after "still
 * hung", a remark after any other hung check's summary, and the hint.
 */
const SPINS_NOW = t('It kept using the CPU all that time: it is busy, not waiting — a loop that never ends?', '这段时间它一直在占用 CPU：它是在忙，而不是在等——是不是有一个永远不会结束的循环？');
const SPINS_REMARK = t('(it kept using the CPU all that time: it is busy, not waiting — a loop that never ends?)', '（这段时间它一直在占用 CPU：它是在忙，而不是在等——是不是有一个永远不会结束的循环？）');
const HINT_SPINS = t(
  'The server is running code all the time and never gets back to its event loop, so it cannot read or write any socket. Look for a while or for loop whose condition never changes — or one that waits for data to arrive: in Node, data arrives only in a callback, after your code returns.',
  '服务器一直在执行代码，从来回不到事件循环，所以读不了也写不了任何 socket。找一找条件永远不变的 while 或 for 循环——或者在循环里等数据到来的代码：在 Node 里，数据只会在你的代码返回之后、在回调里到来。',
);

/** Whether the server uses SPIN_SHARE of the CPU or more over the next SPIN_SAMPLE_MS (false where /proc cannot tell). */
async function spinsNow(server: RunningServer): Promise<boolean> {
  const before = cpuTimeOf(server.pgid);
  if (before === undefined) return false;
  await sleep(SPIN_SAMPLE_MS, undefined, { ref: false });
  const after = cpuTimeOf(server.pgid);
  return after !== undefined && after - before >= SPIN_SAMPLE_MS * SPIN_SHARE * 1e6;
}

export function checksToRun(stage: Stage, opts: Pick<GradeOptions, 'includeTeacherOnly' | 'only'>): Check[] {
  return stage.checks.filter((c) => (opts.includeTeacherOnly || !c.teacherOnly) && (!opts.only || opts.only.includes(c.id)));
}

/** How long a server's exit may take to be noticed once its connections closed (it is usually a few ms). */
const EXIT_NOTICE_MS = 60;
/**
 * How long a server that stopped listening may take to exit: closing its listening socket is the
 * first thing a dying process does, so this is spent only on a server that is going.
 */
const DYING_MS = 1000;
/**
 * How long a replay waits for a server to die of a check's last request, and then of its clients
 * leaving: a server dies of either within milliseconds; this is far beyond, even on a busy machine.
 */
const AFTERMATH_MS = 400;
/**
 * Replays per stage that decide which check a crash belongs to. A server that crashes again and
 * again gets each later crash charged to the check during which it was seen (the replays would
 * only double what it costs, and their answer matters less once the stage is mostly red).
 */
const MAX_REPLAYS = 4;
/**
 * A check that failed after connecting this many clients gets the next check a fresh server: the
 * server lets go of them only as it reads their closing, and one that counts its connections (a
 * cap, a pool, a leak) may still count them when the next check's first client arrives. Counted
 * by clients connected, not by those still open when it failed: that number depends on timing,
 * and so would the verdicts after it.
 */
const MANY_CLIENTS = 10;

/** One check's run: its result, and what the engine needs to account for a crash. */
interface CheckRun {
  result: CheckResult;
  /** The server exited during the check, or right after it with its connections closing. */
  crashed: boolean;
  /** The check itself found nothing wrong (a crash it caused may still fail it). */
  bodyPassed: boolean;
  /** The server closed or reset one of the check's connections (a crash does that, among others). */
  sawClose: boolean;
  /** Connections still open when the check ended: what "its clients leaving" closes. */
  openAtEnd: number;
  conns: Conn[];
  /** Closes the check's connections (a replay keeps them open to see what their leaving does). */
  leave(): void;
  /** Stopped from outside (`RunHow.cancel`): its verdict means nothing, it is run again. */
  cancelled: boolean;
  /** Found using the CPU while it answered nobody: it spins, and later "still hung" checks give it no grace. */
  spun: boolean;
}

export async function gradeStage(stage: Stage, opts: GradeOptions): Promise<StageResult> {
  const started = Date.now();
  const checks = checksToRun(stage, opts);
  const track = opts.track ?? trackOf(opts.server);
  const tempDir = await mkdtemp(path.join(os.tmpdir(), `socklab-${stage.slug}-`));
  trackTempDir(tempDir);
  // What the server serves: the temp folder itself, or the site's root inside it.
  let root = tempDir;
  let server: RunningServer | undefined;
  let startError: StageResult['startError'];
  let startMs = 0;
  let limits: RunningServer['limits'];
  const start = async (): Promise<RunningServer | undefined> => {
    try {
      const s = await startServer(opts.server, {
        root,
        cwd: opts.cwd,
        env: opts.env,
        listenTimeoutMs: opts.listenTimeoutMs,
        wrap: opts.wrap,
      });
      limits ??= s.limits;
      return s;
    } catch (err) {
      if (!(err instanceof ServerStartError)) throw err;
      startError = { kind: err.kind, text: err.text, output: err.output };
      return undefined;
    }
  };
  const run = async (check: Check, on: RunningServer | undefined, how: RunHow = {}): Promise<CheckRun> =>
    on ? runCheck(check, on, root, opts.seed, track, how) : { result: notStarted(check, startError!), crashed: false, bodyPassed: false, sawClose: false, openAtEnd: 0, conns: [], leave() {}, cancelled: false, spun: false };
  // Results by the check's place in the stage, reported in that order. A result is reported once
  // the check after it has run: a crash seen during the next check may still turn out to be this
  // one's (its last request, or its clients leaving, took the server down).
  const byIndex: (CheckResult | undefined)[] = new Array(checks.length);
  let reported = 0;
  const flush = (upTo: number): void => {
    for (; reported < upTo && byIndex[reported]; reported++) opts.onCheck?.(byIndex[reported]!);
  };

  let checksOnServer = 0;
  let replays = 0;
  // Once a replay has shown that clients leaving kill this server, each later check waits for
  // its own clients' leaving to take effect: the crash is charged at once, without a replay.
  let leavingKills = false;
  let previous: { check: Check; run: CheckRun; at: number } | undefined;
  // Checks that waited their whole time for this server, which has sent nothing since it started
  // (undefined once it has sent anything).
  let silent: string[] | undefined = [];
  // This server, silent, was still using CPU when a check gave up on it (see QUICK_BUSY_MS).
  let spinning: string | undefined;

  // A check that hung on a server that had answered before: the server may be stuck in a state
  // that check put it in (a paused socket, a loop, a lock held), which would make the checks after
  // it fail — or pass — by timing. They get a fresh server instead, as after a crash. The same for
  // a check that failed after connecting many clients (see MANY_CLIENTS), and for the checks run
  // again after a failure among checks that ran alongside each other (see `alongside`).
  let restartFor: Restart | undefined;
  const needsRestart = (id: string, run: CheckRun): typeof restartFor => {
    if (silent !== undefined || !server?.alive || run.result.passed) return undefined;
    if (run.result.failure?.kind === 'hung' && !run.cancelled) return { id, why: 'hung', clients: run.conns.length };
    return run.conns.length >= MANY_CLIENTS ? { id, why: 'clients', clients: run.conns.length } : undefined;
  };

  /** Runs the checks at these places one after another, with crash accounting and restarts. */
  const sequential = async (order: number[]): Promise<void> => {
    for (const i of order) {
      const check = checks[i]!;
      const last = i === checks.length - 1;
      let restarted: Text | undefined;
      const why = restartFor;
      if (server && (!server.alive || why)) {
        restarted = restartNote(server.alive ? why : undefined, check.id);
        await server.stop();
        server = await start();
        checksOnServer = 0;
        // A server that has answered before is not one that never answers: a check it hangs in
        // gets it restarted again, rather than "still hung" for the checks after.
        if (silent !== undefined) silent = [];
        spinning = undefined;
      }
      restartFor = undefined;
      let current = await run(check, server, { last, silentSince: silent, spinning });
      if (current.spun) spinning ??= check.id;
      if (silent !== undefined) {
        if (current.conns.some((c) => c.receivedTotal > 0)) silent = undefined;
        else if (current.result.failure?.kind === 'hung' && !current.crashed && silent.length === 0) silent = [check.id];
      }
      checksOnServer++;
      if (server && current.crashed && checksOnServer > 1 && previous && replays < MAX_REPLAYS) {
        // The server died during this check, but it had served another one first: the previous
        // check's last request, or its clients leaving, may have killed it just as this one began.
        // A replay on a fresh server decides whom to blame; it never gives a crashed check points.
        replays++;
        await server.stop();
        const blame = await replayPrevious(previous, start, run);
        if (blame) {
          byIndex[previous.at] = chargeCrash(byIndex[previous.at]!, blame, track);
          if (blame.how === 'clients-left') leavingKills = true;
          // This check deserves a run of its own on a server that has not been killed under it.
          server = await start();
          checksOnServer = 0;
          restarted ??= t('(the server was restarted after an earlier crash)', '（服务器在之前崩溃后已被重启）');
          current = await run(check, server, { last });
          checksOnServer++;
        }
        // Otherwise the crash stays with this check, and the next one gets a fresh server.
      }
      let result = current.result;
      if (server && leavingKills && !current.crashed && server.alive) {
        await Promise.race([server.exited, sleep(AFTERMATH_MS, undefined, { ref: false })]);
        if (!server.alive && !server.stoppedByGrader) {
          // With nothing left open to close, it was not the leaving: the last request did it.
          const how = current.openAtEnd > 0 ? 'clients-left' : 'last-request';
          result = chargeCrash(result, { how, replayed: false, exit: server.exitInfo!, output: server.outputTail(12), conns: current.conns, exitedAt: server.exitedAt! }, track);
        }
      }
      if (restarted && !result.passed && result.failure) result.failure.summary = join([result.failure.summary, restarted]);
      if (!last) restartFor = needsRestart(check.id, { ...current, result });
      byIndex[i] = result;
      flush(i);
      previous = { check, run: current, at: i };
    }
  };

  /**
   * The checks marked `background` mostly wait (a client pausing for a second or more, a slow
   * reader): they run alongside the checks that follow them, on the same server. Only passes count
   * from that time, and only those before the first check that did not pass (a serial server busy
   * with the waiting client fails whoever comes next), or that could have crashed the server: from
   * there on, every check runs again on its own, in order, on a fresh server. A correct server is
   * graded in the time of the longest wait; a broken one gets the verdicts a one-at-a-time run gives.
   */
  const alongside = async (done: number): Promise<number[]> => {
    const on = server!;
    const background = checks.flatMap((c, i) => (c.background ? [i] : []));
    const foreground = checks.flatMap((c, i) => (c.background || i === done ? [] : [i]));
    const runs = new Map<number, CheckRun>();
    let waiting = background.length;
    // A foreground check that got not one byte back stops the waiting checks: the server is hung,
    // or busy with them; either way they are run again on their own, and need not wait it out.
    const stop = new AbortController();
    const all = Promise.all(
      background.map(async (i) => {
        // The stage's last check has no later one to notice a crash it caused: it looks itself.
        runs.set(i, await run(checks[i]!, on, { last: i === checks.length - 1, cancel: stop.signal }));
        waiting--;
      }),
    );
    const again: number[] = [];
    let k = 0;
    let lastPassed = previous && byIndex[previous.at]?.passed ? previous : undefined;
    // The last check always runs on its own: no later check would notice a crash it caused. The
    // first failure ends the overlap: with a neighbour to blame, more checks would only fail too.
    for (; k < foreground.length - 1 && waiting > 0 && on.alive && again.length === 0; k++) {
      const i = foreground[k]!;
      const current = await run(checks[i]!, on, {});
      runs.set(i, current);
      checksOnServer++;
      if (current.result.passed && on.alive) {
        // The check that passed before this one is beyond blame now (only the last to pass is
        // suspected of a crash found later): it is reported at once, and the checks before it.
        if (lastPassed) {
          byIndex[lastPassed.at] = lastPassed.run.result;
          flush(lastPassed.at + 1);
        }
        lastPassed = { check: checks[i]!, run: current, at: i };
      } else again.push(i);
      if (current.result.failure?.kind === 'hung' && current.conns.every((c) => c.receivedTotal === 0)) stop.abort();
    }
    await all;
    checksOnServer += background.length;
    const crashed = !on.alive;
    for (const i of background) if (!runs.get(i)!.result.passed || crashed) again.push(i);
    // What passed just before a crash may have caused it (its last request, or its clients leaving).
    if (crashed && lastPassed) {
      again.push(lastPassed.at);
      lastPassed = undefined;
    }
    if ([...runs.values()].some((r) => r.conns.some((c) => c.receivedTotal > 0))) silent = undefined;
    else if (silent !== undefined && ![...runs.values()].some((r) => r.cancelled)) {
      // Nothing at all came back, to anyone: no neighbour is to blame for the first check that
      // waited in vain, so its verdict stands, and the checks run again give the server a moment
      // each, not their bounds.
      const hung = [...runs.entries()].sort((a, b) => a[0] - b[0]).find(([, r]) => r.result.failure?.kind === 'hung' && !r.crashed && !r.cancelled);
      if (hung && !crashed) {
        silent = [checks[hung[0]]!.id];
        again.splice(again.indexOf(hung[0]), 1);
      }
    }
    // What a server keeps between connections (a buffer shared by all of them, a count) may have been
    // left, by a check that failed here, in a state that depends on how the checks interleaved: a
    // check after it that passed meanwhile might have failed a moment later. So from the first check
    // that runs again, every check runs again, in order, on a fresh server (below): the verdicts of
    // a one-at-a-time run, whatever the timing.
    if (again.length > 0) {
      const from = Math.min(...again);
      for (const [i, r] of runs) if (i > from && r.result.passed && !again.includes(i)) again.push(i);
    }
    for (const [i, r] of runs) if (!again.includes(i)) byIndex[i] = r.result;
    // A check hung here on a server that answers, or failed after connecting many clients: what runs
    // again runs on a fresh server (see restartFor).
    const inOrder = [...runs.entries()].sort((a, b) => a[0] - b[0]);
    for (const [i, r] of inOrder) {
      restartFor = needsRestart(checks[i]!.id, r);
      if (restartFor) break;
    }
    // Any other failure here: one restart, for the reason above.
    const failed = inOrder.find(([, r]) => !r.result.passed);
    if (!restartFor && failed && silent === undefined && on.alive) restartFor = { id: checks[failed[0]]!.id, why: 'alongside', clients: failed[1].conns.length };
    previous = lastPassed && !again.includes(lastPassed.at) ? lastPassed : undefined;
    return [...again, ...foreground.slice(k)].sort((a, b) => a - b);
  };

  try {
    if (stage.site) root = await buildSite(tempDir, siteRng(opts.seed, stage.slug), stage.site);
    server = await start();
    startMs = server?.startedInMs ?? 0;
    const everyCheck = checks.map((_, i) => i);
    const background = checks.filter((c) => c.background).length;
    if (server && background > 0 && background < checks.length && !opts.oneAtATime) {
      // The first check runs alone: a server that cannot answer it gets no neighbour to blame,
      // and the checks after it learn at once that it is hung. Waiting checks join after it.
      const first = checks.findIndex((c) => !c.background);
      await sequential([first]);
      const rest = everyCheck.filter((i) => i !== first);
      await sequential(byIndex[first]?.passed && server?.alive ? await alongside(first) : rest);
    } else await sequential(everyCheck);
    flush(checks.length);
  } finally {
    await server?.stop();
    await rm(tempDir, { recursive: true, force: true });
    untrackTempDir(tempDir);
  }
  const results = byIndex as CheckResult[];
  const score = results.reduce((sum, r) => sum + r.points, 0);
  const maxScore = results.reduce((sum, r) => sum + r.maxPoints, 0);
  const crashes = results.filter((r) => r.failure?.kind === 'crashed').length;
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
    crashes,
    ...(limits ? { limits } : {}),
    startMs,
    durationMs: Date.now() - started,
  };
}

/** Why the server is restarted before a check, other than a crash: see `restartFor` in gradeStage. */
interface Restart {
  /** The check whose failure called for it. */
  id: string;
  why: 'hung' | 'clients' | 'alongside';
  /** How many clients that check connected. */
  clients: number;
}

/** Why the server was restarted before a check (none given: it had crashed), as that check's failure tells it. */
function restartNote(why: Restart | undefined, id: string): Text {
  if (!why) return t('(the server was restarted after an earlier crash)', '（服务器在之前崩溃后已被重启）');
  if (why.id === id) return t('(run again on its own, on a restarted server)', '（在重启后的服务器上单独重跑）');
  switch (why.why) {
    case 'hung':
      return t(`(the server was restarted after it hung in check ${why.id})`, `（服务器在检查 ${why.id} 中卡住之后已被重启）`);
    case 'clients':
      return t(`(the server was restarted after check ${why.id} failed with ${why.clients} clients connected)`, `（检查 ${why.id} 连接了 ${why.clients} 个客户端后失败，之后服务器已被重启）`);
    case 'alongside':
      return t(`(the server was restarted after check ${why.id} failed while other checks ran alongside it)`, `（检查 ${why.id} 在与其他检查同时运行时失败，之后服务器已被重启）`);
  }
}

/** What took the server down when it was a check's own doing, found after the check had finished. */
interface Blame {
  how: 'during' | 'last-request' | 'clients-left';
  /** Seen in a replay on a fresh server (rather than right after the check itself). */
  replayed: boolean;
  exit: ExitInfo;
  output: string;
  conns: Conn[];
  exitedAt: number;
}

/**
 * Runs the previous check alone on a fresh server, keeping its connections open: if the server
 * dies then, its last request did it; if it dies once those clients leave, their leaving did.
 * Either way the crash is the previous check's. If the replay itself crashes, the crash is the
 * previous check's only when its first run already saw the server close its connections (a crash
 * at its very end, noticed too late); a server that crashes on every other connection also crashes
 * in replays, and then the crash stays where it was seen. Anything else (it survives, it does not
 * start) leaves the crash with the check during which it was seen.
 */
async function replayPrevious(
  previous: { check: Check; run: CheckRun },
  start: () => Promise<RunningServer | undefined>,
  run: (check: Check, on: RunningServer | undefined, how?: RunHow) => Promise<CheckRun>,
): Promise<Blame | undefined> {
  const fresh = await start();
  if (!fresh) return undefined;
  try {
    const replay = await run(previous.check, fresh, { keepOpen: true });
    const blame = (how: Blame['how']): Blame => ({ how, replayed: true, exit: fresh.exitInfo!, output: fresh.outputTail(12), conns: replay.conns, exitedAt: fresh.exitedAt! });
    if (replay.crashed) {
      replay.leave();
      // Every answer came back and then it died: its last request did it, as the first run showed.
      return previous.run.sawClose ? blame(replay.bodyPassed ? 'last-request' : 'during') : undefined;
    }
    const died = async (): Promise<boolean> => {
      await Promise.race([fresh.exited, sleep(AFTERMATH_MS, undefined, { ref: false })]);
      return !fresh.alive;
    };
    let how: Blame['how'] | undefined;
    if (await died()) how = 'last-request';
    else {
      replay.leave();
      if (await died()) how = 'clients-left';
    }
    replay.leave();
    return how ? blame(how) : undefined;
  } finally {
    await fresh.stop();
  }
}

/** A check's result once it is known that what it did (its last request, its clients leaving) took the server down. */
function chargeCrash(r: CheckResult, blame: Blame, track: Track): CheckResult {
  const how = exitWords(blame.exit);
  const trigger = lastClientAction(blame.conns, blame.exitedAt);
  const summary =
    blame.how === 'during'
      ? t(
          `the server crashed during this check: it ${how.en}${trigger ? ` (the last thing before: ${trigger.did.en})` : ''}`,
          `服务器在本检查中崩溃了：它${how.zh}${trigger ? `（在此之前最后发生的是：${trigger.did.zh}）` : ''}`,
        )
      : blame.how === 'last-request'
      ? t(
          `the server crashed right after this check's last request: it ${how.en} once every answer had been sent${trigger ? ` (the last thing before: ${trigger.did.en})` : ''}`,
          `服务器在本检查的最后一个请求之后崩溃了：所有回答都已发出，随后它${how.zh}${trigger ? `（在此之前最后发生的是：${trigger.did.zh}）` : ''}`,
        )
      : t(
          `the server crashed: it ${how.en} when this check's clients closed their connections, before the next check began`,
          `服务器崩溃了：本检查的客户端关闭连接时，它${how.zh}，下一项检查还没开始`,
        );
  const seen = blame.replayed ? [t('(seen again when this check ran alone on a fresh server)', '（让本检查在新启动的服务器上单独重跑，同样如此）')] : [];
  const failure: Failure = r.failure
    ? { ...r.failure, kind: 'crashed', summary: join([summary, ...seen, r.failure.summary]) }
    : toFailure({ kind: 'crashed', summary: join([summary, ...seen]), conn: trigger?.conn }, blame.conns[blame.conns.length - 1], track);
  failure.serverOutput = blame.output;
  failure.hint ??= blame.how === 'clients-left' ? HINT_CLIENT_LEAVES : HINT_CRASH;
  return { ...r, passed: false, points: 0, failure };
}

const HINT_CRASH = t(
  'Read the error above. A server must survive whatever one client does: handle the socket\'s \'error\' event and never call process.exit() for a single connection.',
  '看看上面的错误信息。服务器必须经得起任何一个客户端的行为：处理 socket 的 \'error\' 事件，不要因为某一个连接就调用 process.exit()。',
);
const HINT_CLIENT_LEAVES = t(
  "Clients come and go; the server stays. When a connection ends ('end', 'close', or 'error' for a reset), clean up that socket only: no process.exit(), no server.close(), and an 'error' listener on every socket.",
  "客户端来来去去，服务器一直都在。连接结束时（'end'、'close'，或者被重置时的 'error'），只清理那一个 socket：不要 process.exit()，不要 server.close()，并且每个 socket 都要有 'error' 监听器。",
);

function exitWords(exit: ExitInfo): Text {
  return exit.signal ? t(`was killed by ${exit.signal}`, `被信号 ${exit.signal} 终止`) : t(`exited with code ${exit.code}`, `退出了，退出码 ${exit.code}`);
}

/**
 * The last thing a client did before the server died — a request, a half-close, a reset, a
 * connection — as words naming the client and the bytes: most likely what killed it.
 */
function lastClientAction(conns: Conn[], exitedAt: number | undefined): { conn: Conn; did: Text } | undefined {
  // The exit is noticed a little after the death (the process tree has to be reaped); the death
  // itself closed every socket the server had open, so the latest close a client saw before the
  // exit was noticed is the better moment, when there is one.
  let before = exitedAt;
  let closedAt: number | undefined;
  for (const conn of conns) {
    const end = conn.events.find((e) => e.kind === 'fin-received' || e.kind === 'reset-received');
    const at = end ? conn.started + end.at : undefined;
    if (at !== undefined && (exitedAt === undefined || at <= exitedAt)) closedAt = Math.max(closedAt ?? 0, at);
  }
  if (closedAt !== undefined) before = closedAt;
  let best: { conn: Conn; event: WireEvent; at: number } | undefined;
  for (const conn of conns) {
    for (const event of conn.events) {
      if (event.kind !== 'send' && event.kind !== 'fin-sent' && event.kind !== 'reset-sent' && event.kind !== 'connect') continue;
      const at = conn.started + event.at;
      if (before !== undefined && at > before) continue;
      if (!best || at >= best.at) best = { conn, event, at };
    }
  }
  if (!best) return undefined;
  const who = best.conn.name;
  const e = best.event;
  const did =
    e.kind === 'send'
      ? t(`${who.en} sent ${bytes(e.size)}${e.bytes.length ? `: ${escapeBytes(e.bytes, 60)}` : ''}`, `${who.zh} 发送了 ${e.size} 字节${e.bytes.length ? `：${escapeBytes(e.bytes, 60)}` : ''}`)
      : e.kind === 'fin-sent'
        ? t(`${who.en} half-closed its side (FIN)`, `${who.zh} 半关闭了自己这一侧（FIN）`)
        : e.kind === 'reset-sent'
          ? t(`${who.en} reset its connection (RST)`, `${who.zh} 重置了连接（RST）`)
          : t(`${who.en} connected`, `${who.zh} 连上了服务器`);
  return { conn: best.conn, did };
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

interface RunHow {
  /** Leave the check's connections open afterwards (the caller closes them with `leave`). */
  keepOpen?: boolean;
  /** The stage's last check: no later check would notice a crash it caused. */
  last?: boolean;
  /** The server has sent nothing since it started, and these checks waited their whole time for it. */
  silentSince?: string[];
  /** Stops the check early; it then fails with `cancelled` set, to be run again. */
  cancel?: AbortSignal;
  /** With `silentSince`: the check where the server was found spinning (it then gets no grace for its CPU use). */
  spinning?: string;
}

async function runCheck(check: Check, server: RunningServer, root: string, seed: number, track: Track, how: RunHow = {}): Promise<CheckRun> {
  const started = Date.now();
  const controller = new AbortController();
  setMaxListeners(1000, controller.signal); // one listener per connection a check opens
  const conns: Conn[] = [];
  let frozen: (() => void) | undefined;
  const thaw = (): void => {
    frozen?.();
    frozen = undefined;
  };
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
    serverOutput: () => server.outputTail(12),
    serverOpenFiles: () => {
      const open = server.alive && server.limits ? openFilesOf(server.pgid) : undefined;
      return open === undefined ? undefined : { open, limit: server.limits!.openFiles };
    },
    async freezeServer() {
      if (!server.alive || frozen) return undefined;
      frozen = await freezeGroup(server.pgid);
      return frozen && thaw;
    },
  };

  let timer: NodeJS.Timeout | undefined;
  let quick: NodeJS.Timeout | undefined;
  let spun = false; // set when "still hung" is said while the server uses CPU
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new TimeBoundExceeded());
      controller.abort();
    }, check.timeoutMs);
    const earlier = how.silentSince;
    if (earlier?.length) {
      // The server may still be taking in what the check sends (it reads, it just never answers):
      // the verdict waits until our side has stood still for a tick as well, so that a server that
      // would close once it reads our FIN gets to do so, and is told so rather than "still hung".
      // Only a backlog counts (a check that sends a little at a time is not kept waiting by it),
      // and for one tick after it cleared (the FIN that follows, and the server reading it).
      const progress = (): number => conns.reduce((sum, c) => sum + c.sendProgress, 0);
      let seen = 0;
      let wasQueued = false;
      let endsSeen = 0;
      let endedAt = -Infinity;
      let cpuSeen = cpuTimeOf(server.pgid);
      let cpuWhenStood = cpuSeen ?? 0;
      // The grader's own time, not the clock's: a tick that comes late because the grader's event
      // loop was busy (other gradings beside this one, on a loaded machine) counts as one tick, so
      // the check always gets its turns to act on what came before a verdict is said.
      let clock = 0;
      let tickedAt = Date.now();
      const tick = (): void => {
        // A byte from the server: it answers after all, and the check runs its course.
        if (conns.some((c) => c.receivedTotal > 0)) return;
        clock += Math.min(Date.now() - tickedAt, QUICK_TICK_MS);
        tickedAt = Date.now();
        const now = progress();
        const queued = conns.some((c) => c.unsent > 0);
        // The server closing or resetting a connection is news too: the check gets QUICK_HUNG_MS
        // to act on it.
        const ends = conns.reduce((n, c) => n + c.events.filter((e) => e.kind === 'fin-received' || e.kind === 'reset-received').length, 0);
        if (ends !== endsSeen) endedAt = clock;
        // A connection we sent our FIN on but do not read yet may hold the server's answer to it,
        // unseen: no verdict until the check reads it again (its bound still applies).
        const unheard = conns.some((c) => c.holding && !c.closed && c.events.some((e) => e.kind === 'fin-sent'));
        const moving = (now !== seen && (queued || wasQueued)) || clock - endedAt < QUICK_HUNG_MS || unheard;
        [seen, wasQueued, endsSeen] = [now, queued, ends];
        const cpu = cpuTimeOf(server.pgid);
        if (moving) cpuWhenStood = cpu ?? 0;
        const working = cpu !== undefined && cpuSeen !== undefined && cpu - cpuSeen >= BUSY_NS;
        cpuSeen = cpu;
        // CPU time, not time on the clock: on a busy machine the server gets less of each second.
        const grace = working && !how.spinning && (cpu ?? 0) - cpuWhenStood < QUICK_BUSY_MS * 1e6;
        if (moving || grace || clock < QUICK_HUNG_MS) {
          quick = setTimeout(tick, QUICK_TICK_MS);
          return;
        }
        // After the loop's next poll: bytes that came while the grader was descheduled count.
        setImmediate(() => {
          if (conns.some((c) => c.receivedTotal > 0)) return;
          spun = working;
          reject(new StillHung(earlier, Date.now() - started, how.spinning ?? (working ? check.id : undefined)));
          controller.abort();
        });
      };
      quick = setTimeout(tick, QUICK_TICK_MS);
    }
    const cancel = (): void => (reject(new Cancelled()), controller.abort());
    if (how.cancel?.aborted) cancel();
    else how.cancel?.addEventListener('abort', cancel, { once: true });
  });
  const running = check.run(ctx);
  running.catch(() => {}); // after a time-out the check winds down on its own; its error is not news
  let failure: Failure | undefined;
  let cancelled = false;
  let stillHung = false;
  const wasAlive = server.alive;
  try {
    await Promise.race([running, bound]);
  } catch (err) {
    cancelled = err instanceof Cancelled;
    stillHung = err instanceof StillHung;
    failure = explain(err, check, conns, track);
  } finally {
    clearTimeout(timer);
    clearTimeout(quick);
    thaw();
  }
  // Hung: waiting for something, or spinning? Sampled while a possible exit is given its moment.
  const sampling = failure?.kind === 'hung' && !stillHung && !cancelled && server.alive ? spinsNow(server) : Promise.resolve(false);
  // "Still hung" is no sign of an exit: a server that has never answered and still listens is
  // not given the moment a suspicious failure gets (the next check would see an exit anyway).
  const [sawClose, sampledSpin] = await Promise.all([noticeExit(server, conns, stillHung ? undefined : failure?.kind, how.last ?? false), sampling]);
  if (failure && sampledSpin && server.alive) {
    failure = { ...failure, summary: join([failure.summary, SPINS_REMARK]), hint: failure.hint ? join([HINT_SPINS, failure.hint]) : HINT_SPINS };
  }
  const crashed = wasAlive && !server.alive && !server.stoppedByGrader;
  const bodyPassed = failure === undefined;
  if (crashed) failure = crashFailure(server, conns, failure, track);
  // Gone already: we dropped it, or it was reset, or both sides sent their FIN.
  const gone = (c: Conn): boolean => c.closed !== undefined && (c.closed !== 'fin' || c.events.some((e) => e.kind === 'fin-sent'));
  const openAtEnd = conns.filter((c) => !gone(c)).length;
  const leave = (): void => {
    controller.abort();
    for (const c of conns) c.abort();
  };
  if (!how.keepOpen) leave();
  return {
    result: {
      id: check.id,
      title: check.title,
      passed: !failure,
      points: failure ? 0 : check.points,
      maxPoints: check.points,
      durationMs: Date.now() - started,
      ...(check.teacherOnly ? { teacherOnly: true } : {}),
      ...(failure ? { failure } : {}),
    },
    crashed,
    bodyPassed,
    sawClose,
    openAtEnd,
    conns,
    leave,
    cancelled,
    // Found spinning: later "still hung" checks on this server give it no grace.
    spun: (stillHung && spun) || (sampledSpin && server.alive),
  };
}

/**
 * Gives a server's exit a moment to be noticed when the wire suggests one: a dying process closes
 * every socket it has, so its clients see a close or a reset first, and its listening socket is
 * gone. Costs nothing when no connection of the check was closed by the server, or when the server
 * still listens (except after the stage's last check: 60 ms at most); a check that passed can still
 * have killed the server with its last request. Says whether the server closed a connection.
 */
async function noticeExit(server: RunningServer, conns: Conn[], kind: Failure['kind'] | undefined, last: boolean): Promise<boolean> {
  const endedByServer = conns.some((c) => c.events.some((e) => e.kind === 'fin-received' || e.kind === 'reset-received'));
  if (!server.alive) return endedByServer;
  const suspicious = kind !== undefined && ['closed-early', 'reset', 'crashed', 'hung'].includes(kind);
  if (!endedByServer && !suspicious) return endedByServer;
  const exitWithin = (ms: number): Promise<unknown> => Promise.race([server.exited, sleep(ms, undefined, { ref: false })]);
  // null: this platform cannot tell (no /proc); undefined: nothing listens on the port any more.
  let host = listeningHost(server.port);
  if (host !== undefined && (host === null || suspicious || last)) {
    // A process descheduled half-way through its exit may have closed a client's socket and not
    // yet its listening one; and the last check has no later one to notice a crash it caused.
    await exitWithin(EXIT_NOTICE_MS);
    if (!server.alive) return endedByServer;
    host = listeningHost(server.port);
  }
  if (host === undefined && !stoppedListening.has(server)) {
    await exitWithin(DYING_MS);
    // One that closed its listening socket and lives on (server.close()) is waited for once.
    if (server.alive) stoppedListening.add(server);
  }
  return endedByServer;
}

const stoppedListening = new WeakSet<RunningServer>();

/** Turns whatever a check threw into a Failure. */
function explain(err: unknown, check: Check, conns: Conn[], track: Track): Failure {
  const lastConn = conns[conns.length - 1];
  if (err instanceof CheckFailure) return toFailure(err.init, lastConn, track);
  if (err instanceof WireError) return toFailure({ kind: kindOf(err), summary: err.text, conn: err.conn }, lastConn, track);
  if (err instanceof StillHung) {
    const ids = err.earlier.join(', ');
    const spins = err.spins === undefined ? undefined : err.spins === check.id
      ? SPINS_NOW
      : t(`It has been using the CPU without sending anything since ${err.spins}: a loop that never ends?`, `从 ${err.spins} 起它就一直占用 CPU，却什么都不发送：是不是有一个永远不会结束的循环？`);
    return toFailure(
      {
        kind: 'hung',
        summary: join([
          t(
            `still hung: the server has not sent a single byte since it started (${ids} waited for an answer in vain), and nothing came within ${formatMs(err.afterMs)} here either, so this check did not wait out its time (a server that answers anything is graded in full again).`,
            `仍然卡住：服务器从启动到现在一个字节都没有发过（${ids} 一直没等到回答），这里在 ${formatMs(err.afterMs)} 内同样什么都没有来，所以本检查不再等满时限（服务器只要回答任何内容，之后就会重新完整评测）。`,
          ),
          ...(spins ? [spins] : []),
        ]),
        hint: spins
          ? HINT_SPINS
          : t(
              'Nothing comes back from this server at all. Look at the first failing check: is the server reading from the socket, and writing its reply to that same socket? A server busy in a loop (while (true) …) or waiting for something that never happens answers nobody.',
              '这个服务器什么都没有返回。先看第一个失败的检查：服务器有没有从 socket 读取数据，并把回复写回同一个 socket？陷在死循环里或者在等一件永远不会发生的事的服务器，谁也不会回答。',
            ),
      },
      lastConn,
    );
  }
  if (err instanceof TimeBoundExceeded) {
    const wire = lastConn ? summarizeWire(lastConn) : undefined;
    return toFailure(
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
  }
  const msg = err instanceof Error ? err.message : String(err);
  return { kind: 'grader-error', summary: t(`internal grader error: ${msg} — please report this`, `评测器内部错误：${msg}——请报告这个问题`) };
}

/**
 * The failure of a check during which the server exited: whatever the check saw (or, when every
 * assertion held, that the server is gone all the same), with the last thing a client did before.
 */
function crashFailure(server: RunningServer, conns: Conn[], seen: Failure | undefined, track: Track): Failure {
  const how = exitWords(server.exitInfo!);
  const trigger = lastClientAction(conns, server.exitedAt);
  const failure: Failure = seen
    ? {
        ...seen,
        summary: join([
          trigger
            ? t(`the server crashed: it ${how.en} during this check (the last thing before: ${trigger.did.en}).`, `服务器崩溃了：它在本检查中${how.zh}（在此之前最后发生的是：${trigger.did.zh}）。`)
            : t(`the server crashed: it ${how.en} during this check.`, `服务器崩溃了：它在本检查中${how.zh}。`),
          seen.summary,
        ]),
      }
    : toFailure(
        {
          kind: 'crashed',
          summary: t(
            `the server crashed right after this check's last request: every answer came back, then it ${how.en}${trigger ? ` (the last thing before: ${trigger.did.en})` : ''}`,
            `服务器在本检查的最后一个请求之后崩溃了：回答都收到了，随后它${how.zh}${trigger ? `（在此之前最后发生的是：${trigger.did.zh}）` : ''}`,
          ),
          conn: trigger?.conn,
        },
        conns[conns.length - 1],
        track,
      );
  failure.kind = 'crashed';
  // The transcript to show is the one of the client whose request came last before the exit.
  if (!failure.wire && trigger) failure.wire = summarizeWire(trigger.conn);
  failure.serverOutput = server.outputTail(12);
  failure.hint ??= HINT_CRASH;
  return failure;
}
