/**
 * What must hold of every stage in the registry (grader/stages.ts), whatever it teaches:
 * - its check ids are N.1, N.2, … in order, teacher-only checks continuing the numbering;
 * - it has an exercise, a solution and a folder of broken fixtures;
 * - its model solution passes every check, teacher-only included, on 20 seeds;
 * - its untouched skeleton starts, then fails every check fast;
 * - each broken fixture in test/fixtures/NN-slug/ fails the check its header names, in the way its
 *   header names, with the words its header names (the header format: fixtureHeader in helpers.ts).
 * Adding a stage or a fixture adds its tests here; only skeletonKinds below names a stage.
 */
import { englishIn } from './zh-words.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, type ExpectStatic } from 'vitest';
import { stages } from '../grader/stages.ts';
import type { Failure, Stage, StageResult } from '../grader/types.ts';
import { exerciseFile, explainFailures, fixtureFile, fixtureHeader, grade, repoRoot, solutionFile, type FixtureHeader } from './helpers.ts';

const SOLUTION_SEEDS = Array.from({ length: 20 }, (_, i) => (i + 1) * 7919);
/** Each fixture is graded once, with this seed; its header must hold for it. */
const FIXTURE_SEED = 42;
/** An untouched skeleton hangs up at once; grading it must not wait out any check's bound. */
const SKELETON_MS = 15_000;
/**
 * How an untouched skeleton fails: it hangs up on every client, so every check sees the
 * connection closed early. Stage 2's skeleton has no 'error' listener yet, so a client that
 * resets may crash it, which the report then says. Stages 6 and 8 start from stand-ins for the
 * learner's earlier work that answer one request and close: right for some requests (plain
 * HTTP/1.0), and answered wrongly for the ones the stage is about (keep-alive, validators).
 */
const skeletonKinds = (stage: Stage): string[] => ({ 2: ['closed-early', 'crashed'], 6: ['closed-early', 'wrong'], 8: ['closed-early', 'wrong'] })[stage.number] ?? ['closed-early'];

const fixtureDir = (slug: string): string => path.join(repoRoot, 'test', 'fixtures', slug);
const fixturesOf = (slug: string): string[] =>
  existsSync(fixtureDir(slug)) ? readdirSync(fixtureDir(slug)).filter((f) => f.endsWith('.ts')).sort() : [];

/** Everything a learner reads about a failure in one language. */
const said = (f: Failure, lang: 'en' | 'zh'): string =>
  [f.summary[lang], f.expected?.[lang], f.hint?.[lang], f.caret?.note[lang]].filter((s) => s !== undefined).join('\n');

/** Runs `job` over `items`, at most `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await job(items[next++]!);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

/** A fixture's header; `onError` decides what a missing or malformed one becomes. */
function headerOf<T = never>(slug: string, name: string, onError?: (err: Error) => T): FixtureHeader | T {
  const file = fixtureFile(slug, name);
  try {
    return fixtureHeader(readFileSync(file, 'utf8'), path.relative(repoRoot, file));
  } catch (err) {
    if (!onError) throw err;
    return onError(err as Error);
  }
}

/**
 * A check during which the server crashed never scores (a restart is there to tell the learner
 * more, not to give points back), and the stage result counts those checks.
 */
function expectCrashesAccounted(r: StageResult, expect: ExpectStatic): void {
  const crashed = r.checks.filter((c) => c.failure?.kind === 'crashed');
  expect(crashed.filter((c) => c.points > 0).map((c) => c.id), 'crashed checks that scored').toEqual([]);
  expect(r.crashes, 'the crash count').toBe(crashed.length);
}

/** Grades a fixture once and asserts what its header declares. */
async function gradeFixture(stage: Stage, name: string, expect: ExpectStatic): Promise<void> {
  const h = headerOf(stage.slug, name);
  if (typeof h.catches === 'object' && 'check' in h.catches) {
    const ids = stage.checks.map((c) => c.id);
    expect(ids, `${name} declares check ${h.catches.check}, which stage ${stage.number} does not have`).toContain(h.catches.check);
  }
  const r = await grade(stage.number, fixtureFile(stage.slug, name), FIXTURE_SEED, { includeTeacherOnly: true });
  const graderErrors = r.checks.filter((c) => c.failure?.kind === 'grader-error').map((c) => `${c.id}: ${c.failure!.summary.en}`);
  expect(graderErrors, "a failure that is the grader's own").toEqual([]);
  expectCrashesAccounted(r, expect);

  if (h.catches === 'nothing') {
    expect(r.passed, explainFailures(r)).toBe(true);
    return;
  }
  if ('start' in h.catches) {
    expect(r.startError?.kind, explainFailures(r)).toBe(h.catches.start);
    expect(r.score).toBe(0);
    expect(r.startError!.text.en).toMatch(h.says!);
    if (h.saysZh) expect(r.startError!.text.zh).toMatch(h.saysZh);
    return;
  }
  const { check, kind } = h.catches;
  expect(r.startError, explainFailures(r)).toBeUndefined();
  const result = r.checks.find((c) => c.id === check)!;
  expect(result.passed, `${check} passed, but ${name} must fail it\n${explainFailures(r)}`).toBe(false);
  const failure = result.failure!;
  expect(kind.split('|'), failure.summary.en).toContain(failure.kind);
  expect(said(failure, 'en')).toMatch(h.says!);
  if (h.saysZh) expect(said(failure, 'zh')).toMatch(h.saysZh);
  // Every failure it causes is told in both languages, and the Chinese report holds no English of its own.
  for (const c of r.checks.filter((c) => !c.passed)) expect(c.failure?.summary.zh, `${c.id} has no Chinese summary`).toMatch(/\S/);
  expect([...new Set(englishIn(r))], `English words in the zh-CN report of ${name}`).toEqual([]);
}

describe('the registry', () => {
  it('numbers each stage once, and every check id is unique', () => {
    const numbers = stages.map((s) => s.number);
    expect(new Set(numbers).size, `stage numbers: ${numbers.join(', ')}`).toBe(numbers.length);
    const ids = stages.flatMap((s) => s.checks.map((c) => c.id));
    expect(ids.filter((id, i) => ids.indexOf(id) !== i), 'check ids used twice').toEqual([]);
  });

  it('has a stage for every exercise, solution and fixture folder', () => {
    const slugs = stages.map((s) => s.slug).sort();
    const stageFolders = (dir: string): string[] =>
      readdirSync(path.join(repoRoot, dir), { withFileTypes: true })
        .filter((d) => d.isDirectory() && /^\d+-/.test(d.name))
        .map((d) => d.name)
        .sort();
    expect(stageFolders('exercises'), 'exercises/ folders').toEqual(slugs);
    expect(stageFolders('solutions'), 'solutions/ folders').toEqual(slugs);
    expect(stageFolders('test/fixtures'), 'test/fixtures/ stage folders').toEqual(slugs);
  });
});

describe('a fixture header', () => {
  it('declares a check, its failure kind and words of its message', () => {
    const h = fixtureHeader('// Bug: …\n// catches: 4.4 closed-early\n// says: read can end anywhere\nimport net from "node:net";\n');
    expect(h).toEqual({ catches: { check: '4.4', kind: 'closed-early' }, says: /read can end anywhere/, saysZh: undefined });
    const block = fixtureHeader('/**\n * BUG: …\n * catches: start never-listened\n * says: did not start\n * says-zh: 9123\n */\ncode();\n');
    expect(block).toEqual({ catches: { start: 'never-listened' }, says: /did not start/, saysZh: /9123/ });
    expect(fixtureHeader('// a tool of another test\n// catches: nothing\n')).toEqual({ catches: 'nothing' });
  });

  it('that is missing or malformed is refused, saying what to write', () => {
    const refused = (source: string): string => {
      try {
        fixtureHeader(source, 'x.ts');
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused('import net from "node:net";\n')).toMatch(/^x\.ts has no "catches:" line in its header; .*"\/\/ catches: 4\.4 closed-early"/);
    // Only the leading comments count: a "catches:" further down is not a header.
    expect(refused('// Bug: …\nconst x = 1;\n// catches: 1.1 wrong\n// says: x\n')).toMatch(/no "catches:" line/);
    expect(refused('// catches: 1.1\n// says: x\n')).toMatch(/is not "<check id> <failure kind>"/);
    expect(refused('// catches: 1.1 wrong\n')).toMatch(/no "says:" line/);
    expect(refused('// catches: 1.1 wrong\n// says: (unclosed\n')).toMatch(/is not a regular expression/);
    expect(refused('// catches: 1.1 wrong\n// catches: 1.2 wrong\n// says: x\n')).toMatch(/2 "catches:" lines/);
    expect(refused('// catches: nothing\n// says: x\n')).toMatch(/catches nothing/);
  });
});

for (const stage of stages) {
  const n = stage.number;
  describe(`stage ${n} (${stage.slug})`, () => {
    it(`numbers its checks ${n}.1, ${n}.2, … in order, teacher-only checks last`, () => {
      expect(stage.checks.map((c) => c.id)).toEqual(stage.checks.map((_, i) => `${n}.${i + 1}`));
      const teacherOnly = stage.checks.map((c) => c.teacherOnly === true);
      expect(teacherOnly, 'a teacher-only check before a student check').toEqual([...teacherOnly].sort());
    });

    it('has an exercise, a solution and broken fixtures', () => {
      expect(existsSync(exerciseFile(stage.slug)), exerciseFile(stage.slug)).toBe(true);
      expect(existsSync(solutionFile(stage.slug)), solutionFile(stage.slug)).toBe(true);
      expect(fixturesOf(stage.slug), `no broken servers in ${fixtureDir(stage.slug)}`).not.toEqual([]);
    });

    it(`the solution passes every check, teacher-only included, for ${SOLUTION_SEEDS.length} seeds`, async () => {
      const failures: string[] = [];
      // Two gradings at a time: as fast as the machine allows without starving the timing checks.
      await inParallel(SOLUTION_SEEDS, 2, async (seed) => {
        const r = await grade(n, solutionFile(stage.slug), seed, { includeTeacherOnly: true });
        if (r.checks.length !== stage.checks.length) failures.push(`seed ${seed}: ran ${r.checks.length} of ${stage.checks.length} checks`);
        if (!r.passed || r.score !== r.maxScore) failures.push(`seed ${seed}: ${r.score}/${r.maxScore}\n${explainFailures(r)}`);
        if (r.crashes !== 0) failures.push(`seed ${seed}: crashed in ${r.crashes} checks`);
      });
      expect(failures.join('\n')).toBe('');
      // Twenty gradings of up to ~5 s each (stages 7 and 8), two at a time, on a loaded machine.
    }, 400_000);

    it('the untouched skeleton starts, then fails every check fast', async () => {
      const started = Date.now();
      const r = await grade(n, exerciseFile(stage.slug), 1, { includeTeacherOnly: true });
      const elapsed = Date.now() - started;
      expect(r.startError, explainFailures(r)).toBeUndefined();
      expect(r.checks.length).toBe(stage.checks.length);
      expect(r.score).toBe(0);
      expectCrashesAccounted(r, expect);
      for (const c of r.checks) {
        expect(c.passed, `${c.id} passed`).toBe(false);
        expect(skeletonKinds(stage), `${c.id}: ${c.failure?.summary.en}`).toContain(c.failure?.kind);
      }
      expect(elapsed, 'the skeleton hangs up at once: nothing should wait out a bound').toBeLessThan(SKELETON_MS);
    });

    // A fixture that catches nothing is a correct server, so it must pass the timing checks too:
    // it is graded alone, like the solution, not beside four broken servers flooding the machine.
    const correct = fixturesOf(stage.slug).filter((name) => headerOf(stage.slug, name, () => undefined)?.catches === 'nothing');
    for (const name of correct) {
      it(`fixture ${name} is a correct server: it passes every check`, ({ expect }) => gradeFixture(stage, name, expect));
    }
    it.concurrent.for(fixturesOf(stage.slug).filter((name) => !correct.includes(name)))(
      'fixture %s trips what its header declares',
      (name, { expect }) => gradeFixture(stage, name, expect),
    );
  });
}
