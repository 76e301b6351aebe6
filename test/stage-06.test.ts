/**
 * Stage 6 (keep-alive): the solution passes every check on many seeds, the untouched skeleton
 * fails every check fast and for the reason the stage is about, and each broken server under
 * test/fixtures/06-keep-alive/ is caught by the check its header names, with the kind of failure
 * and a piece of the explanation it names:
 *
 *   // catches: 6.3 hung
 *   // says: nothing came within
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findStage } from '../grader/stages.ts';
import { exerciseFile, explainFailures, fixtureFile, grade, repoRoot, solutionFile } from './helpers.ts';

const SLUG = '06-keep-alive';

interface FixtureHeader {
  file: string;
  check: string;
  kind: string;
  says: string;
}

/** Every fixture with its header; a fixture without one is an error, not a silent skip. */
function fixtures(): FixtureHeader[] {
  const dir = path.join(repoRoot, 'test', 'fixtures', SLUG);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      const catches = /^\/\/ catches: (\d+\.\d+) ([a-z-]+)$/m.exec(text);
      const says = /^\/\/ says: (.+)$/m.exec(text);
      if (!catches || !says) throw new Error(`${file}: no "// catches: N.k kind" and "// says: …" header`);
      return { file, check: catches[1]!, kind: catches[2]!, says: says[1]! };
    });
}

describe('stage 6: keep-alive', () => {
  it('the model solution passes every check, teacher-only ones included, for 10 seeds', async () => {
    // Two at a time: each run spends most of its time waiting (the idle checks), not computing.
    const seeds = Array.from({ length: 10 }, (_, i) => (i + 1) * 7919);
    for (let i = 0; i < seeds.length; i += 2) {
      const results = await Promise.all(seeds.slice(i, i + 2).map((seed) => grade(6, solutionFile(SLUG), seed, { includeTeacherOnly: true })));
      for (const result of results) {
        expect(result.passed, `seed ${result.seed}:\n${explainFailures(result)}`).toBe(true);
        expect(result.score).toBe(result.maxScore);
      }
    }
  });

  it('the untouched skeleton starts, fails every check because it closes the connection, and fails fast', async () => {
    const started = Date.now();
    const result = await grade(6, exerciseFile(SLUG), 1, { includeTeacherOnly: true });
    expect(result.startError).toBeUndefined();
    expect(result.score).toBe(0);
    for (const c of result.checks) {
      expect(c.failure?.kind, `${c.id}: ${c.failure?.summary.en}`).not.toBe('grader-error');
      // The skeleton is a working stage 3 server: what it lacks is the persistent connection.
      expect(c.failure?.summary.en, c.id).toMatch(/closed the connection|closed within 100 ms|Connection header is "close"|idle for only/);
    }
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  const all = fixtures();

  it('has at least ten broken servers, each aimed at a check the stage has', () => {
    expect(all.length).toBeGreaterThanOrEqual(10);
    const ids = new Set(findStage(6)!.checks.map((c) => c.id));
    for (const f of all) expect(ids, f.file).toContain(f.check);
  });

  it.concurrent.each(all.map((f) => [f.file, f.check, f.kind, f.says] as const))('%s is caught by %s (%s)', async (file, check, kind, says) => {
    const result = await grade(6, fixtureFile(SLUG, file), 42, { only: [check], includeTeacherOnly: true });
    const c = result.checks.find((x) => x.id === check)!;
    expect(c.passed, explainFailures(result)).toBe(false);
    expect(c.failure?.kind, c.failure?.summary.en).toBe(kind);
    const told = [c.failure?.summary.en, c.failure?.expected?.en, c.failure?.hint?.en].join('\n');
    expect(told).toContain(says);
    // Every failure comes with a replay that works anywhere (no OpenBSD-only `nc -N`).
    expect(c.failure?.reproduce ?? '', `${check} of ${file}`).not.toMatch(/nc -N/);
  });

  it('an out-of-order answer names the request it really answers, or the response written into another', async () => {
    const result = await grade(6, fixtureFile(SLUG, 'file-stream-not-awaited.ts'), 5, { only: ['6.5'] });
    const f = result.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/the responses came out of order|the head of another response begins/);
    expect(f.summary.zh).toMatch(/顺序乱了|另一个响应的头部/);
  });

  it('a HEAD answered with a body is explained as such, where the next response should have begun', async () => {
    const result = await grade(6, fixtureFile(SLUG, 'head-sends-body.ts'), 3, { only: ['6.4'] });
    const f = result.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/^the response to GET \S+ \(request 3 of \d on this connection\): where it should begin, the bytes that arrived look like the body of \S+ — the response to HEAD \S+ was followed by a body/);
    expect(f.caret?.line).toBeDefined();
  });
});
