/**
 * Crash accounting in the engine: a check during which the server crashed never scores, whatever a
 * re-run would have shown; a crash is charged to the check that caused it — the one running, or
 * the previous one when its last request or its clients' leaving took the server down just as the
 * next began; a crash right after a check's last answer fails that check; and a server that keeps
 * crashing says so in the stage result and in every report's summary.
 *
 * The checks here are a tiny stage of their own (one echo round trip per check), so each rule is
 * shown on its own, fast, and independently of what the real stages check.
 */
import { describe, expect, it } from 'vitest';
import { gradeStage } from '../grader/engine.ts';
import { expectBytes } from '../grader/expect/bytes.ts';
import { fail } from '../grader/failure.ts';
import { t } from '../grader/i18n.ts';
import { stageToJson } from '../grader/report/json.ts';
import { renderDetails } from '../grader/report/terminal.ts';
import type { Check, CheckResult, Stage, StageResult } from '../grader/types.ts';
import { newTag, processesTagged, repoRoot } from './helpers.ts';
import path from 'node:path';

const server = (name: string): string => path.join(repoRoot, 'test', 'fixtures', 'engine', name);

/** A check that opens one connection and has one line echoed; `last` makes it say so (see exits-after-echo.ts). */
function echoCheck(n: number, opts: { last?: boolean; waitForClose?: boolean; delayMs?: number } = {}): Check {
  return {
    id: `9.${n}`,
    title: t(`echo ${n}`, `回显 ${n}`),
    points: 1,
    timeoutMs: 4000,
    async run(ctx) {
      const conn = await ctx.connect();
      if (opts.delayMs) await ctx.sleep(opts.delayMs);
      const line = Buffer.from(`check ${n}${opts.last ? ' last' : ''}\n`);
      await conn.send(line);
      await expectBytes(conn, line, { timeoutMs: 1000 });
      if (opts.waitForClose) {
        const { how } = await conn.readToEnd(1500);
        if (how === 'open') fail({ summary: t('still open', '仍然开着') });
      }
    },
  };
}

const stageOf = (checks: Check[]): Stage => ({ number: 9, slug: '09-engine', title: t('engine', '引擎'), checks });

async function gradeWith(file: string, checks: Check[]): Promise<{ result: StageResult; reported: CheckResult[] }> {
  const tag = newTag();
  const reported: CheckResult[] = [];
  const result = await gradeStage(stageOf(checks), {
    seed: 1,
    server: { kind: 'file', file },
    cwd: repoRoot,
    env: { SOCKLAB_TEST_TAG: tag },
    onCheck: (r) => reported.push(r),
  });
  expect(processesTagged(tag), 'processes left running after grading').toEqual([]);
  return { result, reported };
}

const verdicts = (r: StageResult): string[] => r.checks.map((c) => `${c.id} ${c.points}/${c.maxPoints} ${c.passed ? 'pass' : c.failure?.kind}`);

describe('crash accounting', () => {
  it('a server that crashes on every second connection scores only the checks it survived', async () => {
    const checks = [1, 2, 3, 4, 5, 6].map((n) => echoCheck(n));
    const { result, reported } = await gradeWith(server('crashes-every-second-connection.ts'), checks);
    // A fresh server answers its first client; the second kills it. Before, a re-run on a fresh
    // server gave each crashed check its points: 6/6 here.
    expect(verdicts(result)).toEqual(['9.1 1/1 pass', '9.2 0/1 crashed', '9.3 1/1 pass', '9.4 0/1 crashed', '9.5 1/1 pass', '9.6 0/1 crashed']);
    expect(result.crashes).toBe(3);
    expect(result.score).toBe(3);
    const crashed = result.checks[1]!.failure!;
    // The check names the request during which the server died, and shows what the server printed.
    expect(crashed.summary.en).toMatch(/^the server crashed: it exited with code 1 during this check \(the last thing before: client 1 sent 8 bytes: "check 2\\n"\)/);
    expect(crashed.summary.zh).toMatch(/服务器崩溃了/);
    expect(crashed.serverOutput).toMatch(/connection 2 is an even one/);
    // Progress displays see each check once, with its final verdict.
    expect(reported.map((r) => `${r.id} ${r.passed}`)).toEqual(result.checks.map((r) => `${r.id} ${r.passed}`));
  });

  it("a crash caused by a check's clients leaving is charged to that check, as soon as that is known", async () => {
    const { result, reported } = await gradeWith(server('exits-when-a-client-leaves.ts'), [echoCheck(1), echoCheck(2), echoCheck(3)]);
    // 9.1 passes and its client's leaving kills the server; 9.2 meets a dead server, a replay of
    // 9.1 on a fresh one shows why, and 9.2 is run again. From then on each check waits for its own
    // clients' leaving to take effect, so 9.2 and 9.3 are charged at once, without replays.
    expect(verdicts(result)).toEqual(['9.1 0/1 crashed', '9.2 0/1 crashed', '9.3 0/1 crashed']);
    const said = result.checks.map((c) => c.failure!.summary.en);
    expect(said[0]).toMatch(/^the server crashed: it exited with code 3 when this check's clients closed their connections, before the next check began \(seen again when this check ran alone on a fresh server\)$/);
    for (const s of said.slice(1)) expect(s).toMatch(/^the server crashed: it exited with code 3 when this check's clients closed their connections, before the next check began/);
    expect(result.crashes).toBe(3);
    // 9.1 was reported once, already as crashed: the engine holds a result until the next check
    // has shown it was not to blame.
    expect(reported.map((r) => `${r.id} ${r.passed}`)).toEqual(['9.1 false', '9.2 false', '9.3 false']);
  });

  it("a crash right after a check's last answer fails that check", async () => {
    // 9.1 gets every answer and sees the server close: the exit is noticed before the next check.
    const { result } = await gradeWith(server('exits-after-echo.ts'), [echoCheck(1, { last: true, waitForClose: true }), echoCheck(2)]);
    expect(verdicts(result)).toEqual(['9.1 0/1 crashed', '9.2 1/1 pass']);
    // Seen at once; or, on a machine so busy that the exit is noticed only by the next check, by the
    // replay (the next test): the same verdict and the same story either way.
    expect(result.checks[0]!.failure!.summary.en).toMatch(/^the server crashed right after this check's last request: (every answer came back, then it exited with code 4|it exited with code 4 once every answer had been sent) \(the last thing before: client 1 sent 13 bytes: "check 1 last\\n"\)/);
  });

  it("a crash after a check's last answer, seen only by the next check, is found by replaying the first", async () => {
    // 9.1 does not wait for the close: the next check meets a dead server, and a replay of 9.1 on
    // a fresh server shows that 9.1's last request did it.
    const { result } = await gradeWith(server('exits-after-echo.ts'), [echoCheck(1, { last: true }), echoCheck(2, { delayMs: 300 })]);
    expect(verdicts(result)).toEqual(['9.1 0/1 crashed', '9.2 1/1 pass']);
    expect(result.checks[0]!.failure!.summary.en).toMatch(/^the server crashed right after this check's last request: it exited with code 4 once every answer had been sent .*\(seen again when this check ran alone on a fresh server\)$/);
  });

  it('says how many checks the server crashed in, in the terminal summary and in --json', async () => {
    const { result } = await gradeWith(server('crashes-every-second-connection.ts'), [1, 2, 3, 4].map((n) => echoCheck(n)));
    const text = renderDetails(result, { lang: 'en', color: false, width: 100 });
    expect(text).toContain('the server crashed in 2 of 4 checks');
    expect(renderDetails(result, { lang: 'zh-CN', color: false, width: 100 })).toContain('服务器在 4 项检查中的 2 项里崩溃了');
    expect(stageToJson(result, 'en')).toMatchObject({ crashes: 2, score: 2, maxScore: 4 });
  });
});
