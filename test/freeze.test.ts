/**
 * Check 2.8 stops the server (SIGSTOP) for a moment so that a request and its FIN reach it
 * together. A stopped server cannot notice that its grader died, so a guard lets it run again if the
 * grader is killed while it is stopped (grader/runner/processes.ts, freezeGroup); the server then
 * ends itself as any orphaned server does. Here the grader is killed with SIGKILL at that moment.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { freezeGroup } from '../grader/runner/processes.ts';
import { fixtureFile, repoRoot } from './helpers.ts';

/** A process's state letter from /proc: "T" while stopped; undefined once it is gone. */
function state(pid: number): string | undefined {
  try {
    return /^\d+ \(.*\) (\S)/s.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

async function until(probe: () => boolean, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(10)) if (probe()) return true;
  return probe();
}

it('a server stopped by a grader that is then killed outright runs again', async () => {
  const grader = spawn(process.execPath, ['--import', 'tsx', fixtureFile('engine', 'freezes-and-waits.ts')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  grader.stdout.on('data', (d) => (out += d));
  expect(await until(() => out.includes('\n'), 15_000), 'the stand-in grader to report').toBe(true);
  const { server, frozen } = JSON.parse(out) as { server: number; frozen: boolean };
  try {
    expect(frozen).toBe(true);
    expect(state(server), 'the server while stopped').toBe('T');
    grader.kill('SIGKILL');
    expect(await until(() => state(server) !== 'T', 5_000), 'the server to run again after its grader died').toBe(true);
  } finally {
    grader.kill('SIGKILL');
    try {
      process.kill(-server, 'SIGKILL');
    } catch {
      // gone
    }
  }
}, 30_000);

it('letting a stopped server run again leaves no guard behind', async () => {
  const server = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  try {
    await sleep(100);
    const release = await freezeGroup(server.pid!);
    expect(release).toBeDefined();
    expect(state(server.pid!)).toBe('T');
    release!();
    expect(await until(() => state(server.pid!) !== 'T', 5_000), 'the server to run again').toBe(true);
    const shells = (): number => readFileSync('/proc/self/task/' + process.pid + '/children', 'utf8').split(' ').filter((p) => p && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('kill -s CONT')).length;
    expect(await until(() => shells() === 0, 5_000), 'the guard to be gone').toBe(true);
  } finally {
    server.kill('SIGKILL');
  }
}, 30_000);
