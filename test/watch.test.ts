/**
 * Watch mode as a learner uses it: start it on a copy of an exercise, save a change, see a new
 * result; press Enter; ask for a hint; save while a grade is running; stop with Ctrl-C (SIGINT) and
 * find nothing left running and no temporary folder left behind.
 */
import { execa, type ResultPromise } from 'execa';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { findStage } from '../grader/stages.ts';
import { newTag, processesTagged, repoRoot, solutionFile } from './helpers.ts';

const bin = path.join(repoRoot, 'grader', 'bin.mjs');
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

interface Watcher {
  child: ResultPromise;
  tag: string;
  /** The folder the learner edits (holding server.ts). */
  dir: string;
  /** The watcher's own TMPDIR: document roots the grader makes go here, so we can see them cleaned. */
  tmp: string;
  output(): string;
  /** Waits until the output, from `from` on, matches; returns the index just after the match. */
  waitFor(re: RegExp, from?: number, ms?: number): Promise<number>;
}

function startWatch(initial: string, args: string[]): Watcher {
  const base = mkdtempSync(path.join(os.tmpdir(), 'socklab-watch-test-'));
  temps.push(base);
  const dir = path.join(base, 'exercise');
  const tmp = path.join(base, 'tmp');
  mkdirSync(dir);
  mkdirSync(tmp);
  copyFileSync(initial, path.join(dir, 'server.ts'));
  const tag = newTag();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(LANG|LC_|NO_COLOR|FORCE_COLOR)/.test(k)) env[k] = v;
  const child = execa(process.execPath, [bin, '1', '--watch', '--file', path.join(dir, 'server.ts'), ...args], {
    cwd: repoRoot,
    env: { ...env, LANG: 'en_US.UTF-8', TMPDIR: tmp, SOCKLAB_TEST_TAG: tag },
    extendEnv: false,
    reject: false,
    stdin: 'pipe',
    all: true,
    buffer: false,
  });
  let out = '';
  child.all!.on('data', (c: Buffer) => (out += c.toString()));
  return {
    child,
    tag,
    dir,
    tmp,
    output: () => out,
    async waitFor(re, from = 0, ms = 60_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = re.exec(out.slice(from));
        if (m) return from + m.index + m[0].length;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in watch output:\n${out}`);
        if (child.exitCode !== null) throw new Error(`watch mode exited (${child.exitCode}) before ${re}:\n${out}`);
        await sleep(25);
      }
    },
  };
}

/** After the watcher has exited: nothing it started runs, and its temporary folders are gone. */
async function expectNothingLeft(w: Watcher): Promise<void> {
  const deadline = Date.now() + 5000;
  while (processesTagged(w.tag).length > 0 && Date.now() < deadline) await sleep(20);
  expect(processesTagged(w.tag), 'processes left running after watch mode ended').toEqual([]);
  // (tsx keeps its compile cache there too, as tsx-<uid>; that is tsx's, and meant to stay.)
  expect(readdirSync(w.tmp).filter((n) => n.startsWith('socklab-')), 'temporary folders left behind').toEqual([]);
}

const exercise = path.join(repoRoot, 'exercises', '01-tcp-echo', 'server.ts');
const silent = path.join(repoRoot, 'test', 'fixtures', 'newcomer', 'silent.ts');

it('a save shows a new result; Enter grades again; h shows a hint; Ctrl-C leaves nothing running', async () => {
  const w = startWatch(exercise, ['--check', '1.1,1.4']);
  try {
    let at = await w.waitFor(/run 1 · [\d:]+ · first run[\s\S]*?score 0\/2/);
    // Only the first failure in full: one "What happened", the other failure on its line above.
    expect(w.output().match(/What happened/g)).toHaveLength(1);
    expect(w.output()).toContain('Watching');

    copyFileSync(solutionFile('01-tcp-echo'), path.join(w.dir, 'server.ts'));
    at = await w.waitFor(/run 2 · [\d:]+ · server\.ts changed[\s\S]*?score 2\/2 · 2 of 2 checks passed/, at);
    expect(w.output().slice(at)).toContain('Stage 1 complete.');

    w.child.stdin!.write('\n');
    at = await w.waitFor(/run 3 · [\d:]+ · Enter pressed[\s\S]*?score 2\/2/, at);

    w.child.stdin!.write('h\n');
    const total = findStage(1)!.hints!.length;
    at = await w.waitFor(new RegExp(`hint 1 of ${total}`), at);

    // Not a terminal: no escape codes (no colors, no clearing), and a rule between runs instead.
    expect(w.output()).not.toMatch(/\x1b\[/);
    expect(w.output()).toContain('─'.repeat(20));

    w.child.kill('SIGINT');
    const r = await w.child;
    expect(r.exitCode).toBe(130);
    expect(w.output()).toContain('Stopped watching.');
    await expectNothingLeft(w);
  } finally {
    w.child.kill('SIGKILL');
  }
});

it('a save during a running grade abandons that grade and grades the new code', async () => {
  // Against a server that never answers, check 1.3 runs for many seconds before it gives up.
  const w = startWatch(silent, ['--check', '1.3,1.1']);
  try {
    const at = await w.waitFor(/run 1 · [\d:]+ · first run\n/);
    await sleep(500); // well inside check 1.3
    copyFileSync(solutionFile('01-tcp-echo'), path.join(w.dir, 'server.ts'));
    const end = await w.waitFor(/run 2 · [\d:]+ · server\.ts changed[\s\S]*?score 3\/3 · 2 of 2 checks passed/, at);
    // Run 1 never reported a score: it was abandoned, not waited for.
    const run1 = w.output().slice(at, w.output().indexOf('run 2 ·', at));
    expect(run1).not.toMatch(/score \d+\/\d+/);
    expect(w.output().slice(end)).toContain('Watching');

    w.child.stdin!.write('q\n'); // q Enter quits, with the last result's exit code
    const r = await w.child;
    expect(r.exitCode).toBe(0);
    await expectNothingLeft(w);
  } finally {
    w.child.kill('SIGKILL');
  }
});

it('Ctrl-C in the middle of a grade kills the server under test and removes its temporary folder', async () => {
  const w = startWatch(silent, ['--check', '1.3']);
  try {
    await w.waitFor(/run 1 · /);
    // Wait until the server under test is up (a tagged process besides the watcher itself).
    const deadline = Date.now() + 30_000;
    while (processesTagged(w.tag).length < 2 && Date.now() < deadline) await sleep(25);
    expect(processesTagged(w.tag).length).toBeGreaterThanOrEqual(2);
    expect(readdirSync(w.tmp).filter((n) => n.startsWith('socklab-'))).toHaveLength(1);
    w.child.kill('SIGINT');
    const r = await w.child;
    expect(r.exitCode).toBe(130);
    await expectNothingLeft(w);
  } finally {
    w.child.kill('SIGKILL');
  }
});
