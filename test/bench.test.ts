/**
 * The benchmark is run by hand; here it runs once in smoke mode, to prove it still measures every
 * part it claims to (and so the figures in notes come from a working script). No timing is asserted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from './helpers.ts';

it('npm run bench -- --smoke measures every part and writes them as JSON', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'socklab-bench-test-'));
  try {
    const out = path.join(dir, 'results.json');
    const printed = execFileSync('npm', ['run', '-s', 'bench', '--', '--smoke', '--out', out], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const r = JSON.parse(readFileSync(out, 'utf8'));
    expect(r.smoke).toBe(true);
    expect(r.stage3.floorMs).toBeGreaterThan(0);
    expect(r.stage3.grade.medianMs).toBeGreaterThan(r.stage3.serverStart.medianMs);
    expect(r.breakdown.checksMs['3.1']).toBeGreaterThanOrEqual(0);
    expect(r.course.medianMs).toBeGreaterThan(0);
    expect(r.class.jobs1.wallMs).toBeGreaterThan(0);
    expect(r.class.jobs2.graderPeakMemoryMB).toBeGreaterThan(10);
    expect(r.watch.resultMs.medianMs).toBeGreaterThan(0);
    expect(printed).toMatch(/ratio to floor/);
    expect(r.perStage.stage1.medianMs).toBeGreaterThan(0);
    expect(r.wrongPort.medianMs).toBeGreaterThan(0);
    // A hung server's every check is still reported, and none passes.
    expect(r.hung['stage1:never-accepts.ts'].checksReported).toBeGreaterThan(5);
    expect(r.hung['stage1:accepts-never-answers.ts'].passed).toBe(0);
    expect(r.floodMemory.peakMB).toBeGreaterThan(10);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
