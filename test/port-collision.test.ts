/**
 * Two gradings at once (a teacher's class, two terminals, vitest's workers) can be handed the same
 * port: get-port cannot reserve one across processes. Then the first server to listen has it, and
 * the other grading must neither grade that server nor, at teardown, kill it as one of its own.
 * Here the "other grading's server" is a plain listener started with another STATIC_DIR, and
 * get-port is made to hand its port out first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stopTree, track, untrack } from '../grader/runner/processes.ts';
import { grade, has, solutionFile } from './helpers.ts';

let collide: number | undefined;
vi.mock('get-port', async (importOriginal) => {
  const real = (await importOriginal<typeof import('get-port')>()).default;
  return {
    ...(await importOriginal<typeof import('get-port')>()),
    default: async (o?: Parameters<typeof real>[0]) => {
      const port = collide;
      collide = undefined;
      return port ?? real(o);
    },
  };
});

/** A server of "another grading": answers every connection with FOREIGN and says so on stdout. */
async function foreignServer(): Promise<{ child: ChildProcess; port: number; connections: () => number }> {
  const code = `
    const s = require('node:net').createServer((c) => { process.stdout.write('conn\\n'); c.on('error', () => {}); c.end('FOREIGN\\n'); });
    s.listen(0, '127.0.0.1', () => process.stdout.write('port ' + s.address().port + '\\n'));
  `;
  const child = spawn(process.execPath, ['-e', code], { env: { ...process.env, STATIC_DIR: '/tmp/socklab-another-grading', PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the stand-in server did not listen')), 5000);
    child.stdout!.on('data', () => {
      const m = /port (\d+)/.exec(out);
      if (m) (clearTimeout(timer), resolve(Number(m[1])));
    });
  });
  return { child, port, connections: () => out.split('\n').filter((l) => l === 'conn').length };
}

const stillListens = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });

let running: ChildProcess | undefined;
afterEach(() => {
  running?.kill('SIGKILL');
  running = undefined;
});

describe("a port another grading's server already holds", () => {
  for (const pretend of ['', 'bwrap']) {
    const how = pretend ? 'without bubblewrap (port holders are hunted at teardown)' : 'in a pid namespace';
    it.runIf(pretend || has('bwrap'))(`is neither graded nor killed; the grading moves to another port, ${how}`, async () => {
      const foreign = await foreignServer();
      running = foreign.child;
      collide = foreign.port;
      const before = process.env.SOCKLAB_PRETEND_MISSING;
      process.env.SOCKLAB_PRETEND_MISSING = pretend;
      try {
        const r = await grade(1, solutionFile('01-tcp-echo'), 1, { only: ['1.1', '1.2'] });
        expect(r.startError).toBeUndefined();
        expect(r.checks.map((c) => [c.id, c.passed])).toEqual([['1.1', true], ['1.2', true]]);
      } finally {
        if (before === undefined) delete process.env.SOCKLAB_PRETEND_MISSING;
        else process.env.SOCKLAB_PRETEND_MISSING = before;
      }
      expect(collide, 'get-port handed out the taken port').toBeUndefined();
      expect(foreign.connections(), "connections made to the other grading's server").toBe(0);
      expect(await stillListens(foreign.port), "the other grading's server still runs").toBe(true);
    });
  }
});

describe('teardown of a server whose port another grading now holds', () => {
  it("stops the server's own processes and leaves the other grading's server running", async () => {
    const foreign = await foreignServer();
    running = foreign.child;
    // Our server has gone quiet on its port, which the other grading's server took meanwhile:
    // teardown looks for holders of that port (a daemon of ours would be one), and must see that
    // this one was started for another document root.
    const ours = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env: { ...process.env, STATIC_DIR: '/tmp/socklab-this-grading' } });
    track(ours.pid!, { port: foreign.port, contained: false, root: '/tmp/socklab-this-grading' });
    try {
      await stopTree(ours.pid!, 200);
    } finally {
      untrack(ours.pid!);
    }
    const exited = ours.exitCode !== null || ours.signalCode !== null || (await new Promise<boolean>((r) => (ours.once('exit', () => r(true)), setTimeout(() => r(false), 2000))));
    expect(exited, "the server's own process was stopped").toBe(true);
    expect(await stillListens(foreign.port), "the other grading's server still runs").toBe(true);
  });
});
