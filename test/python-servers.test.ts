/**
 * Servers written in Python, graded through --cmd, hold the checks of stages 1 and 2 to the
 * contract rather than to the model solution's style: correct servers in other styles (asyncio
 * streams; one thread with non-blocking sockets and a selectors loop) pass every check, teacher-only
 * included, and two classic bugs that only show in C and Python — send() taken to send everything,
 * a blocking sendall() in a single-threaded loop — fail the check made for them, and only that one.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainFailures, failedIds, grade, has, repoRoot } from './helpers.ts';

const script = (name: string): string => `exec python3 ${path.join(repoRoot, 'test', 'fixtures', 'python', name)} {port}`;
const python = has('python3');
if (!python) console.warn('SKIPPED: python3 is not installed; the Python servers need it');

describe.skipIf(!python)('correct servers in Python', () => {
  for (const [stage, name] of [
    [1, 'echo-asyncio.py'],
    [1, 'echo-selectors.py'],
    [2, 'fixed-page-asyncio.py'],
  ] as const) {
    it(`${name} passes every check of stage ${stage}`, async () => {
      for (const seed of [1, 2]) {
        const r = await grade(stage, { kind: 'shell', command: script(name) }, seed, { includeTeacherOnly: true });
        expect(r.passed, `seed ${seed}:\n${explainFailures(r)}`).toBe(true);
      }
    });
  }
});

describe.skipIf(!python)('broken servers in Python', () => {
  it('echo-send-ignores-count.py loses bytes once the client reads slowly: 1.3 says so', async () => {
    const r = await grade(1, { kind: 'shell', command: script('echo-send-ignores-count.py') }, 3);
    const c13 = r.checks.find((c) => c.id === '1.3')!;
    expect(c13.passed, explainFailures(r)).toBe(false);
    expect(c13.failure?.kind).toBe('wrong');
    expect(c13.failure?.summary.en).toMatch(/differ from what we sent, from byte \d+ on/);
    expect(c13.failure?.hint?.en).toMatch(/send\(\) may send only part/);
    // Everything that fits in the socket buffers still works.
    for (const id of ['1.1', '1.2', '1.4', '1.5', '1.6', '1.7', '1.10', '1.11']) expect(failedIds(r), explainFailures(r)).not.toContain(id);
  });

  it('echo-blocks-on-one-client.py stops everyone when one client stops reading: only 1.8 fails', async () => {
    const r = await grade(1, { kind: 'shell', command: script('echo-blocks-on-one-client.py') }, 3);
    expect(failedIds(r), explainFailures(r)).toEqual(['1.8']);
    const f = r.checks.find((c) => c.id === '1.8')!.failure!;
    expect(f.kind).toBe('hung');
    expect(f.summary.en).toMatch(/sent while client 1 was not reading its echo/);
    // The transcript shown is the waiting client's: it sent, and nothing came back.
    expect(f.wire?.receivedBytes).toBe(0);
  });
});
