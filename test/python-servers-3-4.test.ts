/**
 * Correct servers written in other styles — Python, graded through --cmd — pass every check of
 * stages 3 and 4: the checks hold a server to the contract, not to the model solution's style. A
 * file server with blocking sockets and a thread per connection; framing servers on asyncio streams
 * (a coroutine per client) and on selectors (one thread, an event loop by hand).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainFailures, grade, has, repoRoot } from './helpers.ts';

const python = has('python3');
if (!python) console.warn('SKIPPED: python3 is not installed; the Python servers need it');

const script = (name: string): string => path.join(repoRoot, 'test', 'fixtures', 'python', name);

const servers: [stage: number, what: string, command: string][] = [
  [3, 'a file server with a thread per connection', `exec python3 ${script('static-server.py')} {port} {root}`],
  [4, 'a framing server on asyncio streams', `exec python3 ${script('framing-asyncio.py')} {port}`],
  [4, 'a framing server on selectors', `exec python3 ${script('framing-selectors.py')} {port}`],
];

describe.skipIf(!python)("correct servers in Python, stages 3 and 4", () => {
  for (const [stage, what, command] of servers) {
    it(`${what} passes stage ${stage}`, async () => {
      for (const seed of [1, 2]) {
        const r = await grade(stage, { kind: 'shell', command }, seed, { includeTeacherOnly: true });
        expect(r.passed, `seed ${seed}:\n${explainFailures(r)}`).toBe(true);
      }
    });
  }
});
