/**
 * `npm run bench`: how fast the kit gives feedback and grades a class, measured in one run on this
 * machine, next to the floor it cannot beat. Writes bench/results.json and prints a table.
 *
 *   npm run bench                 the full run (about two minutes on 2 cores)
 *   npm run bench -- --smoke      one quick pass of everything, to prove the benchmark still works
 *   npm run bench -- --runs 20    more repetitions for the per-stage timings
 *   npm run bench -- --parts 1,4  only some parts (3, the class of 40 on all 8 stages, --jobs 1 then 2, takes over 25 minutes)
 *   npm run bench -- --parts 3 --students 20   part 3 on 20 of the 40 repos, picked evenly (correct and broken alike)
 *
 * Parts: 1 one stage (3) beside the floor, with where its time goes; 2 the whole course;
 * 3 a class of 40; 4 watch mode; 6 every stage's solution beside the floor; 7 servers that are
 * hung or listen on the wrong port, per stage; 8 the grader's memory under a flooding server.
 *
 * Run it by hand on a quiet machine; the figures go in notes, never in timed tests.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer } from '../grader/runner/server.ts';
import { stages } from '../grader/stages.ts';

const stageNumbers = stages.map((st) => st.number);

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    runs: { type: 'string' },
    out: { type: 'string' },
    parts: { type: 'string' },
    students: { type: 'string' },
  },
});
const smoke = Boolean(values.smoke);
/** `--parts 1,2,4` measures only those parts (5, the breakdown, comes with 1). */
const parts = new Set((values.parts ?? '1,2,3,4,6,7,8').split(',').map((p) => p.trim()));
const runs = Number(values.runs ?? (smoke ? 1 : 10));
const outFile = path.resolve(values.out ?? path.join(root, 'bench', 'results.json'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Stats {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { runs: s.length, medianMs: Math.round(mid), minMs: Math.round(s[0]!), maxMs: Math.round(s[s.length - 1]!) };
}

/** Wall time of a command, in ms; its stdout is returned for parsing. */
function timed(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; okCodes?: number[] } = {}): { ms: number; stdout: string } {
  const t0 = performance.now();
  let stdout = '';
  try {
    stdout = execFileSync(cmd, args, { cwd: opts.cwd ?? root, env: { ...process.env, NO_COLOR: '1', ...opts.env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024 });
  } catch (err) {
    const e = err as { status?: number; stdout?: string };
    if (!(opts.okCodes ?? [0]).includes(e.status ?? -1)) throw err;
    stdout = e.stdout ?? '';
  }
  return { ms: performance.now() - t0, stdout };
}

function repeat(n: number, fn: () => number): number[] {
  return Array.from({ length: n }, fn);
}

const table: [string, string, string][] = [];
const row = (what: string, value: string, target = ''): void => {
  table.push([what, value, target]);
};
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

const results: Record<string, unknown> = {
  when: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, load: os.loadavg() },
  smoke,
};

// 1. One stage on the solution, beside the floor: an npm run of a no-op plus one server start.
if (parts.has('1')) {
  // npm's own cost, measured on a throw-away package whose one script does nothing (the kit's
  // package.json offers learners no such script).
  const noopDir = mkdtempSync(path.join(os.tmpdir(), 'socklab-bench-npm-'));
  writeFileSync(path.join(noopDir, 'package.json'), JSON.stringify({ name: 'noop', private: true, scripts: { noop: 'true' } }));
  const npmNoop = stats(repeat(runs, () => timed(npm, ['run', '-s', 'noop'], { cwd: noopDir }).ms));
  rmSync(noopDir, { recursive: true, force: true });
  const starts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'socklab-bench-'));
    const t0 = performance.now();
    const server = await startServer({ kind: 'file', file: path.join(root, 'solutions/03-routing/server.ts') }, { root: dir });
    starts.push(performance.now() - t0);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const serverStart = stats(starts);
  const floorMs = npmNoop.medianMs + serverStart.medianMs;
  const stageRuns: number[] = [];
  let lastJson: { checks: { id: string; durationMs: number }[]; durationMs: number; startMs?: number } | undefined;
  for (let i = 0; i < runs; i++) {
    const r = timed(npm, ['run', '-s', 'grade', '--', '3', '--solution', '--json', '--seed', String(1000 + i)]);
    stageRuns.push(r.ms);
    lastJson = JSON.parse(r.stdout);
  }
  const stage3 = stats(stageRuns);
  const ratio = +(stage3.medianMs / floorMs).toFixed(2);
  results.stage3 = { npmNoop, serverStart, floorMs, grade: stage3, ratioToFloor: ratio, target: '≤ 2× floor' };
  row('npm run of a no-op (median)', s(npmNoop.medianMs));
  row('server start, solution 3 (median)', s(serverStart.medianMs));
  row('floor = the two above', s(floorMs));
  row(`npm run grade 3, solution (median of ${runs})`, `${s(stage3.medianMs)} (min ${s(stage3.minMs)}, max ${s(stage3.maxMs)})`);
  row('  ratio to floor', `${ratio}×`, '≤ 2×');

  // 5. Where the time goes inside that stage.
  const grader = stats(repeat(Math.min(runs, 5), () => timed(process.execPath, [path.join(root, 'grader/bin.mjs'), '--list']).ms));
  if (lastJson) {
    const checks = Object.fromEntries(lastJson.checks.map((c) => [c.id, c.durationMs]));
    const inChecks = lastJson.checks.reduce((a, c) => a + c.durationMs, 0);
    results.breakdown = {
      graderLoadMs: grader.medianMs,
      stageMs: lastJson.durationMs,
      serverStartMs: lastJson.startMs,
      checksMs: checks,
      sumOfChecksMs: inChecks,
      otherMs: lastJson.durationMs - inChecks - (lastJson.startMs ?? 0),
    };
    row('  grader load (node + tsx + modules)', s(grader.medianMs));
    row('  server start inside the stage', s(lastJson.startMs ?? 0));
    row('  checks', `${s(inChecks)}: ${lastJson.checks.map((c) => `${c.id} ${c.durationMs}`).join(', ')} ms`);
    row('  teardown and the rest', s(lastJson.durationMs - inChecks - (lastJson.startMs ?? 0)));
  }
}

// 2. The whole course for one repo: 2.5 s for the first four stages, 1 s more for each added one.
if (parts.has('2')) {
  const course = stats(repeat(smoke ? 1 : 3, () => timed(npm, ['run', '-s', 'grade', '--', '--solution', '--json', '--seed', '7']).ms));
  const targetMs = 2500 + 1000 * Math.max(0, stageNumbers.length - 4);
  results.course = { ...course, stages: stageNumbers.length, targetMs };
  row(`npm run grade (whole course, ${stageNumbers.length} solutions; median of ${course.runs})`, s(course.medianMs), `≤ ${s(targetMs)}`);
}

// 6. Every stage's solution, side by side in one run, against the same floor.
if (parts.has('6')) {
  const floorMs = await floor();
  const per: Record<string, unknown> = {};
  for (const n of sampled()) {
    const st = stats(repeat(smoke ? 1 : Math.min(runs, 5), () => timed(npm, ['run', '-s', 'grade', '--', String(n), '--solution', '--json', '--seed', '21']).ms));
    per[`stage${n}`] = { ...st, ratioToFloor: +(st.medianMs / floorMs).toFixed(2) };
    row(`npm run grade ${n}, solution (median of ${st.runs})`, `${s(st.medianMs)} = ${(st.medianMs / floorMs).toFixed(1)}× the floor (${s(floorMs)})`, '≤ 2× floor');
  }
  results.perStage = { floorMs, ...per };
}

// 7. Broken servers that give nothing: told so within a bound, on every stage.
if (parts.has('7')) {
  const file = (f: string): string => path.join(root, 'bench/servers', f);
  const wrong = stats(repeat(smoke ? 1 : 3, () => timed(process.execPath, [path.join(root, 'grader/bin.mjs'), '1', '--file', file('wrong-port.ts')], { okCodes: [3] }).ms));
  results.wrongPort = { ...wrong, target: '≤ 1.5 s' };
  row('a server on a port of its own: told so after', s(wrong.medianMs), '≤ 1.5 s');
  const hung: Record<string, unknown> = {};
  for (const n of sampled()) {
    for (const server of ['accepts-never-answers.ts', 'never-accepts.ts']) {
      const r = timed(process.execPath, [path.join(root, 'grader/bin.mjs'), String(n), '--file', file(server), '--json', '--seed', '5'], { okCodes: [1] });
      const json = JSON.parse(r.stdout) as { checks: { passed: boolean }[] };
      hung[`stage${n}:${server}`] = { ms: Math.round(r.ms), checksReported: json.checks.length, passed: json.checks.filter((c) => c.passed).length };
      row(`stage ${n}, ${server.replace('.ts', '')}`, `${s(r.ms)} (${json.checks.length} checks reported, ${json.checks.filter((c) => c.passed).length} passed)`, '≤ 5 s');
    }
  }
  results.hung = hung;
}

// 8. The grader's own memory while a server floods it.
if (parts.has('8')) {
  const { peakBytes, ms } = await timedWithPeakMemory(process.execPath, [path.join(root, 'grader/bin.mjs'), '1', '--file', path.join(root, 'test/fixtures/01-tcp-echo/floods.ts'), '--seed', '5']);
  results.floodMemory = { peakMB: +(peakBytes / 1024 / 1024).toFixed(1), ms: Math.round(ms), target: '≤ 200 MB' };
  row('grader peak memory, stage 1 against a flooding server', `${(peakBytes / 1024 / 1024).toFixed(0)} MB (in ${s(ms)})`, '≤ 200 MB');
}

/** The stages a part measures: all of them, or in a smoke run the first and the last. */
function sampled(): number[] {
  return smoke ? [stageNumbers[0]!, stageNumbers[stageNumbers.length - 1]!] : stageNumbers;
}

/** The floor a grade cannot beat: an npm run of a no-op plus one server start until it listens. */
async function floor(): Promise<number> {
  const noopDir = mkdtempSync(path.join(os.tmpdir(), 'socklab-bench-npm-'));
  writeFileSync(path.join(noopDir, 'package.json'), JSON.stringify({ name: 'noop', private: true, scripts: { noop: 'true' } }));
  const npmNoop = stats(repeat(runs, () => timed(npm, ['run', '-s', 'noop'], { cwd: noopDir }).ms));
  rmSync(noopDir, { recursive: true, force: true });
  const starts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'socklab-bench-'));
    const t0 = performance.now();
    const server = await startServer({ kind: 'file', file: path.join(root, 'solutions/03-routing/server.ts') }, { root: dir });
    starts.push(performance.now() - t0);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return npmNoop.medianMs + stats(starts).medianMs;
}

// 3. Class mode: a generated class of 40 repos (correct, broken, crashing, hanging …), --jobs 1 and 2.
if (parts.has('3')) {
  const { makeClass, CLASS_OF_40 } = await import('../test/fixtures/class/make-class.ts');
  // The smoke run only proves the measurement works: two repos, stage 1.
  // --students N: N repos spread evenly over the class, so the mix of correct and broken stays.
  const size = Math.min(CLASS_OF_40.length, Number(values.students ?? CLASS_OF_40.length));
  const students = smoke ? CLASS_OF_40.slice(0, 2) : Array.from({ length: size }, (_, i) => CLASS_OF_40[Math.floor((i * CLASS_OF_40.length) / size)]!);
  const classDir = mkdtempSync(path.join(os.tmpdir(), 'socklab-bench-class-'));
  makeClass(classDir, students);
  const classRuns: Record<string, unknown> = { repos: students.length };
  const wall: Record<number, number> = {};
  for (const jobs of [1, 2]) {
    const out = mkdtempSync(path.join(os.tmpdir(), 'socklab-bench-grades-'));
    const only = smoke ? ['--stages', '1'] : [];
    const { ms, peakBytes } = await timedWithPeakMemory(process.execPath, [path.join(root, 'grader/bin.mjs'), '--class', classDir, '--jobs', String(jobs), '--out', out, '--seed', '11', ...only]);
    const result = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as {
      students: { id: string; durationMs: number; status: string }[];
      limits: { stageMs: number; studentMs: number };
      stages: unknown[];
    };
    const perRepo = stats(result.students.map((st) => st.durationMs));
    const hanging = result.students.filter((st) => /hang/.test(st.id));
    classRuns[`jobs${jobs}`] = {
      wallMs: Math.round(ms),
      perRepo,
      graderPeakMemoryMB: +(peakBytes / 1024 / 1024).toFixed(1),
      hanging: hanging.map((st) => ({ id: st.id, ms: st.durationMs, status: st.status })),
      limits: result.limits,
    };
    wall[jobs] = ms;
    row(`class of ${students.length}, --jobs ${jobs}`, `${s(ms)} wall · ${s(perRepo.medianMs)} per repo (median) · grader peak ${(peakBytes / 1024 / 1024).toFixed(0)} MB`, jobs === 1 ? 'peak ≤ 200 MB' : '');
    for (const h of hanging) row(`  hanging repo ${h.id}`, `${s(h.durationMs)} (${h.status}); limits: ${s(result.limits.stageMs)} a stage, ${s(result.limits.studentMs)} a student`, '≤ its stage bounds');
    rmSync(out, { recursive: true, force: true });
  }
  const ratio = +(wall[2]! / wall[1]!).toFixed(2);
  classRuns.ratioJobs2ToJobs1 = ratio;
  row('  --jobs 2 / --jobs 1', `${ratio}×`, '≤ 0.6×');
  results.class = classRuns;
  rmSync(classDir, { recursive: true, force: true });
}

// 4. Watch mode: save → result on the stage-1 solution.
if (parts.has('4')) {
  const saves = smoke ? 2 : 10;
  const r = timed(process.execPath, ['--import', 'tsx', path.join(root, 'bench/watch-latency.ts'), String(saves)]);
  const m = /median save → noticed (\d+) ms → first check (\d+) ms → result (\d+) ms \(result min (\d+), max (\d+)\)/.exec(r.stdout);
  if (!m) throw new Error(`watch-latency printed no median:\n${r.stdout}`);
  results.watch = { saves, noticedMs: +m[1]!, firstCheckMs: +m[2]!, resultMs: { medianMs: +m[3]!, minMs: +m[4]!, maxMs: +m[5]! }, target: '≤ 1 s' };
  row(`watch: save → result (median of ${saves})`, `${s(+m[3]!)} (noticed after ${m[1]} ms, first check after ${m[2]} ms)`, '≤ 1 s');
}

/**
 * Runs a command and samples, every 50 ms, the memory of the grader's own processes (the command
 * and its descendants, leaving out the servers under test and their sandboxes).
 */
async function timedWithPeakMemory(cmd: string, args: string[]): Promise<{ ms: number; peakBytes: number }> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  let peak = 0;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    peak = Math.max(peak, graderTreeRss(child.pid!));
    await sleep(50);
  }
  const code = await exited;
  if (code !== 0 && code !== 1) throw new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${err}`);
  return { ms: performance.now() - t0, peakBytes: peak };
}

function graderTreeRss(rootPid: number): number {
  const children = new Map<number, number[]>();
  const cmdline = new Map<number, string>();
  const rss = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(name);
      const ppid = Number(fields[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
      rss.set(pid, Number(fields[21]) * 4096);
      cmdline.set(pid, readFileSync(`/proc/${name}/cmdline`, 'utf8'));
    } catch {
      /* gone */
    }
  }
  let total = 0;
  const walk = (pid: number): void => {
    const cmd = cmdline.get(pid) ?? '';
    if (cmd.includes('watchdog.mjs') || cmd.startsWith('bwrap') || cmd.includes('/bwrap')) return; // a server under test
    total += rss.get(pid) ?? 0;
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(rootPid);
  return total;
}

mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(results, null, 2) + '\n');
const w0 = Math.max(...table.map((r) => r[0].length));
const w2 = Math.max(...table.map((r) => (r[2] ? `target ${r[2]}` : '').length));
process.stdout.write(
  table.map(([a, b, c]) => `${a.padEnd(w0)}  ${(c ? `target ${c}` : '').padEnd(w2)}  ${b}`).join('\n') + `\n\nwritten: ${path.relative(process.cwd(), outFile)}\n`,
);
