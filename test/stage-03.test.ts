/**
 * Stage 3 (routing): the solution passes every check on many seeds, the untouched skeleton fails,
 * and each deliberately broken server is caught by the check written for its bug — above all, no
 * way of spelling a path outside the document root gets past 3.13.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exerciseFile, explainFailures, failedIds, fixtureFile, grade, repoRoot, solutionFile } from './helpers.ts';

const SLUG = '03-routing';

describe('stage 3: routing', () => {
  it('the model solution passes every check for 20 seeds', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const result = await grade(3, solutionFile(SLUG), seed * 7919);
      expect(result.passed, `seed ${seed * 7919}:\n${explainFailures(result)}`).toBe(true);
      expect(result.score).toBe(result.maxScore);
    }
  });

  it('the untouched skeleton starts, fails every check, and fails fast', async () => {
    const started = Date.now();
    const result = await grade(3, exerciseFile(SLUG));
    expect(result.startError).toBeUndefined();
    expect(result.score).toBe(0);
    for (const c of result.checks) expect(c.failure?.kind, c.id).toBe('closed-early');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  // One bug each; the check meant to catch it, and how the failure should be described.
  const fixtures: [file: string, check: string, kind: string][] = [
    ['every-file-is-html.ts', '3.2', 'wrong'],
    ['reads-files-as-text.ts', '3.3', 'wrong'],
    ['unknown-type-is-text.ts', '3.4', 'wrong'],
    ['only-root-index.ts', '3.5', 'wrong'],
    ['no-percent-decoding.ts', '3.6', 'wrong'],
    ['keeps-query-string.ts', '3.7', 'wrong'],
    ['missing-file-is-200.ts', '3.8', 'wrong'],
    ['plain-404.ts', '3.9', 'wrong'],
    ['head-sends-body.ts', '3.10', 'wrong'],
    ['serves-any-method.ts', '3.11', 'wrong'],
    ['crashes-on-one-word-request.ts', '3.12', 'crashed'],
    ['no-traversal-check.ts', '3.13', 'wrong'],
    ['prefix-check-without-separator.ts', '3.13', 'wrong'],
    ['checks-dots-before-decoding.ts', '3.13', 'wrong'],
    ['crashes-on-bad-escape.ts', '3.13', 'crashed'],
    ['answers-http-1-0.ts', '3.14', 'wrong'],
    ['shared-buffer.ts', '3.15', 'wrong'],
    ['drops-slow-clients.ts', '3.15', 'closed-early'],
  ];

  it.concurrent.each(fixtures)('%s is caught by check %s (%s)', async (file, check, kind) => {
    const result = await grade(3, fixtureFile(SLUG, file), 42);
    expect(failedIds(result), explainFailures(result)).toContain(check);
    expect(result.checks.find((c) => c.id === check)?.failure?.kind).toBe(kind);
  });

  it('a leaked secret is named as such, with the attempt that leaked it and the fix for that spelling', async () => {
    const prefix = await grade(3, fixtureFile(SLUG, 'prefix-check-without-separator.ts'), 8, { only: ['3.13'] });
    const f = prefix.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/^GET \/(\.\.|%2e%2e)\/[a-z]+-site-private\/secret-[a-z]+\.txt returned the contents of \/.+, a file OUTSIDE the document root/);
    expect(f.hint?.en).toMatch(/root \+ path\.sep/);
    const encoded = await grade(3, fixtureFile(SLUG, 'checks-dots-before-decoding.ts'), 8, { only: ['3.13'] });
    expect(encoded.checks[0]!.failure?.summary.en).toMatch(/^GET \/%2e%2e\/secret-[a-z]+\.txt returned the contents of/);
    expect(encoded.checks[0]!.failure?.hint?.en).toMatch(/decode first/);
  });

  it('a crash is reported with the exception the server printed', async () => {
    const result = await grade(3, fixtureFile(SLUG, 'crashes-on-bad-escape.ts'), 8, { only: ['3.13'] });
    const f = result.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/^the server crashed/);
    expect(f.serverOutput).toMatch(/URIError: URI malformed/);
  });

  it('the site of a run can be rebuilt from its seed, to replay a failure by hand', async () => {
    const result = await grade(3, fixtureFile(SLUG, 'every-file-is-html.ts'), 77, { only: ['3.2'] });
    const asked = /^GET (\/\S+)/.exec(result.checks[0]!.failure!.wire!.sentPreview.slice(1))![1]!;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'socklab-replay-'));
    try {
      const out = execFileSync(process.execPath, ['grader/bin.mjs', '--site', '3', '--seed', '77', dir], { cwd: repoRoot, encoding: 'utf8' });
      const root = out.trim();
      expect(path.dirname(root)).toBe(dir);
      expect(existsSync(path.join(root, decodeURIComponent(asked)))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the same seed gives the same document root and the same requests', async () => {
    const a = await grade(3, fixtureFile(SLUG, 'every-file-is-html.ts'), 99, { only: ['3.2'] });
    const b = await grade(3, fixtureFile(SLUG, 'every-file-is-html.ts'), 99, { only: ['3.2'] });
    const c = await grade(3, fixtureFile(SLUG, 'every-file-is-html.ts'), 100, { only: ['3.2'] });
    expect(a.checks[0]!.failure?.wire?.sentPreview).toBe(b.checks[0]!.failure?.wire?.sentPreview);
    expect(a.checks[0]!.failure?.wire?.sentPreview).not.toBe(c.checks[0]!.failure?.wire?.sentPreview);
  });
});
