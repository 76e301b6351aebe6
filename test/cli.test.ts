/**
 * The grader as a newcomer meets it: the real CLI in a subprocess (`node grader/bin.mjs`), its exit
 * codes, its one-line answers to the usual first mistakes, its languages, and the commands it tells
 * people to paste — some of which these tests paste.
 */
import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { stages } from '../grader/stages.ts';
import { forTrack } from '../grader/track.ts';
import { newTag, processesTagged, repoRoot } from './helpers.ts';

const bin = path.join(repoRoot, 'grader', 'bin.mjs');
const fixture = (name: string): string => path.join('test', 'fixtures', 'newcomer', name);
const ANSI = /\x1b\[/;
const CJK = /[\u4e00-\u9fff]/;

const temps: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'socklab-cli-test-'));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** The environment of a learner with an English locale and no color preference, plus a test tag. */
function learnerEnv(extra: Record<string, string> = {}, tag = newTag()): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(LANG|LC_|NO_COLOR|FORCE_COLOR|npm_config_json|npm_config_verbose)/.test(k)) env[k] = v;
  }
  return { ...env, LANG: 'en_US.UTF-8', ...extra, SOCKLAB_TEST_TAG: tag };
}

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
  all: string;
}

/** Runs the CLI to completion and checks that nothing it started is still running. */
async function cli(args: string[], opts: { env?: Record<string, string>; cwd?: string; nodeArgs?: string[]; binPath?: string } = {}): Promise<Run> {
  const tag = newTag();
  const r = await execa(process.execPath, [...(opts.nodeArgs ?? []), opts.binPath ?? bin, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: learnerEnv(opts.env, tag),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    all: true,
    timeout: 90_000,
  });
  expect(processesTagged(tag), 'processes left running by the CLI').toEqual([]);
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), all: String(r.all) };
}

/** The output with line wrapping undone, so a message can be matched whatever the width. */
const unwrapped = (text: string): string => text.replace(/\s*\n\s*/g, ' ');

/** No grader internals may leak into what a learner reads. */
function expectNoGraderStack(text: string): void {
  expect(text).not.toMatch(/^\s+at .*(grader[\\/]|node:internal)/m);
  expect(text).not.toMatch(/internal grader error/);
}

/** Starts a pasted "terminal 1" command (9000 already replaced) and waits until the port answers. */
async function startByHand(command: string, port: number, tag: string): Promise<{ child: ResultPromise }> {
  const child = execa('/bin/sh', ['-c', command], { cwd: repoRoot, env: learnerEnv({}, tag), extendEnv: false, detached: true, reject: false, stdin: 'ignore' });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return { child }; // wrapped: an async function returning the (thenable) child would wait for it to exit
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`by-hand server did not listen on ${port}: ${command}`);
    await sleep(50);
  }
}

async function stopByHand({ child }: { child: ResultPromise }, tag: string): Promise<void> {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
  await child;
  const deadline = Date.now() + 5000;
  while (processesTagged(tag).length > 0 && Date.now() < deadline) await sleep(20);
  expect(processesTagged(tag)).toEqual([]);
}

/** Runs a pasted client command with the learner's port 9000 swapped for ours. */
async function paste(command: string, port: number): Promise<{ stdout: string; exitCode: number }> {
  const r = await execa('/bin/sh', ['-c', command.replaceAll('connect(9000,', `connect(${port},`)], { cwd: repoRoot, reject: false, timeout: 20_000, stdin: 'ignore', encoding: 'buffer', stripFinalNewline: false });
  return { stdout: Buffer.from(r.stdout as Uint8Array).toString('latin1'), exitCode: r.exitCode ?? -1 };
}

const hasScript = existsSync('/usr/bin/script');

describe('command line', () => {
  it('--help explains itself, in Chinese too', async () => {
    const en = await cli(['--help']);
    expect(en.exitCode).toBe(0);
    expect(en.stdout).toContain('npm run grade -- 3 --watch');
    const zh = await cli(['--help', '--lang', 'zh-CN']);
    expect(zh.stdout).toContain('用法');
  });

  it('--list lists every stage from the stage list', async () => {
    const r = await cli(['--list']);
    expect(r.exitCode).toBe(0);
    for (const s of stages) expect(r.stdout).toContain(s.title.en);
    const zh = await cli(['--list'], { env: { LANG: 'zh_CN.UTF-8' } });
    for (const s of stages) expect(zh.stdout).toContain(s.title.zh);
  });

  it('an unknown stage is a usage error (exit 2) in one line that lists the stages', async () => {
    const r = await cli(['99']);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown stage '99'.*--list/);
  });

  it('a bad flag is a usage error (exit 2) that points at --help', async () => {
    const r = await cli(['1', '--frobnicate']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--frobnicate');
    expect(r.stderr).toContain('--help');
    expectNoGraderStack(r.all);
  });

  it('--file pointing at nothing is a usage error (exit 2) naming the path', async () => {
    const r = await cli(['1', '--file', 'exercises/01-tcp-echo/sever.ts']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('file not found: exercises/01-tcp-echo/sever.ts');
  });

  it('--watch without a stage, and hint for a stage that does not exist, are usage errors', async () => {
    const w = await cli(['--watch']);
    expect(w.exitCode).toBe(2);
    expect(w.stderr).toContain('npm run grade -- 1 --watch');
    const h = await cli(['--hint', '99']);
    expect(h.exitCode).toBe(2);
    expect(h.stderr).toContain("unknown stage '99'");
  });
});

describe('npm run hint', () => {
  const stage1 = stages.find((s) => s.number === 1)!;
  const total = stage1.hints?.length ?? 0;

  it('without a terminal, shows hint 1 only and the command for the next', async () => {
    expect(total).toBeGreaterThan(1);
    const r = await cli(['--hint', '1']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`hint 1 of ${total}`);
    expect(r.stdout).not.toContain(`hint 2 of ${total}`);
    expect(unwrapped(r.stdout)).toContain(unwrapped(forTrack(stage1.hints![0]!, 'typescript').en));
    expect(r.stdout).toContain('Next hint: npm run hint 1 2');
  });

  it('npm run hint 1 2 (no "--" needed) shows hint 2; the last one says it is the last', async () => {
    const tag = newTag();
    const r = await execa('npm', ['run', '--silent', 'hint', '1', '2'], { cwd: repoRoot, env: learnerEnv({}, tag), extendEnv: false, reject: false, stdin: 'ignore' });
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout)).toContain(`hint 2 of ${total}`);
    expect(unwrapped(String(r.stdout))).toContain(unwrapped(forTrack(stage1.hints![1]!, 'typescript').en));
    const last = await cli(['--hint', '1', String(total)]);
    expect(last.stdout).toContain(`That was the last hint for stage 1`);
    const beyond = await cli(['--hint', '1', String(total + 1)]);
    expect(beyond.exitCode).toBe(2);
    expect(beyond.stderr).toContain(`stage 1 has hints 1–${total}`);
  });

  it('in Chinese with --lang zh-CN or LANG=zh_CN.UTF-8', async () => {
    const a = await cli(['--hint', '1', '--lang', 'zh-CN']);
    // Chinese wraps between any two characters, so compare without whitespace.
    expect(a.stdout.replace(/\s+/g, '')).toContain(forTrack(stage1.hints![0]!, 'typescript').zh.replace(/\s+/g, ''));
    const b = await cli(['--hint', '1', '--all'], { env: { LANG: 'zh_CN.UTF-8' } });
    for (const h of stage1.hints!) expect(b.stdout.replace(/\s+/g, '')).toContain(forTrack(h, 'typescript').zh.replace(/\s+/g, ''));
  });
});

describe('the machine is not ready (exit 4)', () => {
  it('dependencies not installed: says to run npm install, in either language', async () => {
    const kit = tempDir();
    cpSync(bin, path.join(kit, 'grader', 'bin.mjs'));
    const r = await cli(['1'], { binPath: path.join(kit, 'grader', 'bin.mjs'), cwd: kit });
    expect(r.exitCode).toBe(4);
    expect(r.stderr.trim()).toBe('socklab: dependencies are not installed — run `npm install` in the kit folder first.');
    const zh = await cli(['1', '--lang', 'zh-CN'], { binPath: path.join(kit, 'grader', 'bin.mjs'), cwd: kit });
    expect(zh.exitCode).toBe(4);
    expect(zh.stderr).toContain('npm install');
    expect(zh.stderr).toMatch(CJK);
  });

  it('Node too old: names the version and what to install', async () => {
    const pretend18 = `data:text/javascript,Object.defineProperty(process.versions,"node",{value:"18.19.0"})`;
    const r = await cli(['1'], { nodeArgs: ['--import', pretend18] });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/Node 18\.19\.0 is too old — install Node 20\.6 or newer/);
  });
});

describe('exercise file missing or renamed (exit 2)', () => {
  /** A copy of the kit (sharing node_modules) where the learner can move files around. */
  function kitCopy(): string {
    const kit = tempDir();
    for (const d of ['grader', 'exercises']) cpSync(path.join(repoRoot, d), path.join(kit, d), { recursive: true });
    cpSync(path.join(repoRoot, 'package.json'), path.join(kit, 'package.json'));
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(kit, 'node_modules'));
    return kit;
  }

  it('renamed: names the file that is there and how to grade it', async () => {
    const kit = kitCopy();
    renameSync(path.join(kit, 'exercises/01-tcp-echo/server.ts'), path.join(kit, 'exercises/01-tcp-echo/Server.ts'));
    const r = await cli(['1'], { cwd: kit, binPath: path.join(kit, 'grader', 'bin.mjs') });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('exercises/01-tcp-echo/server.ts is missing, but exercises/01-tcp-echo/Server.ts is there');
    expect(r.stderr).toContain('rename it back');
  });

  it('deleted: says how to get it back', async () => {
    const kit = kitCopy();
    unlinkSync(path.join(kit, 'exercises/01-tcp-echo/server.ts'));
    const r = await cli(['1'], { cwd: kit, binPath: path.join(kit, 'grader', 'bin.mjs') });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('git checkout -- exercises/01-tcp-echo/server.ts');
  });
});

describe('the server does not start (exit 3): one answer, no grader stack trace', () => {
  it('TypeScript syntax error: file:line and the compiler’s own words, and the line itself', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'server.ts');
    cpSync(path.join(repoRoot, fixture('syntax-error.ts.txt')), file);
    const r = await cli(['1', '--file', file]);
    expect(r.exitCode).toBe(3);
    expect(unwrapped(r.stdout)).toMatch(/server\.ts:8:\d+: Unexpected "\)" \(TypeScript could not parse your file\)/);
    expect(r.stdout).toContain('8 |   );');
    // Not eleven "did not start" lines: the one message says it.
    expect(r.stdout).not.toMatch(/✘ 1\.1 /);
    expectNoGraderStack(r.all);
  });

  it('exits at once: shows what it wrote on stderr', async () => {
    const r = await cli(['1', '--file', fixture('exits-at-once.ts')]);
    expect(r.exitCode).toBe(3);
    expect(unwrapped(r.stdout)).toContain('exited with code 2 before it started listening');
    expect(r.stdout).toContain('fatal: ECHO_GREETING_FILE is not set');
    expectNoGraderStack(r.all);
  });

  it('never listens: says so, with the port it was given', async () => {
    const r = await cli(['1', '--file', fixture('never-listens.ts')]);
    expect(r.exitCode).toBe(3);
    expect(unwrapped(r.stdout)).toMatch(/did not start listening on port \d+ within 5 s — does it read process\.env\.PORT and call server\.listen\(\)\?/);
  });

  // The only test that touches port 9000. If something else on this machine holds 9000, the server
  // fails with EADDRINUSE instead, and the grader must still name the fixed port as the problem.
  it('listens on a fixed 9000 instead of PORT: names both ports', async () => {
    const r = await cli(['1', '--file', fixture('fixed-port-9000.ts')]);
    expect(r.exitCode).toBe(3);
    expect(unwrapped(r.stdout)).toMatch(
      /listening on port 9000, but the grader gave it PORT=\d+ — listen on Number\(process\.env\.PORT\)|tried to listen on port 9000, which is already in use — listen on Number\(process\.env\.PORT\)/,
    );
  });
});

describe('results', () => {
  it('--json prints exactly one JSON document and nothing else; all passed is exit 0', async () => {
    const r = await cli(['1', '--solution', '--json']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout); // two documents, or any stray line, would not parse
    expect(doc.passed).toBe(true);
    expect(doc.checks.length).toBe(stages[0]!.checks.filter((c) => !c.teacherOnly).length);
  });

  it('a failing check is exit 1, and the output has no ANSI escapes when not on a terminal or with NO_COLOR', async () => {
    const piped = await cli(['1', '--file', fixture('prefix-echo.ts'), '--check', '1.1']);
    expect(piped.exitCode).toBe(1);
    expect(piped.all).not.toMatch(ANSI);
    const noColor = await cli(['1', '--file', fixture('prefix-echo.ts'), '--check', '1.1'], { env: { NO_COLOR: '1', FORCE_COLOR: '1' } });
    expect(noColor.all).not.toMatch(ANSI);
    expect(noColor.stdout).toContain('What happened');
  });

  it.skipIf(!hasScript)('on a narrow terminal with NO_COLOR: no escapes, and every check line fits', async () => {
    const tag = newTag();
    const r = await execa('script', ['-qec', `stty cols 50; node ${bin} 1 --file ${fixture('prefix-echo.ts')} --check 1.1,1.2,1.8`, '/dev/null'], {
      cwd: repoRoot,
      env: learnerEnv({ NO_COLOR: '1', TERM: 'xterm' }, tag),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    });
    expect(processesTagged(tag)).toEqual([]);
    const out = String(r.stdout).replaceAll('\r', '');
    expect(out).not.toMatch(ANSI);
    const checkLines = out.split('\n').filter((l) => /^ {2}[✔✘] 1\.\d/.test(l));
    expect(checkLines).toHaveLength(3);
    for (const l of checkLines) expect(l.length, l).toBeLessThanOrEqual(50);
  });

  it('--lang zh-CN and LANG=zh_CN.UTF-8 both give Chinese', async () => {
    for (const run of [
      () => cli(['1', '--file', fixture('prefix-echo.ts'), '--check', '1.1', '--lang', 'zh-CN']),
      () => cli(['1', '--file', fixture('prefix-echo.ts'), '--check', '1.1'], { env: { LANG: 'zh_CN.UTF-8' } }),
    ]) {
      const r = await run();
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toContain('发生了什么');
      expect(r.stdout).toContain('动手试试');
      expect(r.stdout).toContain('第 1 关');
      expect(r.stdout).not.toContain('What happened');
    }
  });

  it('with no stage: every stage with checks passed/total and a status, and the next stage to work on', async () => {
    const r = await cli([]);
    expect([0, 1, 3]).toContain(r.exitCode);
    for (const s of stages) {
      const row = r.stdout.split('\n').find((l) => l.includes(s.title.en) && new RegExp(`^\\s+\\S\\s+${s.number}\\s`).test(l));
      expect(row, `a row for stage ${s.number}`).toBeDefined();
      expect(row).toMatch(/\d+\/\d+.*(done|in progress|not started|does not start)/);
    }
    // The exercises in the kit are untouched skeletons: stage 1 is where to start.
    expect(r.stdout).toContain('Next: stage 1, TCP echo');
  });
});

describe('commands the output tells you to paste', () => {
  // Runs on every machine: the client line is a node one-liner, whatever nc (if any) is installed.
  it('"Try it": both lines pasted (port swapped) replay the exchange, and the server answers the same', async () => {
    const r = await cli(['1', '--file', fixture('prefix-echo.ts'), '--check', '1.1']);
    const lines = r.stdout.split('\n');
    const i = lines.findIndex((l) => l.includes('Try it'));
    expect(i, r.stdout).toBeGreaterThan(0);
    const terminal1 = lines[i]!.slice(lines[i]!.indexOf('Try it') + 'Try it'.length).trim();
    const terminal2 = lines[i + 1]!.trim();
    expect(terminal1).toBe(`PORT=9000 npx tsx ${fixture('prefix-echo.ts')}   # terminal 1`);
    expect(terminal2).toMatch(/^node -e '[^']*' {3}# terminal 2$/);
    expect(terminal2).not.toMatch(/\bnc\b/);

    const port = await getPort({ exclude: [9000] });
    const tag = newTag();
    const server = await startByHand(terminal1.replaceAll('9000', String(port)), port, tag);
    try {
      // What the grader sent, as its report shows it ("Sent": the escaped line under the counts).
      const sent = JSON.parse(/Sent .*\n\s+(".*")/.exec(r.stdout)![1]!) as string;
      const got = await paste(terminal2, port);
      expect(got.exitCode).toBe(0);
      expect(got.stdout).toBe(`echo: ${sent}`);
      // …which is what the grader saw.
      expect(r.stdout).toContain(JSON.stringify(`echo: ${sent}`));
    } finally {
      await stopByHand(server, tag);
    }
  });

  it('the node one-liner for binary data replays the bytes and shows the mangled echo as escaped bytes', async () => {
    const r = await cli(['1', '--file', fixture('text-echo.ts'), '--check', '1.2', '--json']);
    expect(r.exitCode).toBe(1);
    const check = JSON.parse(r.stdout).checks[0];
    expect(check.reproduce).toMatch(/^node -e '[^']*'$/);
    const sent = Buffer.from(/Buffer\.from\("([A-Za-z0-9+/=]+)","base64"\)/.exec(check.reproduce)![1]!, 'base64');
    expect(sent.length).toBe(256);
    const port = await getPort({ exclude: [9000] });
    const tag = newTag();
    const server = await startByHand(`PORT=${port} node --import tsx ${fixture('text-echo.ts')}`, port, tag);
    try {
      const got = await paste(check.reproduce, port);
      expect(got.exitCode).toBe(0);
      // Control bytes came back, so the echo is printed escaped; every byte ≥ 0x80 that was not part of
      // valid UTF-8 came back as the 3 bytes of U+FFFD.
      expect(got.stdout).toContain('\\xef\\xbf\\xbd');
      const printed = Buffer.from(got.stdout.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      expect(printed.equals(Buffer.from(sent.toString('utf8')))).toBe(true);
    } finally {
      await stopByHand(server, tag);
    }
  });

  it('"Same inputs again" pasted into a shell repeats the same exchange', async () => {
    const first = await cli(['1', '--file', fixture('prefix-echo.ts'), '--check', '1.1']);
    const rerun = /^Same inputs again: (.+)$/m.exec(first.stdout)![1]!;
    expect(rerun).toMatch(/^npm run grade -- 1 --seed \d+ --file \S+ --check 1\.1$/);
    const tag = newTag();
    const again = await execa('/bin/sh', ['-c', rerun], { cwd: repoRoot, env: learnerEnv({}, tag), extendEnv: false, reject: false, stdin: 'ignore' });
    expect(processesTagged(tag)).toEqual([]);
    expect(again.exitCode).toBe(1);
    const sent = (s: string): string => /Sent .*\n\s+(".*")/.exec(s)![1]!;
    expect(sent(String(again.stdout))).toBe(sent(first.stdout));
  });
});

describe('the README, as a newcomer follows it', () => {
  const readmes = ['README.md', 'README.zh-CN.md', 'README.zh-TW.md'];
  /** The commands of a README's code blocks, in order, without their comments. */
  const commands = (name: string): string[][] =>
    [...readFileSync(path.join(repoRoot, name), 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
      m[1]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean),
    );

  it('starts with npm install, then npm run grade 1, then npm test — the same in every edition', () => {
    for (const name of readmes) expect(commands(name)[0], name).toEqual(['npm install', 'npm run grade 1', 'npm test']);
    // npm test is too slow to run inside a test; that it is the kit's test command is what a newcomer relies on.
    expect(JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).scripts.test).toMatch(/vitest run/);
  });

  it('npm run grade 1, as typed, grades the untouched skeleton: it fails, says why and what to try, and leaves nothing running', async () => {
    const tag = newTag();
    const r = await execa('/bin/sh', ['-c', commands('README.md')[0]![1]!], { cwd: repoRoot, env: learnerEnv({}, tag), extendEnv: false, reject: false, stdin: 'ignore', timeout: 120_000 });
    expect(processesTagged(tag)).toEqual([]);
    expect(r.exitCode).toBe(1);
    const out = String(r.stdout);
    expect(out).toContain('socklab · stage 1 · TCP echo');
    for (const label of ['What happened', 'Hint', 'Try it', 'Same inputs again: npm run grade -- 1 --seed']) expect(out, label).toContain(label);
    // The skeleton hangs up on every client: the report says so, in the words of the wire.
    expect(unwrapped(out)).toContain('the server closed the connection');
  }, 150_000);

  it('the JSON command, exactly as every README shows it, prints one JSON document and nothing else', async () => {
    const shown = readmes.map((name) => commands(name).flat().filter((c) => c.includes('--json') && c.startsWith('npm ')));
    for (const [i, name] of readmes.entries()) expect(shown[i], name).toEqual(shown[0]);
    expect(shown[0]).toEqual(['npm run -s grade -- 1 --json']);
    const tag = newTag();
    const r = await execa('/bin/sh', ['-c', shown[0]![0]!], { cwd: repoRoot, env: learnerEnv({}, tag), extendEnv: false, reject: false, stdin: 'ignore', timeout: 120_000 });
    expect(processesTagged(tag)).toEqual([]);
    expect(r.exitCode).toBe(1); // the skeleton fails
    const doc = JSON.parse(String(r.stdout)); // npm's banner, or any stray line, would not parse
    expect(doc.stage).toBe(1);
    expect(doc.passed).toBe(false);
    // Without -s, npm's banner comes first: what the README used to say did not parse.
    const loud = await execa('/bin/sh', ['-c', 'npm run grade -- 1 --json --check 1.1'], { cwd: repoRoot, env: learnerEnv(), extendEnv: false, reject: false, stdin: 'ignore', timeout: 120_000 });
    expect(String(loud.stdout)).toMatch(/^\s*> socklab@/);
  }, 150_000);
});
