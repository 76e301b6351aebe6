/**
 * Gradebooks an LMS imports without editing: the plain spreadsheet, Canvas's import layout and
 * Moodle's, each in its own file; a roster's email, LMS id and section carried through; a student
 * whose server did not start told apart from one the grader could not grade; cells that read the
 * same on any machine (no random port, no temp folder); and roster mistakes reported at the line
 * the teacher's editor shows.
 */
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClassInputError, parseCsv, readRoster } from '../grader/class/discover.ts';
import { t } from '../grader/i18n.ts';
import { gradebook, withoutRunDetails } from '../grader/report/csv.ts';
import type { ClassResult, StudentResult } from '../grader/results.ts';
import type { CheckResult } from '../grader/types.ts';
import { classStages, makeStudent } from './fixtures/class/make-class.ts';
import { newTag, processesTagged, repoRoot } from './helpers.ts';

const BOM = '\ufeff';
const rows = (text: string): string[][] => {
  expect(text.startsWith(BOM)).toBe(true);
  expect(text.replaceAll('\r\n', '')).not.toContain('\n'); // CRLF only
  return parseCsv(text.slice(1)).filter((r) => r.some((c) => c !== ''));
};

/** A small graded class, built by hand: what the gradebooks read. */
function classResult(): ClassResult {
  const check = (id: string, passed: boolean, kind: 'wrong' | 'not-started' | 'grader-error' = 'wrong'): CheckResult => ({
    id,
    title: t(id, id),
    passed,
    points: passed ? 2 : 0,
    maxPoints: 2,
    durationMs: 1,
    ...(passed ? {} : { failure: { kind, summary: t(`${id} failed`, `${id} 失败`) } }),
  });
  const stage = (n: number, passed: boolean[], extra: Partial<StudentResult['stages'][number]> = {}) => ({
    stage: n,
    slug: `0${n}-s`,
    title: t(`Stage ${n}`, `第 ${n} 关`),
    seed: 1,
    score: passed.filter(Boolean).length * 2,
    maxScore: passed.length * 2,
    passed: passed.every(Boolean),
    checks: passed.map((p, i) => check(`${n}.${i + 1}`, p)),
    startMs: 1,
    durationMs: 1,
    ...extra,
  });
  const student = (id: string, status: StudentResult['status'], stages: StudentResult['stages'], info: Record<string, string>, problems: string[] = []): StudentResult => ({
    id,
    repo: `/srv/class/${id}`,
    seed: 1,
    status,
    problems: problems.map((p) => t(p, p)),
    stages,
    score: stages.reduce((a, s) => a + s.score, 0),
    maxScore: stages.reduce((a, s) => a + s.maxScore, 0),
    durationMs: 1,
    info,
  });
  const notStarted = (n: number, why: string) => stage(n, [false, false], { startError: { kind: 'not-started', text: t(why, why), output: '' }, checks: [check(`${n}.1`, false, 'not-started'), check(`${n}.2`, false, 'not-started')] });
  const info = (name: string, email: string, lms: string, section: string) => ({ name, email, lms_id: lms, section });
  return {
    classSeed: 5,
    startedAt: '2026-03-01T10:00:00.000Z',
    durationMs: 1000,
    jobs: 2,
    limits: { stageMs: 60_000, studentMs: 240_000, memoryBytes: 2 ** 29, listenMs: 10_000 },
    sandbox: { kind: 'none', note: t('Not sandboxed', '未使用沙箱') },
    stages: [1, 2].map((n) => ({ number: n, slug: `0${n}-s`, title: t(`Stage ${n}`, `第 ${n} 关`), maxScore: 4, checks: [] })),
    rosterColumns: ['name', 'email', 'lms_id', 'section'],
    students: [
      student('ana', 'ok', [stage(1, [true, true]), stage(2, [true, false])], info('Ana Lima', 'ana@uni.edu', '1001', 'A')),
      student('董明', 'did-not-start', [stage(1, [true, true]), notStarted(2, 'did not start listening on port 41234 within 10 s')], info('董明', 'dm@uni.edu', '1002', 'B'), [
        'stage 2: the server did not start: did not start listening on port 41234 within 10 s',
      ]),
      student('=cmd', 'error', [notStarted(1, 'repo not found: /srv/class/=cmd'), notStarted(2, 'repo not found: /srv/class/=cmd')], info('Eve "E" Doe', 'eve@uni.edu', '1003', 'A'), ['repo not found: /srv/class/=cmd']),
      student('gus', 'error', [stage(1, [true, true]), { ...stage(2, [true, false]), checks: [check('2.1', true), check('2.2', false, 'grader-error')] }], info('Gus', 'gus@uni.edu', '1004', 'B'), ['stage 2: grading failed: worker exited']),
    ],
  };
}

describe('the gradebook files', () => {
  const result = classResult();

  it('plain: one header row (maxima in it), one row per student, roster columns, status and reason', () => {
    const [header, ...body] = rows(gradebook('plain', result).text);
    expect(header).toEqual(['student', 'name', 'email', 'lms_id', 'section', 'stage 1 Stage 1 (max 4)', 'stage 2 Stage 2 (max 4)', 'total (max 8)', 'max', 'status', 'reason']);
    expect(body).toHaveLength(4); // no "(max points)" row an import would read as a student
    expect(body[0]).toEqual(['ana', 'Ana Lima', 'ana@uni.edu', '1001', 'A', '4', '2', '6', '8', 'ok', '']);
    expect(body[1]!.slice(0, 1).concat(body[1]!.slice(9))).toEqual(['董明', 'did-not-start', 'stage 2: the server did not start: did not start listening within 10 s']);
    expect(body[2]![0]).toBe("'=cmd"); // never a formula
    expect(body[2]![2 + 7]).toBe('error');
    expect(body[3]![10]).toBe('stage 2: grading failed: worker exited');
  });

  it('plain, in Chinese: the header is in the language of the reasons under it', () => {
    const [header, ...body] = rows(gradebook('plain', result, 'zh-CN').text);
    expect(header!.slice(0, 1).concat(header!.slice(5))).toEqual(['学生', `第 1 关 ${result.stages[0]!.title.zh}（满分 4）`, `第 2 关 ${result.stages[1]!.title.zh}（满分 4）`, '总分（满分 8）', '满分', '状态', '原因']);
    expect(header!.slice(1, 5)).toEqual(['name', 'email', 'lms_id', 'section']); // the roster's own columns, as the teacher wrote them
    expect(body[1]![9]).toBe('did-not-start'); // status values are the documented ones in every language
  });

  it('canvas: Student, ID, SIS User ID, SIS Login ID, Section, then a column per stage, Points Possible right under the header', () => {
    const book = gradebook('canvas', result);
    expect(book.file).toBe('gradebook-canvas.csv');
    const [header, points, ...body] = rows(book.text);
    expect(header).toEqual(['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', 'socklab stage 1: Stage 1', 'socklab stage 2: Stage 2']);
    // Canvas reads a trailing "(123)" in a column name as an assignment's ID: never write one.
    for (const h of header!.slice(5)) expect(h).not.toMatch(/\(\d+\)\s*$/);
    expect(points).toEqual(['Points Possible', '', '', '', '', '4', '4']);
    expect(body).toEqual([
      ['Ana Lima', '1001', '', '', 'A', '4', '2'],
      ['董明', '1002', '', '', 'B', '4', '0'], // its server did not start: that stage is worth 0
      ['Eve "E" Doe', '1003', '', '', 'A', '', ''], // the grader could not grade: blank keeps Canvas's grade
      ['Gus', '1004', '', '', 'B', '4', ''],
    ]);
    expect(book.warnings).toEqual([]);
  });

  it('moodle: an identifier column (email here), grade columns, and no other rows', () => {
    const book = gradebook('moodle', result);
    expect(book.file).toBe('gradebook-moodle.csv');
    const [header, ...body] = rows(book.text);
    expect(header).toEqual(['Email address', 'socklab stage 1: Stage 1', 'socklab stage 2: Stage 2', 'socklab total']);
    expect(body).toEqual([
      ['ana@uni.edu', '4', '2', '6'],
      ['dm@uni.edu', '4', '0', '4'],
      ['eve@uni.edu', '', '', ''],
      ['gus@uni.edu', '4', '', ''],
    ]);
    expect(book.warnings).toEqual([]);
  });

  it('says when the roster gives an LMS nothing to match students by', () => {
    const bare: ClassResult = { ...result, rosterColumns: undefined, students: result.students.map(({ info: _i, ...s }) => s) };
    expect(gradebook('canvas', bare).warnings[0]).toMatch(/^gradebook-canvas\.csv: 4 students have no lms_id, sis_user_id or sis_login_id in the roster \(e\.g\. ana\)/);
    const moodle = gradebook('moodle', bare);
    expect(moodle.warnings[0]).toMatch(/^gradebook-moodle\.csv: the roster has no email, idnumber or username column/);
    expect(rows(moodle.text)[0]![0]).toBe('Username');
    expect(rows(moodle.text)[1]![0]).toBe('ana');
    expect(rows(gradebook('canvas', bare).text)[2]![0]).toBe('ana'); // the student id stands in for the name
  });

  it('keeps run details out of a message: the random port, temp folders, the student\'s and the kit\'s paths', () => {
    expect(withoutRunDetails('did not start listening on port 41234 within 6 s')).toBe('did not start listening within 6 s');
    expect(withoutRunDetails('port 39001 was already in use (PORT=39001)')).toBe('a port was already in use (PORT)');
    expect(withoutRunDetails('10 秒内没有在端口 41234 上开始监听')).toBe('10 秒内没有开始监听');
    expect(withoutRunDetails(`cannot read /srv/class/ana/exercises/x/server.ts`, '/srv/class/ana')).toBe('cannot read exercises/x/server.ts');
    expect(withoutRunDetails(`failed in ${path.join(repoRoot, 'grader', 'class', 'worker.ts')}`)).toBe('failed in grader/class/worker.ts');
    expect(withoutRunDetails(`no file ${path.join(os.tmpdir(), 'socklab-class-AbC123', 'lane0-x', 'index.html')} here`)).toBe('no file … here');
  });
});

describe('the roster', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'socklab-roster-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const roster = (text: string) => {
    const file = path.join(tmp, `r-${Math.random().toString(36).slice(2)}.csv`);
    writeFileSync(file, text);
    return () => readRoster(file, 'r.csv');
  };
  const failure = (read: () => unknown): string => {
    try {
      read();
    } catch (err) {
      if (err instanceof ClassInputError) return err.text.en;
      throw err;
    }
    return 'read';
  };

  it('carries the columns a header names, for every student, in order', () => {
    const r = roster(`${BOM}student,repo,email,LMS id,section\r\nana,a,ana@uni.edu,1001,A\r\n"ben, B.",b,ben@uni.edu,,B\r\n`)();
    expect(r.columns).toEqual(['email', 'LMS id', 'section']);
    expect(r.students.map((s) => [s.id, s.info])).toEqual([
      ['ana', { email: 'ana@uni.edu', 'LMS id': '1001', section: 'A' }],
      ['ben, B.', { email: 'ben@uni.edu', 'LMS id': '', section: 'B' }],
    ]);
    expect(roster('ana,a\nben,b\n')().columns).toEqual([]); // no header: two columns, as before
  });

  it('names the line a mistake is on, counting blank lines and line breaks inside quotes', () => {
    const head = 'student,repo,note\n';
    expect(failure(roster(`${head}ana,a,"two\nlines"\n\n\nben,,x\n`))).toBe('--roster r.csv: line 6 needs two columns, student id and repo path');
    expect(failure(roster(`${head}ana,a,x\n\nana,b,y\n`))).toBe("--roster r.csv: line 4 lists student 'ana' again (first on line 2)");
    expect(failure(roster(`${head}ana,a,x,extra\n`))).toBe('--roster r.csv: line 2 has 4 columns, but the header names 3');
    expect(failure(roster('ana,a\r\nben,b,ben@uni.edu\r\n'))).toMatch(/^--roster r\.csv: line 2 has 3 columns — name them in a header row/);
    expect(failure(roster('student,repo,,email\nana,a,,x\n'))).toBe('--roster r.csv: line 1 (the header): column 3 has no name');
  });
});

describe('grading a class from a roster with email and LMS id', () => {
  let tmp: string;
  let r: Awaited<ReturnType<typeof execa>>;
  const tag = newTag();
  const stage = classStages[0]!;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'socklab-gradebooks-'));
    makeStudent(path.join(tmp, 'repos'), 'ana', 'correct');
    makeStudent(path.join(tmp, 'repos'), 'ben', 'never-listens');
    makeStudent(path.join(tmp, 'repos'), 'dong', 'missing-file');
    makeStudent(path.join(tmp, 'repos'), 'eve', 'skeleton');
    writeFileSync(
      path.join(tmp, 'roster.csv'),
      `${BOM}student,repo,name,email,lms_id,section\r\n` +
        'ana,repos/ana,Ana Lima,ana@uni.edu,1001,A\r\n' +
        'ben,repos/ben,Ben Ode,ben@uni.edu,1002,A\r\n' +
        'dong,repos/dong,董明,dm@uni.edu,1003,B\r\n' +
        'eve,repos/eve,Eve,eve@uni.edu,1004,B\r\n' +
        'zoe,repos/zoe,Zoe,zoe@uni.edu,1005,B\r\n',
    );
    r = await execa('node', [path.join(repoRoot, 'grader/bin.mjs'), '--roster', 'roster.csv', '--stages', String(stage.number), '--jobs', '2', '--seed', '3', '--out', 'out', '--gradebook', 'canvas', '--gradebook', 'moodle,plain'], {
      cwd: tmp,
      reject: false,
      stdin: 'ignore',
      env: { LANG: 'en_US.UTF-8', SOCKLAB_TEST_TAG: tag },
      timeout: 300_000,
    });
  }, 300_000);
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('writes each gradebook asked for beside the others, and says so', () => {
    expect(r.exitCode, String(r.stderr)).toBe(0);
    for (const f of ['gradebook.csv', 'gradebook-canvas.csv', 'gradebook-moodle.csv', 'results.json', 'report.html']) expect(existsSync(path.join(tmp, 'out', f)), f).toBe(true);
    expect(String(r.stdout)).toMatch(/Wrote out\/gradebook\.csv, out\/gradebook-canvas\.csv, out\/gradebook-moodle\.csv, out\/results\.json and out\/report\.html/);
    expect(String(r.stdout)).toMatch(/ok 2 · did not start 2 · error 1 · timeout 0/);
    expect(processesTagged(tag)).toEqual([]);
  });

  it('tells a server that did not start (the student\'s) from a repo the grader could not grade, with no port in the reason', () => {
    const [header, ...body] = rows(readFileSync(path.join(tmp, 'out', 'gradebook.csv'), 'utf8'));
    const col = (name: string) => header!.indexOf(name);
    const row = (id: string) => body.find((x) => x[0] === id)!;
    expect(header!.slice(0, 5)).toEqual(['student', 'name', 'email', 'lms_id', 'section']);
    expect(row('dong')[col('name')]).toBe('董明');
    expect(row('ana')[col('status')]).toBe('ok');
    expect(row('eve')[col('status')]).toBe('ok'); // an untouched skeleton starts; it scores what it scores
    expect(row('ben')[col('status')]).toBe('did-not-start');
    expect(row('ben')[col('reason')]).toMatch(/^stage 1: the server did not start: did not start listening within \d+ s/);
    expect(row('ben')[col('reason')]).not.toMatch(/\d{4,5}/);
    expect(row('dong')[col('status')]).toBe('did-not-start');
    expect(row('dong')[col('reason')]).toBe(`stage 1: exercises/${stage.slug}/server.ts is missing`);
    expect(row('zoe')[col('status')]).toBe('error');
    expect(row('zoe')[col('reason')]).toBe(`repo not found: ${path.join(tmp, 'repos', 'zoe')}`);
  });

  it('fills Canvas\'s ID and Section from the roster, and leaves the ungradable blank', () => {
    const [header, points, ...body] = rows(readFileSync(path.join(tmp, 'out', 'gradebook-canvas.csv'), 'utf8'));
    expect(header).toEqual(['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', `socklab stage ${stage.number}: ${stage.title.en}`]);
    expect(points![0]).toBe('Points Possible');
    expect(body.map((x) => x.slice(0, 5))).toEqual([
      ['Ana Lima', '1001', '', '', 'A'],
      ['Ben Ode', '1002', '', '', 'A'],
      ['董明', '1003', '', '', 'B'],
      ['Eve', '1004', '', '', 'B'],
      ['Zoe', '1005', '', '', 'B'],
    ]);
    expect(body.map((x) => x[5])).toEqual([points![5], '0', '0', '0', '']);
  });

  it('identifies Moodle users by email', () => {
    const [header, ...body] = rows(readFileSync(path.join(tmp, 'out', 'gradebook-moodle.csv'), 'utf8'));
    expect(header![0]).toBe('Email address');
    expect(body.map((x) => x[0])).toEqual(['ana@uni.edu', 'ben@uni.edu', 'dm@uni.edu', 'eve@uni.edu', 'zoe@uni.edu']);
    expect(body).toHaveLength(5);
  });

  it('keeps the roster columns in results.json, and marks the untouched skeleton', () => {
    const doc = JSON.parse(readFileSync(path.join(tmp, 'out', 'results.json'), 'utf8'));
    expect(doc.rosterColumns).toEqual(['name', 'email', 'lms_id', 'section']);
    const eve = doc.students.find((s: { id: string }) => s.id === 'eve');
    expect(eve.info).toEqual({ name: 'Eve', email: 'eve@uni.edu', lms_id: '1004', section: 'B' });
    expect(eve.untouched).toEqual([stage.number]);
    expect(doc.students.find((s: { id: string }) => s.id === 'ana').untouched).toBeUndefined();
  });
});
