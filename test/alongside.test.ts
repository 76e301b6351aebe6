/**
 * Checks marked `background` (they mostly wait: a client pausing for a second, a slow reader) run
 * alongside the checks after them (engine.ts). That must change how long a grading takes, never
 * what it finds: servers that serve one client at a time, answer the wrong client, hang or crash
 * get the verdicts a one-check-at-a-time run gives them, and the report still lists the checks in
 * their order as they finish. So do servers that keep state across connections, which a check
 * running alongside others can change at any moment of theirs.
 */
import { describe, expect, it } from 'vitest';
import { stages } from '../grader/stages.ts';
import type { StageResult } from '../grader/types.ts';
import { fixtureFile, grade, solutionFile } from './helpers.ts';
import { englishIn } from './zh-words.ts';

const verdicts = (r: StageResult): string[] => r.checks.map((c) => `${c.id} ${c.points}/${c.maxPoints} ${c.passed ? 'pass' : c.failure?.kind}`);

describe('background checks run alongside the others', () => {
  it('every stage that has them also has checks to run beside them', () => {
    for (const stage of stages) {
      if (!stage.checks.some((c) => c.background)) continue;
      expect(stage.checks.filter((c) => !c.background).length, `stage ${stage.number}'s foreground checks`).toBeGreaterThan(1);
    }
    expect(stages.some((s) => s.checks.some((c) => c.background))).toBe(true);
  });

  const cases: [number, string, string][] = [
    [1, '01-tcp-echo', 'one-client-at-a-time.ts'], // the waiting client holds up everyone else
    [1, '01-tcp-echo', 'answers-latest-client.ts'],
    [1, '01-tcp-echo', 'hangs.ts'],
    [1, '01-tcp-echo', 'crashes-every-second-connection.ts'],
    [1, '01-tcp-echo', 'idle-timeout.ts'],
    [1, 'engine', 'sours-after-a-pause.ts'], // one check's pause changes how the server treats everyone
    [3, '03-routing', 'serves-one-at-a-time.ts'],
    [3, '03-routing', 'shared-buffer.ts'], // a slow client's half head is left in a buffer all connections share
    [4, '04-message-framing', 'one-queue-for-all-clients.ts'],
    [6, '06-keep-alive', 'one-connection-at-a-time.ts'],
  ];
  for (const [n, slug, name] of cases) {
    it(`${name} (stage ${n}): the same verdicts as one check at a time`, async () => {
      const order: string[] = [];
      const alongside = await grade(n, fixtureFile(slug, name), 3, { includeTeacherOnly: true, onCheck: (r) => order.push(r.id) });
      const alone = await grade(n, fixtureFile(slug, name), 3, { includeTeacherOnly: true, oneAtATime: true });
      expect(verdicts(alongside)).toEqual(verdicts(alone));
      expect(order, 'the checks as reported while grading').toEqual(alongside.checks.map((c) => c.id));
    }, 180_000);
  }

  it('a waiting check that changes how the server treats everyone runs again first, on a fresh server, and the checks after it see what it did', async () => {
    // 1.5 takes a tenth of a second, beside 1.4: it is done before 1.4's pause sours the server.
    const r = await grade(1, fixtureFile('engine', 'sours-after-a-pause.ts'), 3, { only: ['1.1', '1.4', '1.5', '1.6'] });
    expect(verdicts(r)).toEqual(['1.1 1/1 pass', '1.4 0/1 wrong', '1.5 0/1 wrong', '1.6 0/1 wrong']);
    const note = r.checks[1]!.failure!.summary;
    expect(note.en).toMatch(/\(run again on its own, on a restarted server\)$/);
    expect(note.zh).toMatch(/（在重启后的服务器上单独重跑）$/);
    expect(englishIn(r), 'English left in the Chinese report').toEqual([]);
  }, 60_000);

  it('a solution passes every check both ways', async () => {
    for (const n of [1, 8]) {
      const stage = stages.find((s) => s.number === n)!;
      for (const oneAtATime of [false, true]) {
        const r = await grade(n, solutionFile(stage.slug), 11, { includeTeacherOnly: true, oneAtATime });
        expect(r.passed, `stage ${n}${oneAtATime ? ', one at a time' : ''}: ${verdicts(r).filter((v) => !v.endsWith('pass')).join('; ')}`).toBe(true);
      }
    }
  }, 180_000);
});
