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
import { escapeData, escapeProperty } from '../grader/report/github.ts';
import { newTag, processesTagged, repoRoot, solutionFile } from './helpers.ts';

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
    expect(md).toMatch(/^## socklab · \d+\/14 points$/m);
    expect(md).toContain('| | Stage | Checks passed | Points |\n|---|---|---|---|');
    expect(md).toMatch(/^\| 🟡 \| 1 · TCP echo \| \d+\/11 \| \d+\/14 \|$/m);
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
    expect(r.summary).toMatch(/^\| ✅ \| 1 · TCP echo \| 11\/11 \| 14\/14 \|$/m);
  }, 300_000);

  it('reports a server that never starts once, with exit code 3', async () => {
    const r = await run(['1', '--file', path.join(servers, 'never-listens.ts')]);
    expect(r.exitCode).toBe(3);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^::error file=exercises\/01-tcp-echo\/server\.ts,title=socklab stage 1%3A the server did not start::did not start listening/);
  }, 300_000);

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
