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

export interface StreamOptions extends Omit<ExpectOptions, 'timeoutMs'> {
  /**
   * The longest the stream may stand still: a wait fails only when no byte at all arrived for this
   * long, so a long transfer to a slow reader is bounded by progress, not by its size.
   */
  stallMs: number;
  /** How much is read and compared at a time (default 1 MiB): the connection never holds more. */
  pieceBytes?: number;
}

/**
 * Reads `expected.length` bytes piece by piece and requires them to equal `expected`: for payloads
 * of tens of MiB, which would not fit the connection's buffer at once. Fails at the first piece
 * that differs, with the difference at its offset in the whole stream.
 */
export async function expectStream(conn: Conn, expected: Buffer, opts: StreamOptions): Promise<void> {
  const what = opts.what ?? t(`the echo of ${expected.length} bytes`, `${expected.length} 字节的回显`);
  const pieceBytes = opts.pieceBytes ?? 1024 * 1024;
  let got = 0;
  const differs = (actual: Buffer): never =>
    fail({
      summary: t(
        `${what.en}: the bytes that came back differ from what we sent, from byte ${got + firstDifference(expected.subarray(got, got + actual.length), actual)} on`,
        `${what.zh}：返回的字节和发送的不一样，从第 ${got + firstDifference(expected.subarray(got, got + actual.length), actual)} 字节开始`,
      ),
      expected: t(`exactly the ${expected.length} bytes we sent, in order`, `原样、按顺序收回我们发送的 ${expected.length} 字节`),
      // Everything before this piece matched, so the stream so far is the expected prefix and this piece.
      diff: { expected, actual: Buffer.concat([expected.subarray(0, got), actual]) },
      hint: opts.hintWhenDifferent ?? opts.hint,
      conn,
    });
  while (got < expected.length) {
    const want = Math.min(pieceBytes, expected.length - got);
    let piece: Buffer | undefined;
    while (!piece) {
      const before = conn.receivedTotal;
      try {
        piece = await conn.read(want, opts.stallMs);
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        const partial = conn.peek();
        if (partial.length > 0 && firstDifference(expected.subarray(got, got + partial.length), partial) >= 0) differs(partial);
        if (err.kind === 'timeout' && conn.receivedTotal > before) continue; // slow, but moving
        const arrived = got + partial.length;
        fail({
          kind: kindOf(err),
          summary: t(
            `${what.en}: ${arrived} of ${expected.length} bytes came back, then ${err.kind === 'timeout' ? `nothing more for ${formatMs(opts.stallMs)}` : err.kind === 'closed' ? 'the server closed the connection' : err.text.en}`,
            `${what.zh}：收回了 ${expected.length} 字节中的 ${arrived} 字节，然后${err.kind === 'timeout' ? ` ${formatMs(opts.stallMs)} 内再没有收到任何数据` : err.kind === 'closed' ? '服务器关闭了连接' : err.text.zh}`,
          ),
          expected: t(`all ${expected.length} bytes back, the stream never standing still for ${formatMs(opts.stallMs)}`, `收回全部 ${expected.length} 字节，数据流停顿不超过 ${formatMs(opts.stallMs)}`),
          hint: opts.hint,
          conn,
        });
      }
    }
    if (!piece.equals(expected.subarray(got, got + want))) differs(piece);
    got += want;
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
