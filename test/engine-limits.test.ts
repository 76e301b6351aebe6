/**
 * Resource limits in every mode: whatever confines a server (bubblewrap, the shell watchdog, a
 * class sandbox's own wrapper) and however the limits are set (prlimit, or the shell's ulimit where
 * prlimit is missing), the server itself runs with at most 256 open files and a 1 GiB data
 * segment (more on a Node that cannot start under it) — and a descriptor leak runs into that
 * limit and fails check 1.12, saying what ran out.
 */
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stageToJson } from '../grader/report/json.ts';
import { DATA_BYTES, OPEN_FILES, limitsPrefix } from '../grader/runner/limits.ts';
import { startServer, type ServerCommand, type StartOptions } from '../grader/runner/server.ts';
import { fixtureFile, grade, repoRoot } from './helpers.ts';

const reporter = path.join(repoRoot, 'test', 'fixtures', 'engine', 'reports-limits.ts');
const pretendBefore = process.env.SOCKLAB_PRETEND_MISSING;

afterEach(() => {
  if (pretendBefore === undefined) delete process.env.SOCKLAB_PRETEND_MISSING;
  else process.env.SOCKLAB_PRETEND_MISSING = pretendBefore;
});

/** Starts a server, asks it for its limits, stops it. */
async function limitsSeenBy(cmd: ServerCommand, opts: Partial<StartOptions> = {}): Promise<{ text: string; via: string | undefined }> {
  const server = await startServer(cmd, { root: repoRoot, cwd: repoRoot, ...opts });
  try {
    const text = await new Promise<string>((resolve, reject) => {
      let got = '';
      const s = net.connect({ host: server.host, port: server.port });
      s.on('data', (d) => (got += d));
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
    return { text, via: server.limits?.via };
  } finally {
    await server.stop();
  }
}

/** The memory limit: 1 GiB, or more on a Node whose V8 needs more to start (its probe says). */
const dataBytes = (): number => limitsPrefix().limits.dataBytes;

const expectLimited = (text: string): void => {
  expect(text).toMatch(new RegExp(`^Max open files\\s+${OPEN_FILES}\\s+${OPEN_FILES}\\s`, 'm'));
  expect(dataBytes()).toBeGreaterThanOrEqual(DATA_BYTES);
  expect(text).toMatch(new RegExp(`^Max data size\\s+${dataBytes()}\\s+${dataBytes()}\\s`, 'm'));
};

describe('every server runs under the limits', () => {
  const file: ServerCommand = { kind: 'file', file: reporter };
  const shell: ServerCommand = { kind: 'shell', command: `exec ${process.execPath} --import tsx ${reporter}` };

  it('a TypeScript server, through prlimit', async () => {
    const { text, via } = await limitsSeenBy(file);
    expectLimited(text);
    expect(via).toBe('prlimit');
  });

  it('a --cmd server, without bubblewrap and without prlimit (the shell watchdog and ulimit)', async () => {
    process.env.SOCKLAB_PRETEND_MISSING = 'bwrap,prlimit';
    const { text, via } = await limitsSeenBy(shell);
    expectLimited(text);
    expect(via).toBe('ulimit');
  });

  it('a TypeScript server without prlimit, in its pid namespace (ulimit inside bubblewrap)', async () => {
    process.env.SOCKLAB_PRETEND_MISSING = 'prlimit';
    const { text, via } = await limitsSeenBy(file);
    expectLimited(text);
    expect(via).toBe('ulimit');
  });

  it('a server that a sandbox wraps (class mode, Gradescope): the limits sit inside its wrapper', async () => {
    const wrapped: string[][] = [];
    const { text } = await limitsSeenBy(file, { wrap: (argv) => (wrapped.push(argv), ['/bin/sh', '-c', 'exec "$@"', 'sandbox', ...argv]) });
    expectLimited(text);
    expect(path.basename(wrapped[0]![0]!)).toBe('prlimit');
  });

  it('the stage result and --json say which limits were in force', async () => {
    const r = await grade(1, fixtureFile('01-tcp-echo', 'hangs.ts'), 1, { only: ['1.1'] });
    expect(r.limits).toEqual({ openFiles: OPEN_FILES, dataBytes: dataBytes(), via: 'prlimit' });
    expect(stageToJson(r, 'en')).toMatchObject({ limits: { openFiles: OPEN_FILES, dataBytes: dataBytes() } });
  });
});

describe('a descriptor leak', () => {
  const leak = fixtureFile('01-tcp-echo', 'leaks-departed-clients.ts');

  for (const pretend of ['', 'prlimit,bwrap']) {
    it(`fails 1.12, saying what ran out and after how many clients${pretend ? ' (with ulimit, no bubblewrap)' : ''}`, async () => {
      if (pretend) process.env.SOCKLAB_PRETEND_MISSING = pretend;
      const r = await grade(1, leak, 1, { only: ['1.12'] });
      const c = r.checks[0]!;
      expect(c.passed).toBe(false);
      expect(c.failure!.kind).toBe('closed-early');
      // The client the server could no longer take, the count before it, and what ran out.
      expect(c.failure!.summary.en).toMatch(/client (\d+) of 300: .* — after (\d+) clients had each been answered and had left/);
      const [, nth, before] = /client (\d+) of 300: .* — after (\d+) clients/.exec(c.failure!.summary.en)!;
      expect(Number(nth)).toBeGreaterThan(OPEN_FILES - 60);
      expect(Number(nth)).toBeLessThanOrEqual(OPEN_FILES);
      expect(Number(before)).toBeLessThan(Number(nth));
      expect(c.failure!.summary.en).toMatch(/had \d+ files open, and may have at most 256: .*EMFILE: too many open files/);
      expect(c.failure!.summary.zh).toMatch(/EMFILE/);
    });
  }
});
