/**
 * "Still hung": once a server has sent nothing at all and a check has waited its whole time for
 * it, later checks say "still hung" after a moment instead of each waiting out its time — but only
 * when the server has nothing left to do. A server still taking in what a check sends, or at work
 * answering a client's FIN, gets to finish (its verdict must not depend on timing); one that spins
 * in an endless loop is found out once and told so, and costs no more grace after that.
 */
import { describe, expect, it } from 'vitest';
import { fixtureFile, grade } from './helpers.ts';
import { englishIn } from './zh-words.ts';

const byId = (r: Awaited<ReturnType<typeof grade>>, id: string) => r.checks.find((c) => c.id === id)!;

describe('still hung', () => {
  it('a server that waits for nothing in particular: quick "still hung" verdicts, with no word of a loop', async () => {
    const r = await grade(1, fixtureFile('01-tcp-echo', 'hangs.ts'), 1, { only: ['1.1', '1.2', '1.5'] });
    expect(byId(r, '1.1').failure?.kind).toBe('hung');
    expect(byId(r, '1.1').failure?.summary.en).not.toMatch(/still hung/);
    for (const id of ['1.2', '1.5']) {
      expect(byId(r, id).failure?.summary.en).toMatch(/^still hung: the server has not sent a single byte since it started \(1\.1 waited/);
      expect(byId(r, id).failure?.summary.en).not.toMatch(/CPU/);
    }
  });

  it('a server in an endless loop is told so once its CPU use shows it, and later checks name where', async () => {
    const r = await grade(1, fixtureFile('engine', 'spins.ts'), 1, { only: ['1.1', '1.2', '1.5', '1.6'] });
    expect(r.checks.map((c) => c.failure?.kind)).toEqual(['hung', 'hung', 'hung', 'hung']);
    // Found out as soon as 1.1 gives up on it: its CPU use is sampled then.
    expect(byId(r, '1.1').failure?.summary.en).toMatch(/nothing arrived \(it kept using the CPU all that time: it is busy, not waiting/);
    expect(byId(r, '1.1').failure?.hint?.en).toMatch(/never gets back to its event loop/);
    expect(byId(r, '1.1').failure?.summary.zh).toMatch(/一直在占用 CPU/);
    expect(englishIn(r), 'English left in the Chinese report').toEqual([]);
    // The checks after it give it no grace, and say since when.
    for (const id of ['1.2', '1.5', '1.6']) {
      expect(byId(r, id).failure?.summary.en).toMatch(/^still hung: .*using the CPU without sending anything since 1\.1/);
      expect(byId(r, id).failure?.hint?.en).toMatch(/never gets back to its event loop/);
    }
  });

  for (const seed of [1, 2, 3]) {
    it(`a server still at work when our FIN arrives finishes first (seed ${seed}): 1.9 passes for one that echoes only at the end, and is told closed-early for one that closes`, async () => {
      const lateEcho = await grade(1, fixtureFile('01-tcp-echo', 'echoes-only-at-end.ts'), seed, { only: ['1.1', '1.9'] });
      expect(byId(lateEcho, '1.1').failure?.kind).toBe('hung');
      expect(byId(lateEcho, '1.9').passed, byId(lateEcho, '1.9').failure?.summary.en).toBe(true);
      const closes = await grade(1, fixtureFile('01-tcp-echo', 'hangs.ts'), seed, { only: ['1.1', '1.9'] });
      expect(byId(closes, '1.9').failure?.kind, byId(closes, '1.9').failure?.summary.en).toBe('closed-early');
    });
  }
});

describe('a server stuck by one check', () => {
  it('hangs in that check only: the checks after it get a fresh server, and pass', async () => {
    const r = await grade(1, fixtureFile('engine', 'sticks-after-big-message.ts'), 1);
    const failed = r.checks.filter((c) => !c.passed);
    expect(failed.map((c) => `${c.id} ${c.failure?.kind}`)).toEqual(['1.3 hung']);
    expect(failed[0]!.failure?.summary.en).not.toMatch(/still hung/);
  });

  it('a check that fails after connecting many clients is not charged to the checks after it', async () => {
    // forgets-closed-late.ts turns clients away while it still counts 11 connections, and counts a
    // closed one for 3 s more: 1.8 (12 clients) fails, and 1.10 and 1.11, on the same server, would
    // be turned away too (they are, without the restart).
    const r = await grade(1, fixtureFile('engine', 'forgets-closed-late.ts'), 1, { only: ['1.5', '1.8', '1.10', '1.11'] });
    // The client turned away sees a reset or a close, by timing: either is 1.8's failure.
    const verdicts = r.checks.map((c) => `${c.id} ${c.passed ? 'pass' : c.failure?.kind}`.replace(/ closed-early$/, ' reset'));
    expect(verdicts).toEqual(['1.5 pass', '1.8 reset', '1.10 pass', '1.11 pass']);
    // A check that fails on the fresh server says why the server was restarted (1.12's 300
    // clients, 16 at a time, meet the same cap).
    const after = await grade(1, fixtureFile('engine', 'forgets-closed-late.ts'), 1, { only: ['1.8', '1.12'] });
    expect(byId(after, '1.12').failure?.summary.en).toMatch(/\(the server was restarted after check 1\.8 failed with 12 clients connected\)$/);
    expect(byId(after, '1.12').failure?.summary.zh).toMatch(/检查 1\.8 连接了 12 个客户端后失败，之后服务器已被重启/);
  });

  it('a server that answered and then spins is told so, in the checks that make it spin only', async () => {
    // Only 4.2 and 4.8 send an empty frame, which sends zero-length-spins.ts into its endless loop.
    const r = await grade(4, fixtureFile('04-message-framing', 'zero-length-spins.ts'), 1);
    const failed = r.checks.filter((c) => !c.passed);
    expect(failed.map((c) => `${c.id} ${c.failure?.kind}`)).toEqual(['4.2 hung', '4.8 hung']);
    for (const c of failed) {
      expect(c.failure?.summary.en).toMatch(/it kept using the CPU all that time/);
      expect(c.failure?.hint?.en).toMatch(/never gets back to its event loop/);
    }
    expect(englishIn(r), 'English left in the Chinese report').toEqual([]);
  });
});
