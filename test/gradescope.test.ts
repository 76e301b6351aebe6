/**
 * The Gradescope autograder, run as Gradescope would: the zip unpacked into a simulated
 * /autograder (AUTOGRADER_ROOT), a submission in /autograder/submission, run_autograder executed,
 * and results.json checked against Gradescope's specification.
 */
import { execa } from 'execa';
import { unzipSync } from 'fflate';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageInfo } from '../grader/class/grade-class.ts';
import { studentSeed } from '../grader/class/seed.ts';
import { DEPLOY_NODE_MAJOR } from '../grader/kit/deploy.ts';
import { buildGradescopeZip } from '../grader/kit/gradescope.ts';
import { classStages as stages, makeStudent } from './fixtures/class/make-class.ts';
import { newTag, processesTagged, repoRoot } from './helpers.ts';

const VISIBILITY = ['visible', 'hidden', 'after_due_date', 'after_published'];

/** Gradescope's results.json, field by field (https://gradescope-autograders.readthedocs.io/en/latest/specs/). */
function expectGradescopeFormat(doc: Record<string, unknown>): void {
  expect(typeof doc.execution_time).toBe('number');
  expect(typeof doc.output).toBe('string');
  expect(VISIBILITY).toContain(doc.stdout_visibility);
  expect(Array.isArray(doc.tests)).toBe(true);
  for (const test of doc.tests as Record<string, unknown>[]) {
    expect(Object.keys(test).sort()).toEqual(['max_score', 'name', 'number', 'output', 'output_format', 'score', 'status', 'tags', 'visibility']);
    expect(typeof test.name).toBe('string');
    expect(test.number).toMatch(/^\d+\.\d+$/);
    expect(typeof test.score).toBe('number');
    expect(typeof test.max_score).toBe('number');
    expect(test.score as number).toBeGreaterThanOrEqual(0);
    expect(test.score as number).toBeLessThanOrEqual(test.max_score as number);
    expect(['passed', 'failed']).toContain(test.status);
    expect(test.status === 'passed').toBe(test.score === test.max_score);
    expect(typeof test.output).toBe('string');
    expect(VISIBILITY).toContain(test.visibility);
  }
}

describe('Gradescope autograder', () => {
  let tmp: string;
  let root: string;
  let entries: Record<string, Uint8Array>;
  const seed = 4242;

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'socklab-gradescope-'));
    const zip = buildGradescopeZip(path.join(tmp, 'out'), { classSeed: seed, stages: stages.map((s) => s.number), teacherOnlyVisibility: 'after_published', lang: 'en' }).zip;
    entries = unzipSync(readFileSync(zip));
    // Unpack as Gradescope does: the zip's contents become /autograder/source.
    root = path.join(tmp, 'autograder');
    for (const [name, data] of Object.entries(entries)) {
      if (name.endsWith('/')) continue;
      const dest = path.join(root, 'source', name);
      mkdirSync(path.dirname(dest), { recursive: true });
      writeFileSync(dest, data);
    }
    chmodSync(path.join(root, 'source', 'run_autograder'), 0o755);
    // setup.sh would run `npm ci`; lend the kit's node_modules instead (no network in tests).
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'source', 'node_modules'), 'dir');
    writeFileSync(path.join(root, 'submission_metadata.json'), JSON.stringify({ users: [{ email: 'ana@example.edu', name: 'Ana' }] }));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('holds setup.sh and run_autograder at the top, executable, the kit with its hidden checks, and no solutions', () => {
    const raw = readFileSync(path.join(tmp, 'out', 'autograder.zip'));
    // Central directory entries: external attributes carry the Unix mode in their high 16 bits.
    const modes = new Map<string, number>();
    for (let i = raw.indexOf(Buffer.from([0x50, 0x4b, 1, 2])); i >= 0; i = raw.indexOf(Buffer.from([0x50, 0x4b, 1, 2]), i + 4)) {
      const nameLen = raw.readUInt16LE(i + 28);
      modes.set(raw.toString('utf8', i + 46, i + 46 + nameLen), raw.readUInt32LE(i + 38) >>> 16);
    }
    expect(modes.get('setup.sh')! & 0o777).toBe(0o755);
    expect(modes.get('run_autograder')! & 0o777).toBe(0o755);
    expect(Object.keys(entries)).toEqual(expect.arrayContaining(['setup.sh', 'run_autograder', 'package.json', 'package-lock.json', 'grader/stages.ts', 'socklab-gradescope.json']));
    expect(Object.keys(entries).filter((n) => n.startsWith('solutions/') || n.startsWith('node_modules/') || n.startsWith('test/'))).toEqual([]);
    const setup = Buffer.from(entries['setup.sh']!).toString();
    expect(setup).toMatch(/^#!\/usr\/bin\/env bash/);
    expect(setup).toContain(`NODE_MAJOR="${DEPLOY_NODE_MAJOR}"`);
    expect(setup).toContain('https://nodejs.org/dist/latest-v${NODE_MAJOR}.x');
    expect(setup).toMatch(/sha256sum -c/);
    expect(setup).toMatch(/npm ci --omit=dev/);
    expect(Buffer.from(entries['grader/stages/01-tcp-echo/teacher.ts']!).toString()).toContain("id: '1.13'");
  });

  it('setup.sh and run_autograder are valid bash', async () => {
    for (const f of ['setup.sh', 'run_autograder']) {
      const r = await execa('bash', ['-n', path.join(root, 'source', f)], { reject: false });
      expect(r.exitCode, r.stderr).toBe(0);
    }
  });

  const runAutograder = async (kind: Parameters<typeof makeStudent>[2], layout: 'root' | 'nested' = 'root') => {
    rmSync(path.join(root, 'submission'), { recursive: true, force: true });
    rmSync(path.join(root, 'results'), { recursive: true, force: true });
    const made = makeStudent(tmp, `student-${kind}`, kind);
    cpSync(made, layout === 'root' ? path.join(root, 'submission') : path.join(root, 'submission', 'socklab-main'), { recursive: true });
    const tag = newTag();
    const r = await execa(path.join(root, 'source', 'run_autograder'), [], {
      env: { AUTOGRADER_ROOT: root, SOCKLAB_TEST_TAG: tag },
      reject: false,
      stdin: 'ignore',
      timeout: 600_000,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(processesTagged(tag)).toEqual([]);
    return JSON.parse(readFileSync(path.join(root, 'results', 'results.json'), 'utf8')) as Record<string, unknown> & { tests: Record<string, unknown>[] };
  };

  it('grades a correct submission: every check a passed test, hidden ones after publication', async () => {
    const doc = await runAutograder('correct');
    expectGradescopeFormat(doc);
    const infos = stages.map((s) => stageInfo(s, true));
    expect(doc.tests.map((x) => x.number)).toEqual(infos.flatMap((s) => s.checks.map((c) => c.id)));
    const solved = new Set(stages.filter((s) => readdirSafe(path.join(repoRoot, 'solutions')).includes(s.slug)).map((s) => String(s.number)));
    for (const test of doc.tests) if (solved.has(String(test.number).split('.')[0])) expect(test.status, `${test.number}: ${test.output}`).toBe('passed');
    const hidden = doc.tests.find((x) => x.number === '1.13')!;
    expect(hidden.visibility).toBe('after_published');
    expect(doc.tests.filter((x) => x.visibility !== 'visible').map((x) => x.number)).toEqual(infos.flatMap((s) => s.checks.filter((c) => c.teacherOnly).map((c) => c.id)));
    expect(doc.output).toContain(`--seed ${studentSeed(seed, 'ana@example.edu')}`);
  }, 600_000);

  it('grades a broken submission nested in a folder, with the transcript in each failed test', async () => {
    const doc = await runAutograder('text-mangler', 'nested');
    expectGradescopeFormat(doc);
    const t12 = doc.tests.find((x) => x.number === '1.2')!;
    expect(t12.status).toBe('failed');
    expect(t12.score).toBe(0);
    expect(t12.output).toContain('Sent: client 1: 1 write, 256 bytes\n  "');
    expect(t12.output).toMatch(/^Received: \d+ bytes/m);
    expect(t12.output).toMatch(/Hint: /);
    expect(doc.tests.find((x) => x.number === '1.1')!.status).toBe('passed');
  }, 600_000);

  it('explains a submission without exercises/ instead of crashing', async () => {
    const doc = await runAutograder('not-a-repo');
    expectGradescopeFormat(doc);
    expect(doc.tests.every((x) => x.score === 0)).toBe(true);
    expect(doc.output).toMatch(/no exercises\/ folder in the submission/);
  }, 120_000);
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
