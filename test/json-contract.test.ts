/**
 * The JSON output is a contract that scripts, CI and teachers read: these names must not change.
 * One stage → {stage, title, seed, score, maxScore, passed, checks[{id, title, passed, points,
 * maxPoints, message}]}; several → {seed, score, maxScore, passed, stages[…]}.
 */
import { describe, expect, it } from 'vitest';
import { courseToJson, stageToJson } from '../grader/report/json.ts';
import { fixtureFile, grade, solutionFile } from './helpers.ts';

describe('--json contract', () => {
  it('one stage keeps the agreed names, and a failed check says why in "message"', async () => {
    const failing = await grade(1, fixtureFile('01-tcp-echo', 'adds-newline.ts'), 123, { only: ['1.1', '1.4'] });
    const doc = stageToJson(failing, 'en') as Record<string, unknown>;
    expect(doc).toMatchObject({ stage: 1, title: 'TCP echo', seed: 123, score: 0, maxScore: 2, passed: false });
    const checks = doc.checks as Record<string, unknown>[];
    expect(checks.map((c) => c.id)).toEqual(['1.1', '1.4']);
    for (const c of checks) {
      expect(Object.keys(c)).toEqual(expect.arrayContaining(['id', 'title', 'passed', 'points', 'maxPoints', 'message']));
      expect(c).toMatchObject({ passed: false, points: 0, maxPoints: 1 });
      expect(c.message).toMatch(/\S/);
    }
    expect(checks[0]!.message).toMatch(/sent 1 more/);
    // The same document in Chinese: names stay, words change.
    const zh = stageToJson(failing, 'zh-CN') as { title: string; checks: { message: string }[] };
    expect(zh.title).toBe('TCP 回显');
    expect(zh.checks[0]!.message).toMatch(/多发了 1 字节/);
  });

  it('several stages nest under "stages" with the totals on top', async () => {
    const one = await grade(1, solutionFile('01-tcp-echo'), 9, { only: ['1.1'] });
    const doc = courseToJson([one, one], 9, 'en') as Record<string, unknown>;
    expect(doc).toMatchObject({ seed: 9, score: 2, maxScore: 2, passed: true });
    expect((doc.stages as unknown[]).length).toBe(2);
    expect((doc.stages as Record<string, unknown>[])[0]).toMatchObject({ stage: 1, passed: true, score: 1 });
  });
});
