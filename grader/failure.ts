/**
 * How a check says what went wrong: `throw new CheckFailure({...})` (or `fail({...})`) with what
 * happened, what was expected and what to try. The engine adds the wire transcript and, when the
 * server died, its last output. Nothing here prints.
 */
import type { Text } from './i18n.ts';
import { forTrack, type Track, type TrackText } from './track.ts';
import type { Failure, FailureKind, WireSummary } from './types.ts';
import { byteDiff, caretAt, escapePreview } from './wire/escape.ts';
import type { Conn } from './wire/conn.ts';
import { nodeClient } from './wire/reproduce.ts';

export interface FailureInit {
  kind?: FailureKind;
  summary: Text;
  expected?: Text;
  /** What to try; may differ per track (the language the learner writes in). */
  hint?: TrackText;
  /** Whose transcript to show; defaults to the connection the check opened last. */
  conn?: Conn;
  /** Expected vs actual bytes, for a binary diff. */
  diff?: { expected: Buffer; actual: Buffer };
  /** Point at a bad byte. */
  caret?: { data: Buffer; offset: number; note: Text };
  /** Overrides the reproduce command made from the transcript. */
  reproduce?: string;
}

export class CheckFailure extends Error {
  constructor(readonly init: FailureInit) {
    super(init.summary.en);
    this.name = 'CheckFailure';
  }
}

export function fail(init: FailureInit): never {
  throw new CheckFailure(init);
}

/** How many bytes of each direction a transcript shows; the totals beside them are always exact. */
const PREVIEW_BYTES = 160;

export function summarizeWire(conn: Conn): WireSummary {
  const sends = conn.events.filter((e) => e.kind === 'send');
  // The transcript keeps only the first 64 KiB of each direction; a preview needs far less.
  const sent = escapePreview(Buffer.concat(sends.map((e) => (e.kind === 'send' ? e.bytes : Buffer.alloc(0)))), PREVIEW_BYTES);
  const recv = escapePreview(Buffer.concat(conn.events.flatMap((e) => (e.kind === 'recv' ? [e.bytes] : []))), PREVIEW_BYTES);
  const endEvent = conn.events.find((e) => e.kind === 'fin-received' || e.kind === 'reset-received' || e.kind === 'flooded');
  const last = conn.events[conn.events.length - 1];
  const notes = conn.events.flatMap((e) => (e.kind === 'note' ? [{ atMs: e.at, text: e.text }] : []));
  return {
    label: conn.labelText,
    writes: sends.length,
    sentBytes: conn.sentTotal,
    writeSizes: sends.slice(0, 12).map((e) => (e.kind === 'send' ? e.size : 0)),
    sentPreview: sent.text,
    sentPreviewBytes: sent.bytes,
    finSent: conn.events.some((e) => e.kind === 'fin-sent'),
    resetSent: conn.events.some((e) => e.kind === 'reset-sent'),
    receivedBytes: conn.receivedTotal,
    receivedPreview: recv.text,
    receivedPreviewBytes: recv.bytes,
    ending: endEvent?.kind === 'fin-received' ? 'fin' : endEvent?.kind === 'reset-received' ? 'reset' : endEvent?.kind === 'flooded' ? 'flooded' : undefined,
    elapsedMs: last ? last.at : 0,
    ...(notes.length ? { notes } : {}),
  };
}

/**
 * A command that sends the same bytes to a server the learner runs by hand on port 9000, then
 * half-closes and prints the answer: a node one-liner (wire/reproduce.ts), since Node is on every
 * machine the kit runs on. Exchanges too large to paste get none.
 */
export function reproduceFromWire(conn: Conn): string | undefined {
  const sent = Buffer.concat(conn.events.flatMap((e) => (e.kind === 'send' ? [e.bytes] : [])));
  if (sent.length === 0 || sent.length < conn.sentTotal || sent.length > 3000) return undefined;
  return nodeClient([sent]);
}

export function toFailure(init: FailureInit, fallbackConn: Conn | undefined, track: Track = 'typescript'): Failure {
  const conn = init.conn ?? fallbackConn;
  const failure: Failure = { kind: init.kind ?? 'wrong', summary: init.summary };
  if (init.expected) failure.expected = init.expected;
  if (init.hint) failure.hint = forTrack(init.hint, track);
  // A connection that was refused never carried anything: its transcript would only confuse.
  if (conn && conn.events.some((e) => e.kind === 'connect')) failure.wire = summarizeWire(conn);
  if (init.diff) {
    const diff = byteDiff(init.diff.expected, init.diff.actual);
    if (diff) failure.diff = diff;
  }
  if (init.caret) failure.caret = { ...caretAt(init.caret.data, init.caret.offset), note: init.caret.note };
  const reproduce = init.reproduce ?? (conn ? reproduceFromWire(conn) : undefined);
  if (reproduce) failure.reproduce = reproduce;
  return failure;
}
