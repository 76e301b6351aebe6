/**
 * Class grading end to end: a generated class of 40 repos — correct, partly broken, crashing,
 * hanging, never listening, tampering, malformed — graded two at a time. What a teacher would
 * notice: the scores and statuses, the three files, nothing left running, and a hostile repo that
 * costs its time bound and gains nothing.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv, studentsFromClassDir, studentsFromRoster } from '../grader/class/discover.ts';
import { gradeClass, stageInfo } from '../grader/class/grade-class.ts';
import { withStudentDetails, writeClassFiles } from '../grader/class/cli.ts';
import { findExecutable } from '../grader/class/sandbox.ts';
import { studentSeed } from '../grader/class/seed.ts';
import type { ClassResult, StudentResult } from '../grader/results.ts';
import { CLASS_OF_40, classStages, makeClass, makeStudent } from './fixtures/class/make-class.ts';

// Class mode does the same for every stage; the first four keep a class of 40 within CI's time
// (every stage's own behaviour is tested by test/stages.test.ts).
const stages = classStages.filter((s) => s.number <= 4);
import { readPng } from './fixtures/class/png.ts';
import { newTag, processesTagged, repoRoot } from './helpers.ts';

const first = stages[0]!;
const firstMax = stageInfo(first, true).maxScore;
const failed = (s: StudentResult, stage = first.number): string[] =>
  s.stages.find((x) => x.stage === stage)!.checks.filter((c) => !c.passed).map((c) => c.id);
const firstScore = (s: StudentResult): number => s.stages.find((x) => x.stage === first.number)!.score;

// Generous against a busy machine (tests of other engineers run beside these); the limits cutting a
// stage are tested with small ones (describe 'time limits').
const LIMITS = { stageMs: 20_000, studentMs: 45_000, listenMs: 6_000 };

describe('a class of 40 repos', () => {
  let tmp: string;
  let classDir: string;
  let out: string;
  let result: ClassResult;
  let tag: string;
  let by: (id: string) => StudentResult;
  let wallMs = 0;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'socklab-class-test-'));
    classDir = path.join(tmp, 'class');
    out = path.join(tmp, 'out');
    makeClass(classDir);
    tag = newTag();
    const t0 = Date.now();
    const students = studentsFromClassDir(classDir);
    // What the command line does: grade, then add which stages each student left untouched.
    result = withStudentDetails(await gradeClass({ students, stages, classSeed: 2024, jobs: 2, limits: LIMITS, env: { SOCKLAB_TEST_TAG: tag } }), students);
    wallMs = Date.now() - t0;
    writeClassFiles(result, out, { lang: 'en', regrade: (id) => `npm run grade -- --class class --only ${id}`, gradebooks: ['plain', 'canvas', 'moodle'] });
    writeClassFiles(result, path.join(tmp, 'out-zh'), { lang: 'zh-CN' });
    by = (id) => result.students.find((s) => s.id === id)!;
    console.log(`class of ${result.students.length}, ${stages.length} stage(s), --jobs 2: ${(wallMs / 1000).toFixed(1)} s; ${result.sandbox.note.en}`);
  }, 900_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('leaves no process behind', () => {
    expect(processesTagged(tag)).toEqual([]);
  });

  it('grades every student, in folder order, with seeds derived from the class seed', () => {
    expect(result.students.map((s) => s.id)).toEqual(CLASS_OF_40.map(([id]) => id).sort((a, b) => a.localeCompare(b, 'en')));
    for (const s of result.students) expect(s.seed).toBe(studentSeed(2024, s.id));
    expect(new Set(result.students.map((s) => s.seed)).size).toBe(40);
  });

  it('gives correct students full marks on every stage, teacher-only checks included', () => {
    const correct = CLASS_OF_40.filter(([, k]) => k === 'correct').map(([id]) => by(id));
    expect(correct).toHaveLength(27);
    expect(first.checks.some((c) => c.teacherOnly)).toBe(true);
    for (const s of correct) {
      expect(s.status, `${s.id}: ${s.problems.map((p) => p.en).join('; ')}`).toBe('ok');
      for (const st of s.stages) {
        const solved = existsSync(path.join(repoRoot, 'solutions', st.slug, 'server.ts'));
        if (solved) expect(st.score, `${s.id} stage ${st.stage}: ${st.checks.filter((c) => !c.passed).map((c) => `${c.id} ${c.failure?.summary.en}`).join('\n')}`).toBe(st.maxScore);
      }
    }
  });

  it('scores each partly broken server by what it gets wrong', () => {
    expect(failed(by('capped'))).toEqual(['1.13']); // only the hidden check sees it
    expect(firstScore(by('capped'))).toBe(firstMax - 2);
    expect(failed(by('no-error-handler'))).toEqual(['1.10']);
    const fco = failed(by('first-chunk-only'));
    expect(fco).toEqual(expect.arrayContaining(['1.4', '1.5', '1.8']));
    expect(fco).not.toContain('1.1');
    const tm = failed(by('text-mangler'));
    expect(tm).toEqual(expect.arrayContaining(['1.2', '1.3']));
    expect(tm).not.toContain('1.1');
    for (const id of ['capped', 'no-error-handler', 'first-chunk-only', 'text-mangler']) expect(by(id).status).toBe('ok');
  });

  it('gives nothing to servers that crash, hang, never listen or were never touched', () => {
    for (const id of ['crashing', 'hanging', 'never-listens', 'skeleton']) expect(firstScore(by(id)), id).toBe(0);
    const crash = by('crashing').stages[0]!.checks[0]!;
    expect(crash.failure?.kind).toBe('crashed');
    expect(crash.failure?.serverOutput).toContain('student bug: crash on first data');
    // Restarting a server for every check costs start-ups; on a busy machine that can reach the stage limit.
    expect(['ok', 'timeout']).toContain(by('crashing').status);
    expect(by('skeleton').status).toBe('ok');
  });

  it('grades a server that hangs on every stage in full, each check told "hung", without waiting out every bound', () => {
    // It never sends a byte: once one check has waited for it in vain, the others give it a moment
    // each (engine.ts, QUICK_HUNG_MS), so no time limit is reached. The limits are tested below.
    const h = by('hanging');
    expect(h.status).toBe('ok');
    expect(h.score).toBe(0);
    for (const s of h.stages) {
      expect(s.cut).toBeUndefined();
      expect(s.checks.map((c) => c.failure?.kind).filter((k) => k !== 'hung' && k !== 'closed-early'), `stage ${s.stage}`).toEqual([]);
      expect(s.checks.some((c) => /still hung/.test(c.failure?.summary.en ?? '')), `stage ${s.stage}`).toBe(true);
    }
  });

  it('reports a server that never listens as did-not-start, with the reason', () => {
    const n = by('never-listens');
    expect(n.status).toBe('did-not-start');
    expect(n.problems[0]!.en).toMatch(/did not start listening on port \d+ within 6 s/);
    for (const st of n.stages) expect(st.score).toBe(0);
  });

  it('tells what the student left out (did-not-start) from what the grader could not grade (error), and grades the rest anyway', () => {
    expect(by('missing-file').status).toBe('did-not-start');
    expect(by('missing-file').problems[0]!.en).toBe(`stage 1: exercises/${first.slug}/server.ts is missing`);
    expect(by('not-a-repo').status).toBe('error');
    expect(by('not-a-repo').problems[0]!.en).toMatch(/no exercises\/ folder/);
    expect(by('not-a-repo').score).toBe(0);
    expect(by('symlink-escape').status).toBe('did-not-start');
    expect(by('symlink-escape').problems[0]!.en).toMatch(/link to a file outside the repo/);
    expect(firstScore(by('symlink-escape'))).toBe(0);
  });

  it('holds a memory hog to the memory limit', () => {
    if (!result.sandbox.memoryLimitBytes) {
      console.warn('SKIPPED memory-limit assertion: prlimit (util-linux) is not installed');
      return;
    }
    const hog = by('memory-hog').stages[0]!;
    expect(hog.score).toBe(0);
    expect(hog.checks.some((c) => c.failure?.kind === 'crashed' && /allocation failed/.test(c.failure.serverOutput ?? ''))).toBe(true);
  });

  it('gives a tampering repo nothing: its grader copy, fake PASS lines and written files change no score', () => {
    const tamper = by('tamper');
    expect(firstScore(tamper)).toBe(0);
    expect(tamper.stages[0]!.checks.length).toBe(first.checks.length); // this kit's checks ran, not its emptied copy
    expect(tamper.stages[0]!.checks[0]!.failure?.wire?.receivedPreview).toBe('"PASS\\n"');
    expect(tamper.untouched).toEqual(stages.slice(1).map((s) => s.number)); // its other servers are the skeletons
    if (result.sandbox.kind === 'bubblewrap') {
      // Read-only repo, no view of the class folder.
      expect(existsSync(path.join(classDir, 'tampered-by-student.txt'))).toBe(false);
      expect(existsSync(path.join(tmp, 'tampered-by-student.txt'))).toBe(false);
      expect(existsSync(path.join(classDir, 'tamper', 'results.json'))).toBe(false);
      expect(readFileSync(path.join(classDir, 'tamper', 'grader', 'stages', first.slug, 'index.ts'), 'utf8')).toBe('export const checks = [];\n');
    } else {
      console.warn(`NOTE not sandboxed here (${result.sandbox.note.en}); file-write isolation not asserted`);
    }
  });

  it('keeps every student within the per-student limit (a hostile repo costs its bound, never more)', () => {
    for (const s of result.students) expect(s.durationMs, s.id).toBeLessThan(LIMITS.studentMs + 8_000);
  });

  it('writes gradebook.csv: UTF-8 with BOM, one header row, a row per student with status and reason', () => {
    const text = readFileSync(path.join(out, 'gradebook.csv'), 'utf8');
    expect(text.startsWith('\ufeff')).toBe(true); // so Excel shows 王小明, not mojibake
    const [header, ...students] = parseCsv(text.slice(1)).filter((r) => r.length > 1);
    expect(header).toEqual(['student', ...result.stages.map((s) => `stage ${s.number} ${s.title.en} (max ${s.maxScore})`), `total (max ${result.stages.reduce((a, s) => a + s.maxScore, 0)})`, 'max', 'status', 'reason']);
    expect(students).toHaveLength(40); // and no "(max points)" row an LMS would read as a student
    for (const row of students) {
      const s = by(row[0]!);
      expect(row.slice(1, 1 + stages.length).map(Number)).toEqual(s.stages.map((x) => x.score));
      expect(Number(row[1 + stages.length])).toBe(s.score);
      expect(row[3 + stages.length]).toBe(s.status);
      if (s.status !== 'ok') expect(row[4 + stages.length]).not.toBe('');
      expect(row[4 + stages.length], s.id).not.toMatch(/port \d+|127\.0\.0\.1:\d+|PORT=\d+/);
    }
    expect(students.find((r) => r[0] === 'never-listens')![4 + stages.length]).toMatch(/^stages? [\d, ]+: the server did not start: did not start listening within 6 s/);
    expect(students.find((r) => r[0] === '王小明')).toBeDefined();
    // The LMS files, beside it.
    const canvas = parseCsv(readFileSync(path.join(out, 'gradebook-canvas.csv'), 'utf8').slice(1));
    expect(canvas[0]!.slice(0, 5)).toEqual(['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section']);
    expect(canvas[1]![0]).toBe('Points Possible');
    expect(canvas.filter((r) => r.length > 1)).toHaveLength(42);
    const moodle = parseCsv(readFileSync(path.join(out, 'gradebook-moodle.csv'), 'utf8').slice(1)).filter((r) => r.length > 1);
    expect(moodle).toHaveLength(41);
  });

  it('writes results.json with every check of every student and its message', () => {
    const doc = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(doc.format).toBe('socklab-class-results');
    expect(doc.classSeed).toBe(2024);
    expect(doc.students).toHaveLength(40);
    for (const s of doc.students) {
      for (const st of s.stages) {
        expect(st.checks.map((c: { id: string }) => c.id)).toEqual(stageInfo(stages.find((x) => x.number === st.stage)!, true).checks.map((c) => c.id));
        for (const c of st.checks) expect(typeof c.message.en).toBe('string');
      }
    }
    const t = doc.students.find((s: { id: string }) => s.id === 'text-mangler').stages[0].checks.find((c: { id: string }) => c.id === '1.2');
    expect(t.message.en).toMatch(/differ/);
    expect(t.failure.wire.sentBytes).toBe(256);
  });

  it('writes report.html: self-contained, every student, the sandbox line, escaped output', () => {
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<(link|img|iframe)\b|src="http|href="http/);
    for (const s of result.students) expect(html).toContain(`>${s.id}</a>`);
    expect(html).toContain(result.sandbox.note.en.split(':')[0]!);
    expect(html).toContain('student bug: crash on first data');
    expect(html).toContain('1.13');
  });

  it('report.html: sortable columns, an untouched repo in one line, a repeated failure as "same as"', () => {
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    // name, each stage, total, status, time
    expect([...html.matchAll(/<th data-col="(\d+)">/g)].map((m) => Number(m[1]))).toEqual(Array.from({ length: stages.length + 4 }, (_, i) => i));
    expect(html).toMatch(/<tr data-name="skeleton" data-sort="[^"]*"><td><a href="#s-skeleton">skeleton<\/a><\/td><td colspan="\d+" class="untouched">skeleton, not started<\/td>/);
    expect(html).toMatch(/<div class="student untouched" id="s-skeleton">/);
    expect(html).not.toMatch(/<details class="student" id="s-skeleton">/);
    // The crashing server crashes the same way on check after check: its output is shown once.
    const crashing = html.slice(html.indexOf('<details class="student" id="s-crashing">'), html.indexOf('</details>', html.indexOf('id="s-crashing"')));
    const same = [...crashing.matchAll(/— same as <a href="#s-crashing-([\w-]+)">/g)];
    expect(same.length).toBeGreaterThan(5);
    const failedChecks = by('crashing').stages.reduce((a, st) => a + st.checks.filter((c) => !c.passed).length, 0);
    expect(crashing.split('student bug: crash on first data').length - 1).toBeLessThan(failedChecks / 2);
    for (const [, target] of same) expect(crashing).toContain(`<div class="failure" id="s-crashing-${target}">`);
    // CJK fonts for Windows, macOS and Linux, so Chinese names never render as boxes.
    for (const font of ['Microsoft YaHei', 'Microsoft JhengHei', 'PingFang SC', 'PingFang TC', 'Hiragino Sans GB', 'Noto Sans CJK SC', 'Noto Sans CJK TC', 'Source Han Sans SC', 'WenQuanYi Micro Hei']) expect(html).toContain(`"${font}"`);
    expect(html).not.toMatch(/class="why">[^<]*port \d+/);
  });

  it('renders in headless Chromium, in English and Chinese, with the tables visible', async () => {
    const chromium = findExecutable('chromium') ?? findExecutable('chromium-browser') ?? findExecutable('google-chrome');
    if (!chromium) {
      console.warn('SKIPPED screenshot of report.html: Chromium is not installed (Debian package: chromium)');
      return;
    }
    for (const [dir, png] of [[out, 'report.png'], [path.join(tmp, 'out-zh'), 'report-zh.png']] as const) {
      const img = readPng(await screenshot(chromium, path.join(dir, 'report.html'), path.join(tmp, png)));
      expect(img.width).toBe(1280);
      // Bands of rows mostly in the header blue (#1f3b63): the page header, then the tables' heads.
      const blue = (y: number): boolean => {
        let n = 0;
        for (let x = 0; x < img.width; x += 4) {
          const [r, g, b] = img.pixel(x, y);
          if (Math.abs(r - 0x1f) < 6 && Math.abs(g - 0x3b) < 6 && Math.abs(b - 0x63) < 6) n++;
        }
        return n > img.width / 4 / 2;
      };
      let bands = 0;
      for (let y = 0, inBand = false; y < img.height; y++) {
        const b = blue(y);
        if (b && !inBand) bands++;
        inBand = b;
      }
      expect(bands, png).toBeGreaterThanOrEqual(4); // header + stages, checks and students tables
      // Full-mark chips (#dcf5e3) in the students table.
      let green = 0;
      for (let y = 0; y < img.height; y += 2) for (let x = 0; x < img.width; x += 2) {
        const [r, g, b] = img.pixel(x, y);
        if (r === 0xdc && g === 0xf5 && b === 0xe3) green++;
      }
      expect(green, png).toBeGreaterThan(200);
    }
  }, 240_000);

  it('sorts the students table in Chromium when a column head is clicked', async () => {
    const chromium = findExecutable('chromium') ?? findExecutable('chromium-browser') ?? findExecutable('google-chrome');
    if (!chromium) {
      console.warn('SKIPPED sorting in report.html: Chromium is not installed (Debian package: chromium)');
      return;
    }
    // The page as a teacher would use it, plus a click on "total" (once: highest first) — or on "student" (once: A to Z).
    const order = async (col: number): Promise<string[]> => {
      const page = path.join(tmp, `sorted-${col}.html`);
      writeFileSync(page, readFileSync(path.join(out, 'report.html'), 'utf8').replace('</body>', `<script>document.querySelector('th[data-col="${col}"]').click();</script></body>`));
      const dom = await dumpDom(chromium, page);
      const body = dom.slice(dom.indexOf('<table class="grid students'), dom.indexOf('</table>', dom.indexOf('<table class="grid students')));
      return [...body.matchAll(/<tr data-name="([^"]*)"/g)].map((m) => m[1]!);
    };
    const byTotal = await order(stages.length + 1);
    expect(byTotal).toHaveLength(40);
    const totals = byTotal.map((name) => result.students.find((s) => s.id.toLowerCase() === name)!.score);
    expect(totals).toEqual([...totals].sort((a, b) => b - a));
    expect(totals[0]).toBeGreaterThan(totals.at(-1)!);
    const byName = await order(0);
    expect(byName).toEqual([...byName].sort((a, b) => a.localeCompare(b)));
  }, 240_000);
});

async function screenshot(chromium: string, html: string, png: string): Promise<Buffer> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'socklab-chromium-'));
  try {
    await execa(
      chromium,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--window-size=1280,6000', `--screenshot=${png}`, `file://${html}`],
      { timeout: 90_000, reject: false, stdin: 'ignore' },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  return readFileSync(png);
}

async function dumpDom(chromium: string, html: string): Promise<string> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'socklab-chromium-'));
  try {
    const r = await execa(
      chromium,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--dump-dom', `file://${html}`],
      { timeout: 90_000, reject: false, stdin: 'ignore' },
    );
    return r.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

describe('time limits', () => {
  it('cuts a stage at the per-stage limit and later stages at the per-student limit, keeping finished checks', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'socklab-class-limits-'));
    try {
      makeStudent(tmp, 'hangs', 'stalling');
      const tag = newTag();
      const t0 = Date.now();
      const r = await gradeClass({
        students: studentsFromClassDir(tmp),
        stages,
        classSeed: 1,
        jobs: 1,
        // A stalling server's stage-1 checks each wait out their 2 s, so the stage limit cuts
        // stage 1 at 7 s; its stage 2 fails fast (about 2 s: "G" is no HTTP response), so the
        // student limit leaves it only half a second, and cuts it.
        limits: { stageMs: 7000, studentMs: stages.length > 1 ? 7500 : 6500, listenMs: 6000 },
        env: { SOCKLAB_TEST_TAG: tag },
      });
      const took = Date.now() - t0;
      expect(processesTagged(tag)).toEqual([]);
      const s = r.students[0]!;
      expect(s.status).toBe('timeout');
      expect(s.stages[0]!.cut?.limit).toBe(stages.length > 1 ? 'stage' : 'student');
      if (stages.length > 1) expect(s.stages[1]!.cut?.limit).toBe('student');
      // Checks that finished before the cut keep their results; the rest say why they did not run.
      const notRun = s.stages[0]!.checks.filter((c) => /time limit/.test(c.failure?.summary.en ?? ''));
      expect(notRun.length).toBeGreaterThan(0);
      expect(notRun.length).toBeLessThan(s.stages[0]!.checks.length);
      expect(took).toBeLessThan((stages.length > 1 ? 7500 : 6500) + 10_000);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('determinism and the command line', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'socklab-class-cli-'));
    makeClass(path.join(tmp, 'class'), [
      ['ana', 'correct'],
      ['ben', 'text-mangler'],
      ['cai', 'skeleton'],
    ]);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const run = (args: string[], env: Record<string, string> = {}) =>
    execa('node', [path.join(repoRoot, 'grader/bin.mjs'), ...args], { cwd: tmp, reject: false, env: { ...env, LANG: 'en_US.UTF-8' }, stdin: 'ignore', timeout: 300_000 });

  it('gives a student the same inputs on a regrade, and other inputs in another class', async () => {
    const grade = (seed: number) =>
      gradeClass({ students: studentsFromClassDir(path.join(tmp, 'class')).filter((s) => s.id !== 'cai'), stages: [first], classSeed: seed, jobs: 2, limits: LIMITS });
    const [a, b, c] = [await grade(77), await grade(77), await grade(78)];
    const inputs = (r: ClassResult) => r.students.map((s) => s.stages[0]!.checks.map((x) => x.failure?.wire?.sentPreview ?? x.id));
    expect(a.students.map((s) => s.seed)).toEqual(b.students.map((s) => s.seed));
    expect(inputs(a)).toEqual(inputs(b));
    expect(a.students.map((s) => s.score)).toEqual(b.students.map((s) => s.score));
    expect(c.students[0]!.seed).not.toBe(a.students[0]!.seed);
  }, 300_000);

  it('refuses bad command lines with one line and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--class', 'nope'], /^socklab: --class nope: no such folder$/],
      [['--class', 'class', '--roster', 'r.csv'], /either --class DIR or --roster FILE/],
      [['--class', 'class', '--stages', '99'], /there is no stage 99/],
      [['--class', 'class', '--jobs', '0'], /--jobs takes a whole number/],
      [['--class', 'class', '--only', 'zed'], /no student zed in this class/],
      [['--class', 'class', '--solution'], /--solution does not apply to class grading/],
      [['--class', 'class', '1'], /use --stages 1/],
      [['--only', 'ana'], /--only is for class grading/],
      [['--roster', 'missing.csv'], /cannot read this file/],
    ];
    for (const [args, msg] of cases) {
      const r = await run(args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  }, 120_000);

  it('grades a class from the command line, then --only regrades one student and keeps the rest', async () => {
    const tag = newTag();
    const r = await run(['--class', 'class', '--stages', String(first.number), '--jobs', '2', '--out', 'grades/run', '--seed', '5'], { SOCKLAB_TEST_TAG: tag });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/class graded · 3 students/);
    expect(r.stderr).toMatch(/^\[1\/3\] /m); // plain progress lines when not on a terminal
    for (const f of ['gradebook.csv', 'results.json', 'report.html']) expect(existsSync(path.join(tmp, 'grades/run', f))).toBe(true);
    const before = JSON.parse(readFileSync(path.join(tmp, 'grades/run/results.json'), 'utf8'));
    expect(before.classSeed).toBe(5);

    // ben fixes his server; only he is regraded, with the same seed as before.
    makeStudent(path.join(tmp, 'class'), 'ben', 'correct');
    const again = await run(['--class', 'class', '--stages', String(first.number), '--out', 'grades/run', '--only', 'ben'], { SOCKLAB_TEST_TAG: tag });
    expect(again.exitCode, again.stderr).toBe(0);
    const after = JSON.parse(readFileSync(path.join(tmp, 'grades/run/results.json'), 'utf8'));
    expect(after.classSeed).toBe(5);
    expect(after.students.map((s: { id: string }) => s.id)).toEqual(['ana', 'ben', 'cai']);
    const ben = after.students.find((s: { id: string }) => s.id === 'ben');
    expect(ben.seed).toBe(studentSeed(5, 'ben'));
    expect(ben.score).toBe(ben.maxScore);
    expect(after.students.find((s: { id: string }) => s.id === 'ana')).toEqual(before.students.find((s: { id: string }) => s.id === 'ana'));
    const csv = parseCsv(readFileSync(path.join(tmp, 'grades/run/gradebook.csv'), 'utf8'));
    expect(csv.find((row) => row[0] === 'ben')![2]).toBe(String(ben.maxScore));
    expect(processesTagged(tag)).toEqual([]);
  }, 300_000);

  it('checks --out before grading: a folder that cannot be written is one line and exit 2, at once', async () => {
    // /proc exists and nobody, root included, can create a file in it.
    const started = Date.now();
    const r = await run(['--class', 'class', '--stages', String(first.number), '--out', '/proc']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(/^socklab: --out \/proc: cannot write in this folder \(\w+\); choose another --out$/);
    expect(Date.now() - started).toBeLessThan(20_000); // nothing was graded first (a grading takes far longer)
  }, 60_000);

  it('saves results.json after every student: a run cut short by Ctrl-C loses nothing, and --resume grades the rest', async () => {
    const tag = newTag();
    const out = path.join(tmp, 'grades/cut');
    const file = path.join(out, 'results.json');
    const child = execa('node', [path.join(repoRoot, 'grader/bin.mjs'), '--class', 'class', '--stages', String(first.number), '--jobs', '1', '--out', 'grades/cut', '--seed', '9'], {
      cwd: tmp, reject: false, env: { SOCKLAB_TEST_TAG: tag, LANG: 'en_US.UTF-8' }, stdin: 'ignore', timeout: 300_000,
    });
    // Wait for the first student's result on disk, then interrupt the run.
    const deadline = Date.now() + 120_000;
    while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(file), 'results.json was not written while the class was being graded').toBe(true);
    child.kill('SIGINT');
    await child;
    const cut = JSON.parse(readFileSync(file, 'utf8'));
    expect(cut.unfinished).toBe(true);
    expect(cut.students.length).toBeGreaterThanOrEqual(1);
    expect(cut.students.length).toBeLessThan(3);
    expect(processesTagged(tag)).toEqual([]);

    const resumed = await run(['--class', 'class', '--stages', String(first.number), '--out', 'grades/cut', '--resume'], { SOCKLAB_TEST_TAG: tag });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`^\\[${3 - cut.students.length}/${3 - cut.students.length}\\] `, 'm')); // only the rest was graded
    const done = JSON.parse(readFileSync(file, 'utf8'));
    expect(done.unfinished).toBeUndefined();
    expect(done.classSeed).toBe(9);
    expect(done.students.map((s: { id: string }) => s.id)).toEqual(['ana', 'ben', 'cai']);
    expect(done.students[0]).toEqual(cut.students[0]); // what was saved is kept as it was
    expect(existsSync(path.join(out, 'gradebook.csv'))).toBe(true);
    const again = await run(['--class', 'class', '--stages', String(first.number), '--out', 'grades/cut', '--resume']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/Nothing left to grade/);
    expect(processesTagged(tag)).toEqual([]);
  }, 300_000);

  it('refuses a damaged results.json with one line, not a TypeError', async () => {
    mkdirSync(path.join(tmp, 'grades/damaged'), { recursive: true });
    writeFileSync(path.join(tmp, 'grades/damaged/results.json'), JSON.stringify({ format: 'socklab-class-results', version: 1, classSeed: 3, stages: [] }));
    for (const extra of [['--only', 'ana'], ['--resume']]) {
      const r = await run(['--class', 'class', '--out', 'grades/damaged', ...extra]);
      expect(r.exitCode, extra.join(' ')).toBe(2);
      expect(r.stderr.trim()).toMatch(/^socklab: \S*results\.json is damaged: its students or stages are missing or malformed/);
    }
  }, 60_000);

  it('reads a roster: header row, relative paths, and a missing repo graded as an error', () => {
    writeFileSync(path.join(tmp, 'roster.csv'), 'student id,repo\r\nana,class/ana\r\n"ben, B.",class/ben\r\nzoe,class/zoe\r\n');
    const students = studentsFromRoster(path.join(tmp, 'roster.csv'));
    expect(students.map((s) => s.id)).toEqual(['ana', 'ben, B.', 'zoe']);
    expect(students[0]!.repo).toBe(path.join(tmp, 'class', 'ana'));
    expect(students[0]!.problem).toBeUndefined();
    expect(students[2]!.problem?.en).toMatch(/repo not found/);
  });
});
