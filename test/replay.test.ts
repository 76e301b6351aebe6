/**
 * A run can be replayed from its seed: the same seed gives the same inputs and the same document
 * root, a different seed a different one, and the site of a run can be rebuilt by hand.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng } from '../grader/rng.ts';
import { buildSite, loadSite } from '../grader/site/site.ts';
import { findStage } from '../grader/stages.ts';
import { fixtureFile, grade, repoRoot } from './helpers.ts';

describe('the seeded document root', () => {
  it('is the same for a seed and different across seeds, with Chinese text in index.html', async () => {
    const make = async (seed: number): Promise<{ root: string; index: Buffer; dir: string }> => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'socklab-docroot-test-'));
      const root = await buildSite(dir, createRng(seed, 'x'), findStage(3)!.site!);
      return { root, index: readFileSync(path.join(root, 'index.html')), dir };
    };
    const [a, b, c] = [await make(1), await make(1), await make(2)];
    try {
      expect(a.index.equals(b.index)).toBe(true);
      expect(a.index.equals(c.index)).toBe(false);
      expect(path.basename(a.root)).toBe(path.basename(b.root));
      expect(a.index.length).toBeGreaterThan([...a.index.toString('utf8')].length); // bytes ≠ characters
      const site = loadSite(a.root);
      for (const s of site.secrets) expect(path.relative(site.root, s).startsWith('..')).toBe(true);
      expect(site.files.some((f) => f.file.includes(' '))).toBe(true);
      expect(site.files.some((f) => /[^\x00-\x7f]/.test(f.file))).toBe(true);
    } finally {
      for (const x of [a, b, c]) rmSync(x.dir, { recursive: true, force: true });
    }
  });

  it('of a run can be rebuilt from its seed, to replay a failure by hand', async () => {
    const result = await grade(3, fixtureFile('03-routing', 'every-file-is-html.ts'), 77, { only: ['3.2'] });
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
});

describe('a seed', () => {
  it('gives the same inputs each time (stage 1)', async () => {
    const a = await grade(1, fixtureFile('01-tcp-echo', 'adds-newline.ts'), 99, { only: ['1.1'] });
    const b = await grade(1, fixtureFile('01-tcp-echo', 'adds-newline.ts'), 99, { only: ['1.1'] });
    expect(a.checks[0]!.failure?.wire?.sentPreview).toBe(b.checks[0]!.failure?.wire?.sentPreview);
  });

  it('gives the same document root and the same requests each time, another seed others (stage 3)', async () => {
    const a = await grade(3, fixtureFile('03-routing', 'every-file-is-html.ts'), 99, { only: ['3.2'] });
    const b = await grade(3, fixtureFile('03-routing', 'every-file-is-html.ts'), 99, { only: ['3.2'] });
    const c = await grade(3, fixtureFile('03-routing', 'every-file-is-html.ts'), 100, { only: ['3.2'] });
    expect(a.checks[0]!.failure?.wire?.sentPreview).toBe(b.checks[0]!.failure?.wire?.sentPreview);
    expect(a.checks[0]!.failure?.wire?.sentPreview).not.toBe(c.checks[0]!.failure?.wire?.sentPreview);
  });
});
