/**
 * How a frame's delivery is described in stage 4's reports: how many writes carried it, where a
 * write cut its header, and which other frames shared its writes.
 */
import { describe, expect, it } from 'vitest';
import { describeDelivery, frameOffsets, writeOffsets } from '../grader/wire/frames.ts';

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
