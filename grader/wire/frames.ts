/**
 * Length-prefixed frames, the wire format of stage 4: a 4-byte unsigned big-endian length N, then
 * N payload bytes. Building frames, reading them back, describing how a byte stream was cut into
 * writes and what a wrong length most likely means; grader/expect/frames.ts decides what is right.
 */
import { type Conn, WireError } from './conn.ts';
import { nodeClient } from './reproduce.ts';

export const HEADER_BYTES = 4;
/** The largest payload the protocol allows (inclusive). */
export const MAX_PAYLOAD = 1024 * 1024;

export function frameHeader(length: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32BE(length);
  return h;
}

export function encodeFrame(payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(payload.length), payload]);
}

/** A reversed copy. */
export function reversed(data: Buffer): Buffer {
  return Buffer.from(data).reverse();
}

/** What a 4-byte header would say if read little-endian (the classic byte-order mistake). */
export function swapped32(n: number): number {
  const b = frameHeader(n);
  return b.readUInt32LE(0);
}

/** `00 00 00 14` */
export function hex(data: Buffer): string {
  return [...data].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Offsets where each frame starts in the concatenated stream, plus the stream's end. */
export function frameOffsets(payloads: readonly Buffer[]): number[] {
  const out = [0];
  for (const p of payloads) out.push(out[out.length - 1]! + HEADER_BYTES + p.length);
  return out;
}

/** Offsets where each write starts, plus the end. */
export function writeOffsets(writes: readonly Buffer[]): number[] {
  const out = [0];
  for (const w of writes) out.push(out[out.length - 1]! + w.length);
  return out;
}

export interface Delivery {
  /** How many writes carried some of this frame. */
  writes: number;
  /** Cuts that fell inside the 4-byte header, as byte counts into the frame (1..3). */
  headerCuts: number[];
  /** The write that carried the frame's first byte also carried parts of these other frames (0-based). */
  sharedWith: number[];
}

/**
 * How a frame travelled: in how many writes, whether a write boundary fell inside its header, and
 * which other frames shared a write with its start. Used to tell the learner what their reads saw.
 */
export function describeDelivery(frameIndex: number, frames: readonly number[], writes: readonly number[]): Delivery {
  const start = frames[frameIndex]!;
  const end = frames[frameIndex + 1]!;
  const cuts = writes.filter((w) => w > start && w < end);
  let firstWrite = 0;
  while (firstWrite + 1 < writes.length && writes[firstWrite + 1]! <= start) firstWrite++;
  const wStart = writes[firstWrite]!;
  const wEnd = writes[firstWrite + 1] ?? end;
  const sharedWith: number[] = [];
  for (let k = 0; k < frames.length - 1; k++) {
    if (k !== frameIndex && frames[k]! < wEnd && frames[k + 1]! > wStart) sharedWith.push(k);
  }
  return { writes: cuts.length + 1, headerCuts: cuts.filter((c) => c < start + HEADER_BYTES).map((c) => c - start), sharedWith };
}

/** Either what was read, or what had come of it when the connection ended or went quiet. */
export type FrameRead<T> = ({ ok: true } & T) | { ok: false; partial: Buffer; ending: WireError };

/** Reads a frame's 4-byte header and the length it announces. */
export async function readFrameHeader(conn: Conn, timeoutMs: number): Promise<FrameRead<{ header: Buffer; length: number }>> {
  try {
    const header = await conn.read(HEADER_BYTES, timeoutMs);
    return { ok: true, header, length: header.readUInt32BE(0) };
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    return { ok: false, partial: conn.peek(), ending: err };
  }
}

/** Reads `n` payload bytes. */
export async function readFramePayload(conn: Conn, n: number, timeoutMs: number): Promise<FrameRead<{ payload: Buffer }>> {
  try {
    return { ok: true, payload: await conn.read(n, timeoutMs) };
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    return { ok: false, partial: conn.peek(), ending: err };
  }
}

/**
 * The likely reason a header announced `declared` where `expected` was right: the length written
 * little-endian, the header counted in, or this frame and the next ones (`following`, sent right
 * after it) answered as one. Undefined when none of these fits.
 */
export function lengthMistake(
  declared: number,
  expected: number,
  following: readonly Buffer[] = [],
): { cause: 'byte-order' } | { cause: 'counts-header' } | { cause: 'merged'; frames: number } | undefined {
  // How many of the following frames, taken together with this one, add up to `declared`?
  let together = 0;
  let sum = expected;
  for (const next of following) {
    sum += HEADER_BYTES + next.length;
    together++;
    if (sum === declared) break;
    if (sum > declared) {
      together = 0;
      break;
    }
  }
  if (sum !== declared) together = 0;
  if (declared === swapped32(expected)) return { cause: 'byte-order' };
  if (declared === expected + HEADER_BYTES) return { cause: 'counts-header' };
  if (together > 0) return { cause: 'merged', frames: together };
  return undefined;
}

/**
 * A command that replays this connection's writes against a server run by hand on port 9000: one
 * node one-liner that keeps the same write boundaries (wire/reproduce.ts).
 */
export function reproduceWrites(conn: Conn): string | undefined {
  const writes = conn.events.flatMap((e) => (e.kind === 'send' ? [e.bytes] : []));
  const total = writes.reduce((n, w) => n + w.length, 0);
  if (total === 0 || total !== conn.sentTotal) return undefined;
  if (total > 2400 || writes.length > 40) return undefined;
  return nodeClient(writes, 20);
}
