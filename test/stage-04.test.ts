/**
 * Stage 4 — message framing: the solution passes on many seeds, the skeleton fails fast, and each
 * broken fixture is caught by the check written for its bug, for the reason it was written for.
 */
import { describe, expect, it } from 'vitest';
import type { FailureKind } from '../grader/types.ts';
import { describeDelivery, frameOffsets, writeOffsets } from '../grader/wire/frames.ts';
import { exerciseFile, explainFailures, failedIds, fixtureFile, grade, solutionFile } from './helpers.ts';

const SLUG = '04-message-framing';

describe('stage 4 — message framing', () => {
  it('the solution passes every check for 20 seeds', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = await grade(4, solutionFile(SLUG), seed);
      expect(r.passed, `seed ${seed}:\n${explainFailures(r)}`).toBe(true);
    }
  });

  it('the skeleton starts, then fails every check at once instead of hanging', async () => {
    const r = await grade(4, exerciseFile(SLUG), 1);
    expect(r.startError, explainFailures(r)).toBeUndefined();
    expect(r.score).toBe(0);
    expect(r.checks.map((c) => c.failure?.kind)).toEqual(r.checks.map(() => 'closed-early'));
    // Its report points at the line to replace.
    expect(r.checks[0]!.failure!.hint!.en).toContain('socket.end()');
  });

  // One bug each: the fixture, the check meant to catch it, how that check must see it fail, and
  // words its message must contain (the framing idea that broke).
  const fixtures: { file: string; bug: string; check: string; kind: FailureKind; says: RegExp }[] = [
    { file: 'one-read-one-message.ts', bug: 'one read = one message', check: '4.4', kind: 'crashed', says: /read can end anywhere/ },
    { file: 'first-frame-per-read.ts', bug: 'only the first frame of each read handled', check: '4.3', kind: 'hung', says: /loop while it holds a complete frame/ },
    { file: 'waits-for-quiet.ts', bug: 'frames by waiting for a quiet line (sleep-style framing)', check: '4.3', kind: 'hung', says: /arrived together/ },
    { file: 'header-arrives-whole.ts', bug: 'assumes the 4-byte header arrives whole', check: '4.4', kind: 'closed-early', says: /inside the 4-byte header/ },
    { file: 'reverse-per-chunk.ts', bug: 'reverses per chunk instead of per frame', check: '4.4', kind: 'wrong', says: /whole payload reversed/ },
    { file: 'header-counts-itself.ts', bug: 'reply header counts the header too (wrong length)', check: '4.1', kind: 'wrong', says: /counts the 4 header bytes/ },
    { file: 'little-endian.ts', bug: 'little-endian length', check: '4.1', kind: 'closed-early', says: /read little-endian/ },
    { file: 'zero-length-stalls.ts', bug: 'a zero-length frame is never answered', check: '4.2', kind: 'hung', says: /length 0 is complete/ },
    { file: 'limit-off-by-one.ts', bug: 'refuses a frame of exactly 1 MiB (>= instead of >)', check: '4.6', kind: 'closed-early', says: /not length >= MAX/ },
    { file: 'no-size-limit.ts', bug: 'no size limit: waits for the oversize payload', check: '4.7', kind: 'not-closed', says: /waiting for a payload it must refuse/ },
    { file: 'crashes-on-oversize.ts', bug: 'crashes on an oversize header', check: '4.7', kind: 'crashed', says: /must not take the server down/ },
    { file: 'string-buffer.ts', bug: 'keeps the stream as a UTF-8 string', check: '4.9', kind: 'wrong', says: /replacement character/ },
    { file: 'shared-buffer.ts', bug: 'one receive buffer shared by all clients', check: '4.10', kind: 'wrong', says: /one per socket/ },
    { file: 'no-close-after-half-close.ts', bug: 'does not close after half-close', check: '4.11', kind: 'not-closed', says: /still open/ },
    { file: 'answers-partial-on-end.ts', bug: 'answers the incomplete trailing frame on half-close', check: '4.11', kind: 'wrong', says: /answered the incomplete last frame/ },
    { file: 'late-replies-lost-on-half-close.ts', bug: 'drops the last frames on half-close (replies written after Node ended the socket)', check: '4.11', kind: 'closed-early', says: /allowHalfOpen: true/ },
  ];

  for (const f of fixtures) {
    it(`catches "${f.bug}" (${f.file}) with check ${f.check}`, async () => {
      const r = await grade(4, fixtureFile(SLUG, f.file), 1);
      expect(r.startError, explainFailures(r)).toBeUndefined();
      expect(failedIds(r), explainFailures(r)).toContain(f.check);
      const failure = r.checks.find((c) => c.id === f.check)!.failure!;
      expect(failure.kind, failure.summary.en).toBe(f.kind);
      expect(`${failure.summary.en}\n${failure.hint?.en ?? ''}`).toMatch(f.says);
      // Every message exists in both languages, and no failure is the grader's own.
      expect(failure.summary.zh).not.toBe('');
      expect(r.checks.filter((c) => c.failure?.kind === 'grader-error').map((c) => c.failure!.summary.en)).toEqual([]);
    });
  }
});

describe('frame delivery descriptions', () => {
  it('says how a frame was cut by the writes', () => {
    // Frames of 2, 0 and 10 payload bytes: [0,6) [6,10) [10,24); writes cut at 2, 8 and 24.
    const frames = frameOffsets([Buffer.alloc(2), Buffer.alloc(0), Buffer.alloc(10)]);
    const writes = writeOffsets([Buffer.alloc(2), Buffer.alloc(6), Buffer.alloc(16)]);
    expect(describeDelivery(0, frames, writes)).toEqual({ writes: 2, headerCuts: [2], sharedWith: [] });
    expect(describeDelivery(1, frames, writes)).toEqual({ writes: 2, headerCuts: [2], sharedWith: [0] });
    expect(describeDelivery(2, frames, writes)).toEqual({ writes: 1, headerCuts: [], sharedWith: [1] }); // the write also ends frame 1
  });
});
