/**
 * Assertions shared by checks. Each compares only what it is given and fails with a message that
 * says what happened on the wire.
 */
import { fail } from '../failure.ts';
import { t, type Text } from '../i18n.ts';
import { type Conn, WireError, formatMs } from '../wire/conn.ts';
import { escapeBytes, firstDifference } from '../wire/escape.ts';
import { kindOf } from './kinds.ts';

export interface ExpectOptions {
  timeoutMs: number;
  /** What the bytes are, for the message ("the echo of message 2"). */
  what?: Text;
  hint?: Text;
  /** Extra hint when the bytes differ (rather than never arriving). */
  hintWhenDifferent?: Text;
}

/** Reads exactly `expected.length` bytes and requires them to equal `expected`. */
export async function expectBytes(conn: Conn, expected: Buffer, opts: ExpectOptions): Promise<void> {
  const what = opts.what ?? t(`the echo of ${expected.length} bytes`, `${expected.length} 字节的回显`);
  let got: Buffer;
  try {
    got = await conn.read(expected.length, opts.timeoutMs);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    const partial = conn.peek();
    if (partial.length > 0 && firstDifference(expected.subarray(0, partial.length), partial) >= 0) {
      // What did arrive is already wrong: that is the more useful story.
      fail({
        summary: t(`${what.en}: the bytes that came back differ from what we sent`, `${what.zh}：返回的字节和发送的不一样`),
        expected: t(`exactly these ${expected.length} bytes back: ${escapeBytes(expected, 80)}`, `原样收回这 ${expected.length} 字节：${escapeBytes(expected, 80)}`),
        diff: { expected, actual: partial },
        hint: opts.hintWhenDifferent ?? opts.hint,
        conn,
      });
    }
    fail({
      kind: kindOf(err),
      summary: t(`${what.en}: ${err.text.en}`, `${what.zh}：${err.text.zh}`),
      expected: t(`${expected.length} bytes back within ${formatMs(opts.timeoutMs)}`, `在 ${formatMs(opts.timeoutMs)} 内收回 ${expected.length} 字节`),
      hint: opts.hint,
      conn,
    });
  }
  if (!got.equals(expected)) {
    fail({
      summary: t(`${what.en}: the bytes that came back differ from what we sent`, `${what.zh}：返回的字节和发送的不一样`),
      expected: t(`exactly these ${expected.length} bytes back: ${escapeBytes(expected, 80)}`, `原样收回这 ${expected.length} 字节：${escapeBytes(expected, 80)}`),
      diff: { expected, actual: Buffer.concat([got, conn.peek()]) },
      hint: opts.hintWhenDifferent ?? opts.hint,
      conn,
    });
  }
}

/** After a complete reply, nothing more may arrive for `ms` (catches servers that add bytes or flood). */
export async function expectNothingMore(conn: Conn, ms: number, hint: Text): Promise<void> {
  const extra = await conn.drainFor(ms);
  if (conn.closed === 'flooded' || extra.length >= 64 * 1024) {
    fail({
      kind: 'flooded',
      summary: t(
        `after the expected bytes, the server kept sending: ${conn.receivedTotal} bytes in ${ms} ms, starting ${escapeBytes(extra, 40)} (flooded)`,
        `在预期的字节之后，服务器一直在发送：${ms} 毫秒内共 ${conn.receivedTotal} 字节，开头是 ${escapeBytes(extra, 40)}（数据泛滥）`,
      ),
      expected: t('nothing beyond the reply', '回复之外不应该再有别的字节'),
      hint,
      conn,
    });
  }
  if (extra.length > 0) {
    fail({
      summary: t(`after the expected bytes, the server sent ${extra.length} more: ${escapeBytes(extra, 60)}`, `在预期的字节之后，服务器又多发了 ${extra.length} 字节：${escapeBytes(extra, 60)}`),
      expected: t('nothing beyond the reply', '回复之外不应该再有别的字节'),
      hint,
      conn,
    });
  }
}

/** Splits a buffer into pieces at random boundaries (seeded): how TCP may deliver a stream. */
export function splitRandomly(data: Buffer, pieces: number, rng: { int(min: number, max: number): number }): Buffer[] {
  const cuts = new Set<number>();
  while (cuts.size < Math.min(pieces - 1, data.length - 1)) cuts.add(rng.int(1, data.length - 1));
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...sorted, data.length]) {
    out.push(data.subarray(prev, c));
    prev = c;
  }
  return out;
}
