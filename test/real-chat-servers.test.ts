/**
 * A correct chat room written another way — Python's asyncio, graded through --cmd — passes stage 5:
 * the checks hold a server to the contract, not to the model solution's style.
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import { explainFailures, grade, has, repoRoot } from './helpers.ts';

it.skipIf(!has('python3'))('a chat room in Python (asyncio, through --cmd) passes stage 5', async () => {
  const script = path.join(repoRoot, 'test', 'fixtures', 'python', 'chat-room.py');
  for (const seed of [1, 2]) {
    const r = await grade(5, { kind: 'shell', command: `exec python3 ${script} {port}` }, seed, { includeTeacherOnly: true });
    expect(r.passed, `seed ${seed}:\n${explainFailures(r)}`).toBe(true);
  }
});
