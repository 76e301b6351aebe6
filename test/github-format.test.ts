/**
 * `npm run grade -- --format github`, as the student edition's workflow runs it: workflow-command
 * annotations on stdout for each failing check, a Markdown summary in $GITHUB_STEP_SUMMARY, and
 * the usual exit codes.
 */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { t } from '../grader/i18n.ts';
import { escapeData, escapeProperty, githubAnnotations, MAX_ERROR_ANNOTATIONS } from '../grader/report/github.ts';
import type { CheckResult, StageResult } from '../grader/types.ts';
import { findStage } from '../grader/stages.ts';
import { newTag, processesTagged, repoRoot, solutionFile } from './helpers.ts';

// Stage 1 as the student edition grades it: its public checks and their points.
const publicChecks = findStage(1)!.checks.filter((c) => !c.teacherOnly);
const CHECKS = publicChecks.length;
const POINTS = publicChecks.reduce((n, c) => n + c.points, 0);

const servers = path.join(repoRoot, 'test', 'fixtures', 'class', 'servers');

describe('--format github', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'socklab-github-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const run = async (args: string[]) => {
    const summary = path.join(tmp, `summary-${Math.random().toString(36).slice(2)}.md`);
    writeFileSync(summary, '# earlier step\n');
    const tag = newTag();
    const r = await execa('node', [path.join(repoRoot, 'grader/bin.mjs'), ...args, '--format', 'github'], {
      cwd: repoRoot,
      reject: false,
      stdin: 'ignore',
      env: { GITHUB_STEP_SUMMARY: summary, GITHUB_ACTIONS: 'true', SOCKLAB_TEST_TAG: tag, LANG: 'C.UTF-8' },
      timeout: 300_000,
    });
    expect(processesTagged(tag)).toEqual([]);
    return { ...r, summary: readFileSync(summary, 'utf8') };
  };

  it('annotates each failing check on the exercise file, one workflow command per line', async () => {
    const r = await run(['1', '--file', path.join(servers, 'text-mangler.ts'), '--seed', '9']);
    expect(r.exitCode).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^::error file=exercises\/01-tcp-echo\/server\.ts,title=socklab 1\.\d+ [^:]*::\S.*$/);
    const binary = lines.find((l) => l.includes('title=socklab 1.2 '))!;
    expect(binary).toContain('%0AHint: Write back the Buffer');
    expect(lines.some((l) => l.includes('title=socklab 1.1 '))).toBe(false); // 1.1 passes
    expect(lines.some((l) => l.includes('1.13'))).toBe(false); // teacher-only checks stay hidden
  }, 300_000);

  it('appends a Markdown summary: a table per stage, failures with their transcripts, the seed', async () => {
    const r = await run(['1', '--file', path.join(servers, 'text-mangler.ts'), '--seed', '9']);
    const md = r.summary;
    expect(md.startsWith('# earlier step\n')).toBe(true); // appended, never overwritten
    expect(md).toMatch(new RegExp(`^## socklab · \\d+/${POINTS} points$`, 'm'));
    expect(md).toContain('| | Stage | Checks passed | Points |\n|---|---|---|---|');
    expect(md).toMatch(new RegExp(`^\\| 🟡 \\| 1 · TCP echo \\| \\d+/${CHECKS} \\| \\d+/${POINTS} \\|$`, 'm'));
    expect(md).toMatch(/^\| ❌ \| `1\.2` all 256 byte values come back unchanged \| 0\/1 \|$/m);
    expect(md).toMatch(/<details><summary>❌ 1\.2 all 256 byte values/);
    expect(md).toContain('**Sent:** client 1: 1 write, 256 bytes\n\n```text\n"');
    expect(md).not.toMatch(/\bfin\b|, reset\)/); // how a connection ended is said in words
    expect(md).toContain('npm run grade -- --seed 9');
    // Every fence that opens closes.
    expect((md.match(/^`{3,}text$/gm) ?? []).length).toBe((md.match(/^`{3,}$/gm) ?? []).length);
  }, 300_000);

  it('shows a passing stage as done, with no annotations and exit code 0', async () => {
    const r = await run(['1', '--file', solutionFile('01-tcp-echo')]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.summary).toMatch(new RegExp(`^\\| ✅ \\| 1 · TCP echo \\| ${CHECKS}/${CHECKS} \\| ${POINTS}/${POINTS} \\|$`, 'm'));
  }, 300_000);

  it('reports a server that never starts once, with exit code 3', async () => {
    const r = await run(['1', '--file', path.join(servers, 'never-listens.ts')]);
    expect(r.exitCode).toBe(3);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^::error file=exercises\/01-tcp-echo\/server\.ts,title=socklab stage 1%3A the server did not start::did not start listening/);
  }, 300_000);

  it('annotates an untouched repo on the stage to do first: at most 9 errors, then one notice for the rest', async () => {
    const r = await run([]);
    expect(r.exitCode).toBe(1);
    const lines = r.stdout.trim().split('\n');
    const errors = lines.filter((l) => l.startsWith('::error '));
    expect(errors).toHaveLength(MAX_ERROR_ANNOTATIONS);
    expect(MAX_ERROR_ANNOTATIONS).toBeLessThan(10); // GitHub shows 10 error annotations per step, and drops the rest
    for (const e of errors) expect(e).toMatch(/^::error file=exercises\/01-tcp-echo\/server\.ts,title=socklab 1\.\d+ /);
    // The summary's table says how many checks fail in all; the notice counts the ones not annotated.
    const failing = [...r.summary.matchAll(/^\| (?:❌|🟡) \| \d+ · .*? \| (\d+)\/(\d+) \|/gm)].reduce((a, m) => a + Number(m[2]) - Number(m[1]), 0);
    expect(failing).toBeGreaterThan(20);
    expect(lines.slice(errors.length)).toEqual([`::notice title=socklab::${failing - MAX_ERROR_ANNOTATIONS} more failures: see the summary on the run's page`]);
  }, 300_000);

  it('orders annotations from the first stage not fully passed, and counts what does not fit', () => {
    const check = (id: string, passed: boolean): CheckResult => ({
      id,
      title: t(`check ${id}`, `检查 ${id}`),
      passed,
      points: passed ? 1 : 0,
      maxPoints: 1,
      durationMs: 1,
      ...(passed ? {} : { failure: { kind: 'wrong' as const, summary: t(`${id} went wrong`, `${id} 出错了`) } }),
    });
    const stage = (n: number, failing: number, passing = 1, startError = false): StageResult => ({
      stage: n,
      slug: `0${n}-s`,
      title: t(`S${n}`, `S${n}`),
      seed: 1,
      score: passing,
      maxScore: passing + failing,
      passed: failing === 0 && !startError,
      checks: [...Array.from({ length: passing }, (_, i) => check(`${n}.${i + 1}`, true)), ...Array.from({ length: failing }, (_, i) => check(`${n}.${passing + i + 1}`, false))],
      ...(startError ? { startError: { kind: 'not-started', text: t('did not start listening', '没有开始监听'), output: '' } } : {}),
      startMs: 1,
      durationMs: 1,
    });
    const lines = (results: StageResult[], lang: 'en' | 'zh-CN' = 'en') => githubAnnotations(results, lang).trim().split('\n');
    // Stage 1 done; stage 2 is where the learner is; stage 3 fails 8; stage 4 never started.
    const got = lines([stage(1, 0), stage(2, 5), stage(3, 8), stage(4, 3, 0, true)]);
    expect(got.slice(0, 5).every((l) => l.startsWith('::error file=exercises/02-s/server.ts,title=socklab 2.'))).toBe(true);
    expect(got.slice(5, 9).every((l) => l.startsWith('::error file=exercises/03-s/server.ts,title=socklab 3.'))).toBe(true);
    expect(got[9]).toBe("::notice title=socklab::5 more failures: see the summary on the run's page"); // 4 of stage 3, and stage 4
    expect(got).toHaveLength(10);
    // The stage being worked on comes first even when a later stage is listed before it.
    expect(lines([stage(3, 2), stage(1, 1)])[0]).toMatch(/^::error file=exercises\/03-s/);
    expect(lines([stage(1, 0), stage(2, 0), stage(3, 2), stage(4, 1)])[0]).toMatch(/title=socklab 3\.2 /);
    // Nine fit exactly: no notice. Ten: one more, in the learner's language.
    expect(lines([stage(1, 9)]).filter((l) => l.startsWith('::notice'))).toEqual([]);
    expect(lines([stage(1, 10)], 'zh-CN').at(-1)).toBe('::notice title=socklab::还有 1 项未通过：见运行页面上的摘要');
    expect(githubAnnotations([stage(1, 0), stage(2, 0)], 'en')).toBe('');
  });

  it('escapes workflow-command data and properties as GitHub specifies', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
    expect(escapeProperty('a: b, c')).toBe('a%3A b%2C c');
  });

  it('rejects an unknown format', async () => {
    const r = await execa('node', [path.join(repoRoot, 'grader/bin.mjs'), '--format', 'xml'], { cwd: repoRoot, reject: false, stdin: 'ignore' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^socklab: --format takes terminal, json or github, got 'xml'$/);
  });
});
