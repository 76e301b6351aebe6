/**
 * The smoke test CI runs on every Node version learners use (.ci/run): through the real command
 * line, every solution passes, every untouched skeleton fails, Ctrl-C leaves nothing running, and
 * watch mode starts, grades and stops. The full suite runs on the machine's own Node.
 */
import { execa } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stages } from '../grader/stages.ts';
import { newTag, processesTagged, repoRoot } from './helpers.ts';

const bin = path.join(repoRoot, 'grader', 'bin.mjs');

function run(args: string[], tag: string) {
  return execa(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    env: { SOCKLAB_TEST_TAG: tag, LANG: 'C.UTF-8', NO_COLOR: '1' },
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
  });
}

async function expectNothingLeft(tag: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (processesTagged(tag).length > 0 && Date.now() < deadline) await sleep(20);
  expect(processesTagged(tag), 'processes left running').toEqual([]);
}

describe(`on Node ${process.versions.node}`, () => {
  for (const stage of stages) {
    it(`stage ${stage.number}: the solution passes and the skeleton fails`, async () => {
      const tag = newTag();
      const [solution, skeleton] = await Promise.all([run([String(stage.number), '--solution', '--json', '--seed', '1'], tag), run([String(stage.number), '--json', '--seed', '1'], tag)]);
      expect(solution.exitCode, solution.stderr || solution.stdout.slice(0, 2000)).toBe(0);
      expect(JSON.parse(solution.stdout).passed).toBe(true);
      expect(skeleton.exitCode, skeleton.stderr).toBe(1);
      const doc = JSON.parse(skeleton.stdout);
      expect(doc.score).toBe(0);
      expect(doc.checks.length).toBeGreaterThan(0);
      await expectNothingLeft(tag);
    });
  }

  it('Ctrl-C in the middle of a grade exits 130 and leaves nothing running', async () => {
    const tag = newTag();
    // A server that accepts and never answers keeps the grade busy for seconds.
    const child = run(['1', '--file', 'test/fixtures/01-tcp-echo/hangs.ts'], tag);
    await sleep(1500);
    expect(child.exitCode, 'the grade ended before Ctrl-C').toBeNull();
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode ?? 128 + 2).toBe(130);
    await expectNothingLeft(tag);
  });

  it('watch mode starts, grades, and stops on q', async () => {
    const tag = newTag();
    const child = execa(process.execPath, [bin, '1', '--watch', '--solution'], {
      cwd: repoRoot,
      env: { SOCKLAB_TEST_TAG: tag, LANG: 'C.UTF-8', NO_COLOR: '1' },
      reject: false,
      stdin: 'pipe',
      all: true,
      buffer: false,
      timeout: 120_000,
    });
    let out = '';
    child.all!.on('data', (c: Buffer) => (out += c.toString()));
    const deadline = Date.now() + 60_000;
    while (!/score \d+\/\d+/.test(out) && Date.now() < deadline && child.exitCode === null) await sleep(50);
    expect(out).toMatch(/score \d+\/\d+/);
    child.stdin!.write('q\n');
    await child;
    await expectNothingLeft(tag);
  });
});
