/**
 * Classes larger than one machine: `--shard i/n` grades every n-th student of the roster, `--merge`
 * joins the parts, and the result is the whole class's — the same gradebooks byte for byte, and
 * the same results.json except the fields that say when grading ran and how long it took
 * (startedAt, durationMs, startMs, and a transcript's elapsedMs), which no two runs share.
 *
 * Every student here is graded reproducibly: two whole runs give the same bytes. Some failures are
 * not: a transcript that carries the random port of its run (a crash's "connection refused on
 * 127.0.0.1:PORT", as the stage-2 skeleton gives on 2.9), a count of bytes in flight (the stage-1
 * skeleton's answer to 1.3, "we kept sending (3997696 bytes so far)"), or which of 50 concurrent
 * clients failed first (1.12) differs between two whole runs as well; students with those would
 * test the grader's timing, not sharding (a skeleton that hangs up while the grader is still
 * writing frames, on stage 4, is one of those too). So this class is graded on stage 3, where
 * its servers fail the same way every time — checked by grading the whole class twice — and
 * class.test.ts grades the others.
 */
import { execa } from 'execa';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRoster, shardOf } from '../grader/class/discover.ts';
import { mergeShards } from '../grader/class/merge.ts';
import { readResults } from '../grader/class/results-file.ts';
import { studentSeed } from '../grader/class/seed.ts';
import { classStages, makeStudent } from './fixtures/class/make-class.ts';
import { newTag, processesTagged, repoRoot } from './helpers.ts';

const STAGES = classStages.filter((s) => s.number === 3);
const fixture = (name: string): string => path.join(repoRoot, 'test', 'fixtures', STAGES[0]!.slug, name);
const GRADEBOOKS = ['gradebook.csv', 'gradebook-canvas.csv', 'gradebook-moodle.csv'];
/** What only says when a run happened and how long it took. */
const RUN_TIMING = new Set(['startedAt', 'durationMs', 'startMs', 'elapsedMs']);

function withoutRunTiming(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutRunTiming);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([k]) => !RUN_TIMING.has(k)).map(([k, v]) => [k, withoutRunTiming(v)]));
  return value;
}

/** results.json as text, minus exactly the run-timing fields (key order and everything else kept). */
const resultsText = (dir: string): string => JSON.stringify(withoutRunTiming(JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8'))), null, 2);

describe('a class graded in shards and merged', () => {
  let tmp: string;
  let tag: string;
  const timings: Record<string, number> = {};
  const run = (args: string[]) =>
    execa('node', [path.join(repoRoot, 'grader/bin.mjs'), ...args], { cwd: tmp, reject: false, stdin: 'ignore', env: { LANG: 'en_US.UTF-8', SOCKLAB_TEST_TAG: tag }, timeout: 600_000 });
  const grade = async (name: string, extra: string[]) => {
    const t0 = Date.now();
    const r = await run(['--roster', 'roster.csv', '--stages', STAGES.map((s) => s.number).join(','), '--seed', '7', '--jobs', '2', '--gradebook', 'plain,canvas,moodle', '--out', name, ...extra]);
    timings[name] = Date.now() - t0;
    expect(r.exitCode, r.stderr).toBe(0);
    return r;
  };

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'socklab-shards-'));
    tag = newTag();
    const classDir = path.join(tmp, 'class');
    const put = (id: string, file: string) => cpSync(file, path.join(classDir, id, 'exercises', STAGES[0]!.slug, 'server.ts'));
    makeStudent(classDir, 'ana', 'correct');
    makeStudent(classDir, 'ben', 'correct');
    put('ben', fixture('every-file-is-html.ts'));
    makeStudent(classDir, 'cai', 'skeleton');
    // dan deleted the stage's file.
    makeStudent(classDir, 'dan', 'correct');
    rmSync(path.join(classDir, 'dan', 'exercises', STAGES[0]!.slug, 'server.ts'));
    makeStudent(classDir, 'eve', 'not-a-repo');
    makeStudent(classDir, 'fay', 'correct');
    put('fay', fixture('head-sends-body.ts'));
    makeStudent(classDir, '王小明', 'correct');
    writeFileSync(
      path.join(tmp, 'roster.csv'),
      [
        'student,repo,name,email,lms_id,section,github',
        'ana,class/ana,Ana Lima,ana@uni.edu,1001,A,net101/socklab-ana',
        'ben,class/ben,"Ben, Jr.",ben@uni.edu,1002,A,net101/socklab-ben',
        'cai,class/cai,Cai Wen,cai@uni.edu,1003,B,net101/socklab-cai',
        'dan,class/dan,Dan Ó,dan@uni.edu,1004,B,net101/socklab-dan',
        'eve,class/eve,Eve,eve@uni.edu,1005,A,net101/socklab-eve',
        'fay,class/fay,Fay,fay@uni.edu,1006,B,net101/socklab-fay',
        '王小明,class/王小明,王小明,wxm@uni.edu,1007,B,net101/socklab-wxm',
        '',
      ].join('\r\n'),
    );
    await grade('whole', []);
    await grade('whole-again', []);
    for (const i of [1, 2, 3]) await grade(`shard-${i}`, ['--shard', `${i}/3`]);
    const t0 = Date.now();
    const merged = await run(['--merge', 'shard-1', 'shard-2', 'shard-3', '--gradebook', 'plain,canvas,moodle', '--out', 'merged']);
    timings.merge = Date.now() - t0;
    expect(merged.exitCode, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/3 shards merged · 7 students/);
    console.log(`whole ${timings.whole} ms; shards ${timings['shard-1']} + ${timings['shard-2']} + ${timings['shard-3']} ms; merge ${timings.merge} ms`);
  }, 900_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('leaves no process behind', () => {
    expect(processesTagged(tag)).toEqual([]);
  });

  it('grades every n-th student of the roster in each shard, with the whole run\'s seeds', () => {
    const ids = (dir: string) => readResults(path.join(tmp, dir, 'results.json')).students.map((s) => s.id);
    expect(ids('shard-1')).toEqual(['ana', 'dan', '王小明']);
    expect(ids('shard-2')).toEqual(['ben', 'eve']);
    expect(ids('shard-3')).toEqual(['cai', 'fay']);
    const shard = readResults(path.join(tmp, 'shard-2', 'results.json'));
    expect(shard.shard).toEqual({ index: 2, count: 3, rosterSize: 7, rosterDigest: expect.stringMatching(/^[0-9a-f]{16}$/) });
    for (const s of shard.students) expect(s.seed).toBe(studentSeed(7, s.id));
  });

  it('grades this class reproducibly: two whole runs give the same results (so any difference below is sharding\'s)', () => {
    expect(resultsText(path.join(tmp, 'whole-again'))).toBe(resultsText(path.join(tmp, 'whole')));
  });

  it('merges into the same gradebooks as the whole run, byte for byte', () => {
    for (const f of GRADEBOOKS) expect(readFileSync(path.join(tmp, 'merged', f)), f).toEqual(readFileSync(path.join(tmp, 'whole', f)));
    // ...which are real gradebooks of this class, not two empty files.
    const plain = readFileSync(path.join(tmp, 'whole', 'gradebook.csv'), 'utf8');
    expect(plain.split('\r\n').filter(Boolean)).toHaveLength(8);
    expect(plain).toContain('王小明');
  });

  it('merges into the same results.json as the whole run, except when it ran and how long it took', () => {
    const merged = resultsText(path.join(tmp, 'merged'));
    expect(merged).toBe(resultsText(path.join(tmp, 'whole')));
    const doc = JSON.parse(merged);
    expect(doc.shard).toBeUndefined();
    expect(doc.students.map((s: { id: string }) => s.id)).toEqual(['ana', 'ben', 'cai', 'dan', 'eve', 'fay', '王小明']);
    const by = (id: string) => doc.students.find((s: { id: string }) => s.id === id);
    expect(by('ben').stages[0].checks.filter((c: { passed: boolean }) => !c.passed).length).toBeGreaterThan(0);
    expect(by('fay').stages[0].checks.filter((c: { passed: boolean }) => !c.passed).length).toBeGreaterThan(0);
    expect(by('cai').untouched).toEqual([STAGES[0]!.number]);
    expect(by('dan').status).toBe('did-not-start');
    expect(by('eve').status).toBe('error');
    expect(doc.students.find((s: { id: string }) => s.id === 'ben').info).toEqual({ name: 'Ben, Jr.', email: 'ben@uni.edu', lms_id: '1002', section: 'A', github: 'net101/socklab-ben' });
    // Timing is kept, not dropped: the merged run starts with the first shard and ends with the last.
    const raw = readResults(path.join(tmp, 'merged', 'results.json'));
    const parts = [1, 2, 3].map((i) => readResults(path.join(tmp, `shard-${i}`, 'results.json')));
    expect(raw.startedAt).toBe(parts.map((p) => p.startedAt).sort()[0]);
    expect(raw.durationMs).toBeGreaterThanOrEqual(Math.max(...parts.map((p) => p.durationMs)));
  });

  it('writes a report of the whole class', () => {
    const html = readFileSync(path.join(tmp, 'merged', 'report.html'), 'utf8');
    for (const id of ['ana', 'ben', 'cai', 'dan', 'eve', 'fay', '王小明']) expect(html).toContain(`>${id}</a>`);
  });

  it('refuses parts that do not make one class', () => {
    const part = (i: number) => ({ shown: `shard-${i}`, result: readResults(path.join(tmp, `shard-${i}`, 'results.json')) });
    const [a, b, c] = [part(1), part(2), part(3)];
    expect(mergeShards([c, a, b]).students.map((s) => s.id)).toEqual(['ana', 'ben', 'cai', 'dan', 'eve', 'fay', '王小明']); // any order
    const fails = (parts: Parameters<typeof mergeShards>[0]) => {
      try {
        mergeShards(parts);
      } catch (err) {
        return (err as { text: { en: string } }).text.en;
      }
      return 'merged';
    };
    expect(fails([a, b])).toBe('--merge: shard 3/3 missing — merge all 3 parts');
    expect(fails([a, b, b, c])).toBe('--merge: shard 2/3 is given twice (shard-2 and shard-2)');
    expect(fails([a, b, { ...c, result: { ...c.result, classSeed: 8 } }])).toMatch(/^--merge: shard-3 and shard-1 differ in the class seed/);
    expect(fails([a, b, { ...c, result: { ...c.result, students: c.result.students.slice(1) } }])).toMatch(/fewer students than its share|holds 1 students, its share of the roster is 2/);
    const whole = { shown: 'whole', result: readResults(path.join(tmp, 'whole', 'results.json')) };
    expect(fails([whole])).toMatch(/^--merge whole: these are a whole class's results, not a shard's/);
  });

  it('refuses bad command lines with one line and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--roster', 'roster.csv', '--shard', '1/3'], /^socklab: --shard needs --seed N/],
      [['--roster', 'roster.csv', '--shard', '4/3', '--seed', '7'], /^socklab: --shard takes i\/n with 1 ≤ i ≤ n/],
      [['--roster', 'roster.csv', '--shard', '1/3', '--seed', '7', '--only', 'ana'], /does not combine with --shard/],
      [['--merge', 'shard-1', '--roster', 'roster.csv'], /^socklab: --merge joins graded shards/],
      [['--merge'], /^socklab: --merge needs the folders the shards wrote/],
      [['--merge', 'nowhere'], /^socklab: --merge nowhere: no results\.json in this folder$/],
      [['--merge', 'whole'], /whole class's results, not a shard's/],
      [['--roster', 'roster.csv', '--gradebook', 'blackboard'], /^socklab: --gradebook takes plain, canvas, moodle .*got 'blackboard'$/],
    ];
    for (const [args, msg] of cases) {
      const r = await run(args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  }, 120_000);
});

describe('the class-shards workflow template', () => {
  const yml = readFileSync(path.join(repoRoot, 'templates', 'github', 'class-shards.yml'), 'utf8');

  it('grades each shard of a matrix with one seed, uploads it, and merges them all', () => {
    expect(yml).toMatch(/^on:\n  workflow_dispatch:/m);
    expect(yml).toMatch(/^      matrix:\n        shard: \[1, 2, 3, 4\]$/m);
    expect(yml).toMatch(/fail-fast: false/);
    expect(yml).toMatch(/SEED: \$\{\{ inputs\.seed \|\| github\.run_id \}\}/);
    expect(yml).toMatch(/npm run grade -- --roster "\$ROSTER" --shard \$\{\{ matrix\.shard \}\}\/\$\{\{ strategy\.job-total \}\}\n\s+--seed "\$SEED"/);
    expect(yml).toMatch(/uses: actions\/upload-artifact@v\d+\n        with:\n          name: shard-\$\{\{ matrix\.shard \}\}/);
    expect(yml).toMatch(/^  merge:\n    needs: grade\n/m);
    expect(yml).toMatch(/pattern: shard-\*\n          path: shards/);
    expect(yml).toMatch(/run: npm run grade -- --merge shards\/shard-\* --gradebook plain,canvas,moodle --out grades/);
    expect(yml).not.toMatch(/\t/);
  });

  it('clones exactly the repositories of its own shard', async () => {
    const script = /node --import tsx --input-type=module -e '\n([\s\S]*?)\n\s*' \|/.exec(yml)?.[1];
    expect(script).toBeDefined();
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'socklab-clone-list-'));
    try {
      const roster = path.join(tmp, 'class', 'roster.csv');
      mkdirSync(path.dirname(roster));
      const rows = ['student,repo,github', ...['ana', 'ben', 'cai', 'dan', 'eve'].map((s) => `${s},repos/${s},net101/socklab-${s}`)];
      writeFileSync(roster, rows.join('\n') + '\n');
      const r = await execa('node', ['--import', 'tsx', '--input-type=module', '-e', script!], { cwd: repoRoot, reject: false, env: { ROSTER: roster, SHARD: '2/2' } });
      expect(r.exitCode, r.stderr).toBe(0);
      const expected = shardOf(readRoster(roster).students, 2, 2).map((s) => `${s.repo}\t${s.info!.github}`);
      expect(r.stdout.trim().split('\n')).toEqual(expected);
      expect(expected).toEqual([`${path.join(tmp, 'class', 'repos', 'ben')}\tnet101/socklab-ben`, `${path.join(tmp, 'class', 'repos', 'dan')}\tnet101/socklab-dan`]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
