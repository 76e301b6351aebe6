/**
 * Nothing left behind: whatever happens to a grading run — it finishes, the learner presses Ctrl-C,
 * it is terminated, or it is killed outright — no server it started keeps running.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureFile, grade, newTag, processesTagged, repoRoot } from './helpers.ts';

const hangs = fixtureFile('01-tcp-echo', 'hangs.ts');

async function until<T>(probe: () => T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Starts the real CLI grading a hanging server, and waits until that server is running. */
async function startGrading(extraArgs: string[] = []) {
  const tag = newTag();
  const cli = spawn(process.execPath, ['grader/bin.mjs', '1', '--file', hangs, ...extraArgs], {
    cwd: repoRoot,
    env: { ...process.env, SOCKLAB_TEST_TAG: tag, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  cli.stdout.on('data', (d) => (output += d));
  cli.stderr.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => cli.on('exit', (code, signal) => resolve({ code, signal })));
  started.push(tag);
  const isServer = (pid: number): boolean => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('watchdog.mjs');
    } catch {
      return false; // a short-lived process (a probe) that exited as we looked
    }
  };
  const serverPid = await until(() => processesTagged(tag).find(isServer), 15_000, 'the server to start');
  const root = readFileSync(`/proc/${serverPid}/environ`, 'utf8').split('\0').find((kv) => kv.startsWith('STATIC_DIR='))!.slice('STATIC_DIR='.length);
  // Let a check get under way, with connections open, before we interrupt.
  await until(() => (output.includes('1.1') ? true : undefined), 15_000, 'the first check to finish');
  return { cli, tag, exited, root, output: () => output };
}

const started: string[] = [];

// If a test fails half-way, don't let its grader and server outlive it.
afterEach(() => {
  for (const tag of started.splice(0)) {
    for (const pid of processesTagged(tag)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
});

describe('teardown', () => {
  it('Ctrl-C (SIGINT) stops the grader with exit code 130 and leaves no server or temp folder', async () => {
    const run = await startGrading();
    expect(existsSync(run.root)).toBe(true);
    run.cli.kill('SIGINT');
    const exit = await run.exited;
    expect(exit.code).toBe(130);
    expect(processesTagged(run.tag)).toEqual([]);
    expect(existsSync(run.root)).toBe(false);
    expect(run.output()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('SIGTERM stops the grader with exit code 143 and leaves nothing', async () => {
    const run = await startGrading();
    run.cli.kill('SIGTERM');
    expect((await run.exited).code).toBe(143);
    expect(processesTagged(run.tag)).toEqual([]);
  });

  it('even when the grader is killed outright (SIGKILL), its server goes away on its own', async () => {
    const run = await startGrading();
    run.cli.kill('SIGKILL');
    await run.exited;
    // No handler can run on SIGKILL: the server notices its lifeline (stdin) closing and exits.
    await until(() => (processesTagged(run.tag).length === 0 ? true : undefined), 5000, 'the orphaned server to exit');
    // A killed grader cannot remove its temporary document root; the next run's tests would see it.
    rmSync(run.root, { recursive: true, force: true });
  });

  it('a server that ignores SIGTERM and starts a child of its own is still fully removed', async () => {
    const result = await grade(1, fixtureFile('01-tcp-echo', 'ignores-sigterm.ts'), 1, { only: ['1.1'] });
    expect(result.passed).toBe(true); // grade() itself asserts no tagged process remains
  });

  it('a --cmd server (a shell and its children) is removed as a whole process group', async () => {
    const result = await grade(1, { kind: 'shell', command: `sh -c 'sleep 600 & exec ${process.execPath} ${path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs')} ${fixtureFile('01-tcp-echo', 'hangs.ts')}'` }, 1, {
      only: ['1.1'],
    });
    expect(result.passed).toBe(false);
  });
});
