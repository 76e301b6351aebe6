/**
 * Stage 6's own explanations: a keep-alive failure names the request a response really answers.
 * (Solution, skeleton and fixtures are covered for every stage by test/stages.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { fixtureFile, grade } from './helpers.ts';

const SLUG = '06-keep-alive';

describe('stage 6: keep-alive messages', () => {
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
