/**
 * The one place a wire outcome becomes a failure kind. The wire layer says what happened (the
 * server closed, reset, went quiet, flooded us, or was gone); which verdict that is belongs here,
 * so the engine, every assertion module and every stage label the same event the same way.
 */
import type { FailureKind } from '../types.ts';
import { WireError, type WireErrorKind } from '../wire/conn.ts';

/** How a wait ended: a `WireError`'s kind, or `'fin'` as `Conn.readToEnd` reports a close. */
export type WireOutcome = WireErrorKind | 'fin';

const KIND_OF: Record<WireOutcome, FailureKind> = {
  timeout: 'hung',
  closed: 'closed-early',
  fin: 'closed-early',
  reset: 'reset',
  flooded: 'flooded',
  // Nothing listens any more: the server is gone.
  refused: 'crashed',
  // We gave up (the check's bound ran out): from the learner's side the server did not answer.
  aborted: 'hung',
};

export function kindOf(outcome: WireError | WireOutcome): FailureKind {
  // A server that closes a connection with bytes we sent still unread is answered by its kernel
  // with a reset, not a FIN (RFC 1122, 4.2.2.13); if it had read them all, with a FIN. Which one we
  // see depends only on timing (how far it had read when it closed): after we have sent anything,
  // both are the server hanging up, and one kind keeps the verdict the same on every run.
  if (outcome instanceof WireError && outcome.kind === 'reset' && outcome.conn && outcome.conn.sentTotal > 0) return 'closed-early';
  return KIND_OF[outcome instanceof WireError ? outcome.kind : outcome];
}
