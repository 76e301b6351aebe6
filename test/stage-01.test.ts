/**
 * Stage 1 (TCP echo): the solution passes every check on many seeds, the untouched skeleton fails,
 * and each deliberately broken server is caught by the check written for its bug.
 */
import { describe, expect, it } from 'vitest';
import { exerciseFile, explainFailures, failedIds, fixtureFile, grade, solutionFile } from './helpers.ts';

const SLUG = '01-tcp-echo';

describe('stage 1: TCP echo', () => {
  it('the model solution passes every check for 20 seeds', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const result = await grade(1, solutionFile(SLUG), seed * 7919);
      expect(result.passed, `seed ${seed * 7919}:\n${explainFailures(result)}`).toBe(true);
      expect(result.score).toBe(result.maxScore);
    }
  });

  it('the untouched skeleton starts, fails every check, and fails fast', async () => {
    const result = await grade(1, exerciseFile(SLUG));
    expect(result.startError).toBeUndefined();
    expect(result.score).toBe(0);
    expect(result.checks.every((c) => !c.passed)).toBe(true);
    // It hangs up at once, so nothing should have waited out a bound.
    expect(result.checks.every((c) => c.failure?.kind === 'closed-early')).toBe(true);
  });

  // One bug each; the check meant to catch it, and how the failure should be described.
  const fixtures: [file: string, check: string, kind: string][] = [
    ['adds-newline.ts', '1.1', 'wrong'],
    ['hangs.ts', '1.1', 'hung'],
    ['floods.ts', '1.1', 'flooded'],
    ['decodes-as-text.ts', '1.2', 'wrong'],
    ['echoes-only-at-end.ts', '1.3', 'hung'],
    ['single-read-then-close.ts', '1.4', 'closed-early'],
    ['exits-when-client-leaves.ts', '1.7', 'crashed'],
    ['one-client-at-a-time.ts', '1.8', 'hung'],
    ['never-closes-after-fin.ts', '1.9', 'not-closed'],
    ['destroys-on-end.ts', '1.9', 'closed-early'],
    ['crashes-on-reset.ts', '1.10', 'crashed'],
    ['exits-on-empty-connection.ts', '1.11', 'crashed'],
  ];

  it.concurrent.each(fixtures)('%s is caught by check %s (%s)', async (file, check, kind) => {
    const result = await grade(1, fixtureFile(SLUG, file), 42);
    expect(failedIds(result)).toContain(check);
    expect(result.checks.find((c) => c.id === check)?.failure?.kind).toBe(kind);
    expect(result.passed).toBe(false);
  });

  it('a server that only sabotages its own exits is not blamed on the wrong check', async () => {
    // exits-when-client-leaves echoes correctly; only "one client after another" and the checks that
    // need a second connection after the first leaves may fail — not the single-connection ones.
    const result = await grade(1, fixtureFile(SLUG, 'exits-when-client-leaves.ts'), 3);
    expect(failedIds(result).sort()).toEqual(['1.10', '1.11', '1.7'].sort());
  });

  it('a server that never listens is reported as such, with its exit-free wait bounded', async () => {
    const started = Date.now();
    const result = await grade(1, fixtureFile(SLUG, 'never-listens.ts'), 1, { listenTimeoutMs: 1500 });
    expect(result.startError?.kind).toBe('never-listened');
    expect(result.startError?.text.en).toMatch(/did not start listening on port \d+ within 1.5 s — does it read process.env.PORT/);
    expect(result.score).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a server that ignores PORT is told which port it listens on instead', async () => {
    const result = await grade(1, fixtureFile(SLUG, 'ignores-port.ts'), 1, { listenTimeoutMs: 1500 });
    expect(result.startError?.kind).toBe('never-listened');
    expect(result.startError?.text.en).toMatch(/listening on port 9123, but the grader gave it PORT=\d+/);
    expect(result.startError?.text.zh).toMatch(/9123/);
  });

  it('failure details carry the transcript, the expectation, a hint and a reproduce command', async () => {
    const result = await grade(1, fixtureFile(SLUG, 'adds-newline.ts'), 5, { only: ['1.1'] });
    const f = result.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/after the expected bytes, the server sent 1 more: "\\n"/);
    expect(f.wire?.writes).toBe(1);
    expect(f.wire?.sentPreview).toMatch(/^"hello, socklab [a-z]+\\n"$/);
    expect(f.hint?.en).toMatch(/no added newline/);
    expect(f.reproduce).toMatch(/^printf 'hello, socklab [a-z]+\\n' \| nc -N 127\.0\.0\.1 9000$/);
  });

  it('a binary mismatch names the first differing offset with a hex window', async () => {
    const result = await grade(1, fixtureFile(SLUG, 'decodes-as-text.ts'), 5, { only: ['1.2'] });
    const f = result.checks[0]!.failure!;
    expect(f.diff?.[0]).toMatch(/expected 256 bytes, received \d+; first difference at offset \d+/);
    expect(f.diff?.[2]).toMatch(/received .*\[ef\]/); // U+FFFD, the replacement character, starts with ef
  });

  it('the same seed gives the same inputs', async () => {
    const a = await grade(1, fixtureFile(SLUG, 'adds-newline.ts'), 99, { only: ['1.1'] });
    const b = await grade(1, fixtureFile(SLUG, 'adds-newline.ts'), 99, { only: ['1.1'] });
    expect(a.checks[0]!.failure?.wire?.sentPreview).toBe(b.checks[0]!.failure?.wire?.sentPreview);
  });
});
