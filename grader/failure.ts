/**
 * How a check says what went wrong: `throw new CheckFailure({...})` (or `fail({...})`) with what
 * happened, what was expected and what to try. The engine adds the wire transcript and, when the
 * server died, its last output. Nothing here prints.
 */
import type { Text } from './i18n.ts';
import { forTrack, type Track, type TrackText } from './track.ts';
import type { Failure, FailureKind, WireSummary } from './types.ts';
import { caretAt, describeByteDiff, escapeBytes, printfLiteral } from './wire/escape.ts';
import type { Conn } from './wire/conn.ts';

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

export function summarizeWire(conn: Conn): WireSummary {
  const sends = conn.events.filter((e) => e.kind === 'send');
  const sent = Buffer.concat(sends.map((e) => (e.kind === 'send' ? e.bytes : Buffer.alloc(0))));
  const recv = Buffer.concat(conn.events.flatMap((e) => (e.kind === 'recv' ? [e.bytes] : [])));
  const endEvent = conn.events.find((e) => e.kind === 'fin-received' || e.kind === 'reset-received' || e.kind === 'flooded');
  const last = conn.events[conn.events.length - 1];
  const notes = conn.events.flatMap((e) => (e.kind === 'note' ? [{ atMs: e.at, text: e.text }] : []));
  return {
    label: conn.label,
    writes: sends.length,
    sentBytes: conn.sentTotal,
    writeSizes: sends.slice(0, 12).map((e) => (e.kind === 'send' ? e.size : 0)),
    sentPreview: escapeBytes(sent),
    finSent: conn.events.some((e) => e.kind === 'fin-sent'),
    resetSent: conn.events.some((e) => e.kind === 'reset-sent'),
    receivedBytes: conn.receivedTotal,
    receivedPreview: escapeBytes(recv),
    ending: endEvent?.kind === 'fin-received' ? 'fin' : endEvent?.kind === 'reset-received' ? 'reset' : endEvent?.kind === 'flooded' ? 'flooded' : undefined,
    elapsedMs: last ? last.at : 0,
    ...(notes.length ? { notes } : {}),
  };
}

/**
 * A command that sends the same bytes to a server the learner runs by hand on port 9000. Small
 * exchanges become `printf … | nc`; larger or binary ones a node one-liner that needs nothing else.
 */
export function reproduceFromWire(conn: Conn): string | undefined {
  const sent = Buffer.concat(conn.events.flatMap((e) => (e.kind === 'send' ? [e.bytes] : [])));
  if (sent.length === 0 || sent.length < conn.sentTotal) return undefined;
  const printable = sent.every((b) => b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f));
  if (printable && sent.length <= 300) return `printf ${printfLiteral(sent)} | nc -N 127.0.0.1 9000`;
  if (sent.length <= 3000) {
    return `node -e 'const s=require("net").connect(9000,"127.0.0.1",()=>s.end(Buffer.from("${sent.toString('base64')}","base64")));s.on("data",d=>console.log(d.length,"bytes:",d))'`;
  }
  return undefined;
}

export function toFailure(init: FailureInit, fallbackConn: Conn | undefined, track: Track = 'typescript'): Failure {
  const conn = init.conn ?? fallbackConn;
  const failure: Failure = { kind: init.kind ?? 'wrong', summary: init.summary };
  if (init.expected) failure.expected = init.expected;
  if (init.hint) failure.hint = forTrack(init.hint, track);
  // A connection that was refused never carried anything: its transcript would only confuse.
  if (conn && conn.events.some((e) => e.kind === 'connect')) failure.wire = summarizeWire(conn);
  if (init.diff) failure.diff = describeByteDiff(init.diff.expected, init.diff.actual);
  if (init.caret) failure.caret = { ...caretAt(init.caret.data, init.caret.offset), note: init.caret.note };
  const reproduce = init.reproduce ?? (conn ? reproduceFromWire(conn) : undefined);
  if (reproduce) failure.reproduce = reproduce;
  return failure;
}
