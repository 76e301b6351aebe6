/**
 * Stage 5 — chat room: the solution passes on many seeds, the skeleton fails fast, each broken
 * fixture is caught by the check its header names, in the way it names, for the reason it names,
 * and a correct chat room written in Python (asyncio) passes through --cmd.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findStage } from '../grader/stages.ts';
import { exerciseFile, explainFailures, failedIds, fixtureFile, grade, repoRoot, solutionFile } from './helpers.ts';

const SLUG = '05-chat-room';

describe('stage 5 — chat room', () => {
  it('the solution passes every check for 10 seeds', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = await grade(5, solutionFile(SLUG), seed);
      expect(r.passed, `seed ${seed}:\n${explainFailures(r)}`).toBe(true);
    }
  });

  it('the skeleton starts, then fails every check at once instead of hanging', async () => {
    const r = await grade(5, exerciseFile(SLUG), 1);
    expect(r.startError, explainFailures(r)).toBeUndefined();
    expect(r.score).toBe(0);
    expect(r.checks.map((c) => c.failure?.kind)).toEqual(r.checks.map(() => 'closed-early'));
    // Fast: no check waits for a bound to run out.
    for (const c of r.checks) expect(c.durationMs, c.id).toBeLessThan(800);
    // Its report points at the line to replace.
    expect(r.checks[0]!.failure!.hint!.en).toContain('socket.end()');
  });

  it('a correct chat room in Python (asyncio, through --cmd) passes too', async () => {
    const script = path.join(repoRoot, 'test', 'fixtures', '05-chat-room-python', 'chat.py');
    for (const seed of [1, 2]) {
      const r = await grade(5, { kind: 'shell', command: `exec python3 ${script} {port}` }, seed);
      expect(r.passed, `seed ${seed}:\n${explainFailures(r)}`).toBe(true);
    }
  });

  // Every fixture names its bug, the check that must catch it, how that check must see it fail, and
  // words the failure's message must contain:
  //   // The bug: …
  //   // catches: 5.4 wrong
  //   // says: …
  const dir = path.join(repoRoot, 'test', 'fixtures', SLUG);
  const fixtures = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((file) => {
      const head = readFileSync(path.join(dir, file), 'utf8');
      const catches = /^\/\/ catches: (\S+) (\S+)$/m.exec(head);
      const says = /^\/\/ says: (.+)$/m.exec(head);
      const bug = /^\/\/ The bug: (.+)$/m.exec(head);
      return { file, check: catches?.[1], kind: catches?.[2], says: says?.[1], bug: bug?.[1] };
    });

  it('has at least 10 fixtures, each with a complete header naming a check of this stage', () => {
    const ids = findStage(5)!.checks.map((c) => c.id);
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
    for (const f of fixtures) {
      expect(f.bug, `${f.file}: no "// The bug:" line`).toBeTruthy();
      expect(ids, `${f.file}: "// catches:" names no check of stage 5`).toContain(f.check);
      expect(['wrong', 'hung', 'crashed', 'closed-early', 'reset', 'flooded', 'not-closed'], f.file).toContain(f.kind);
      expect(f.says, `${f.file}: no "// says:" line`).toBeTruthy();
    }
  });

  for (const f of fixtures) {
    it(`catches ${f.file} with ${f.check} (${f.kind}): ${f.bug}`, async () => {
      // Only the check meant for the bug, on a fresh server: fast, and blind to what other checks did.
      const r = await grade(5, fixtureFile(SLUG, f.file), 1, { only: [f.check!] });
      expect(r.startError, explainFailures(r)).toBeUndefined();
      expect(failedIds(r), explainFailures(r)).toEqual([f.check]);
      const failure = r.checks[0]!.failure!;
      expect(failure.kind, failure.summary.en).toBe(f.kind);
      expect(`${failure.summary.en}\n${failure.hint?.en ?? ''}`).toContain(f.says);
      // Every message exists in both languages.
      expect(failure.summary.zh).not.toBe('');
      expect(failure.hint?.zh ?? '').not.toBe('');
    });
  }
});
