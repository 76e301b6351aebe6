/**
 * What runs where (README, "Where it runs"). Linux is the tested platform; on macOS there is no
 * /proc, so the runner finds a listening server by connecting and asks whether a process group lives
 * with signal 0 — SOCKLAB_PRETEND_MISSING=proc (with bwrap, which macOS lacks too) takes those paths
 * here, and real gradings prove them. On Windows the grader refuses in one line (SOCKLAB_PLATFORM
 * stands in for process.platform).
 */
import { execa } from 'execa';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stages } from '../grader/stages.ts';
import { newTag, processesTagged, repoRoot } from './helpers.ts';

const bin = path.join(repoRoot, 'grader', 'bin.mjs');

function env(extra: Record<string, string>, tag = newTag()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(LANG|LC_|NO_COLOR|FORCE_COLOR|npm_config_)/.test(k)) out[k] = v;
  return { ...out, LANG: 'en_US.UTF-8', ...extra, SOCKLAB_TEST_TAG: tag };
}

/** Runs the CLI as on a Mac, and checks that nothing it started is still running. */
async function likeMacOS(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const tag = newTag();
  const r = await execa(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    env: env({ SOCKLAB_PRETEND_MISSING: 'proc,bwrap' }, tag),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
  });
  expect(processesTagged(tag), `left running after ${args.join(' ')}`).toEqual([]);
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('Windows', () => {
  it('is refused in one line that says to use WSL, with exit code 4, before anything runs', async () => {
    for (const args of [['1'], ['--list'], ['--hint', '1'], ['1', '--watch']]) {
      const r = await execa(process.execPath, [bin, ...args], { cwd: repoRoot, env: env({ SOCKLAB_PLATFORM: 'win32' }), extendEnv: false, reject: false, stdin: 'ignore' });
      expect(r.exitCode, args.join(' ')).toBe(4);
      expect(String(r.stdout)).toBe('');
      const lines = String(r.stderr).trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^socklab: Windows is not supported .*use WSL/);
    }
    // Anything else is not refused.
    const linux = await execa(process.execPath, [bin, '--list'], { cwd: repoRoot, env: env({ SOCKLAB_PLATFORM: 'linux' }), extendEnv: false, reject: false });
    expect(linux.exitCode).toBe(0);
  });
});

describe('without /proc (the macOS paths, on Linux)', () => {
  it('the switch takes effect: no socket table, no process table — group liveness by signal 0 alone', async () => {
    const probe = `
      const p = await import(${JSON.stringify(path.join(repoRoot, 'grader', 'runner', 'processes.ts'))});
      const net = await import('node:net');
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const port = server.address().port;
        console.log(JSON.stringify({
          sockets: p.listeningSockets() === undefined ? 'none' : 'some',
          host: p.listeningHost(port),
          ports: p.portsListenedByGroup(process.pid),
          children: p.descendants(process.ppid).length,
          group: p.groupMembers(process.pid),
        }));
        server.close();
      });`;
    const run = async (pretend: string): Promise<Record<string, unknown>> => {
      const r = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], {
        cwd: repoRoot,
        env: env({ SOCKLAB_PRETEND_MISSING: pretend }),
        extendEnv: false,
        detached: true, // its own process group, so groupMembers(its pid) has something to find
      });
      return JSON.parse(String(r.stdout));
    };
    const linux = await run('');
    expect(linux).toMatchObject({ sockets: 'some', host: '127.0.0.1' });
    expect(linux.children).toBeGreaterThan(0); // the probe itself, a child of this test's worker
    expect((linux.ports as number[]).length).toBe(1);
    const mac = await run('proc');
    expect(mac).toMatchObject({ sockets: 'none', host: null, ports: [], children: 0 });
    expect((mac.group as number[]).length).toBe(1); // the group exists: kill(-pgid, 0) said so
  });

  it('stage 1: the model solution passes and the untouched skeleton fails; nothing is left running', async () => {
    const pass = await likeMacOS(['1', '--solution', '--json']);
    expect(pass.exitCode, pass.stderr).toBe(0);
    const doc = JSON.parse(pass.stdout);
    expect(doc.passed).toBe(true);
    expect(doc.checks.length).toBe(stages[0]!.checks.filter((c) => !c.teacherOnly).length);
    const fail = await likeMacOS(['1', '--json']);
    expect(fail.exitCode).toBe(1);
    expect(JSON.parse(fail.stdout).score).toBe(0);
  }, 240_000);

  it('stage 2 (files, HTTP): the model solution passes', async () => {
    const r = await likeMacOS(['2', '--solution', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).passed).toBe(true);
  }, 240_000);

  it('teardown: a server that ignores SIGTERM is killed with its group, and a server that never listens is reported', async () => {
    const stubborn = await likeMacOS(['1', '--file', 'test/fixtures/01-tcp-echo/ignores-sigterm.ts', '--check', '1.1']);
    expect([0, 1]).toContain(stubborn.exitCode);
    const silent = await likeMacOS(['1', '--file', 'test/fixtures/newcomer/never-listens.ts']);
    expect(silent.exitCode).toBe(3);
    expect(silent.stdout.replace(/\s+/g, ' ')).toMatch(/did not start listening on port \d+ within 5 s/);
  }, 240_000);
});
