/**
 * Clients that are not polite. Real clients read late or never, pause in the middle of a message,
 * dribble bytes, or send faster than anyone can forward; a server must stay correct for them and
 * keep serving everyone else. Each behaviour here is one named helper that any stage can use on a
 * `Conn`. They only act and report what they did (facts); the checks decide what is right.
 *
 * Every helper writes what it does into the connection's transcript (`conn.note`), so a failure
 * shows "stopped reading" or "stayed quiet for 1.2 s" in place, between the bytes.
 */
import { createCipheriv } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { t } from '../i18n.ts';
import type { Rng } from '../rng.ts';
import { type Conn, formatMs } from './conn.ts';

/** "64 KiB", "1.5 MiB": sizes in notes, where exact byte counts would only be noise. */
export function formatSize(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return n === 1 ? '1 byte' : `${n} bytes`;
}
const sizeZh = (n: number): string => formatSize(n).replace(/ bytes?$/, ' 字节');

// ---------------------------------------------------------------------------------------------
// Readers

export interface SilentReader {
  /** When the client stopped reading (ms since the epoch). */
  readonly since: number;
  /** Start reading again (to see, for example, whether the server closed the connection meanwhile). */
  resume(): void;
}

/**
 * The client stops reading entirely. What the server writes fills the kernel's buffers on both
 * sides (a few MiB on Linux loopback) and then waits in the server's own memory: a server that
 * blocks, or buffers without limit, for this one client shows it.
 */
export function stopReading(conn: Conn): SilentReader {
  conn.holdReading();
  conn.note(t('stopped reading', '停止读取'));
  const since = Date.now();
  return {
    since,
    resume: () => {
      conn.note(t(`read again, after ${formatMs(Date.now() - since)} without reading`, `${formatMs(Date.now() - since)} 没有读取之后，重新开始读取`));
      conn.resumeReading();
    },
  };
}

export interface SlowReader {
  /** How many reads it has made so far. */
  readonly reads: number;
  /** Stop being slow: read normally from now on. */
  stop(): Promise<void>;
}

/**
 * The client reads one chunk, then pauses `pauseMs` before it reads again: a phone on a bad
 * network, a busy program. Each read takes whatever the kernel holds at that moment (Node reads up
 * to 64 KiB at a time), so the server sees its writes accepted in bursts with gaps between them.
 */
export function readSlowly(conn: Conn, pauseMs: number): SlowReader {
  let reads = 0;
  let stopped = false;
  let wake: (() => void) | undefined;
  conn.holdReading();
  conn.note(t(`reads slowly: one read, then a pause of ${formatMs(pauseMs)}, again and again`, `慢慢读：读一次，停 ${formatMs(pauseMs)}，如此反复`));
  const loop = (async () => {
    while (!stopped && !conn.closed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          conn.socket.off('data', onData);
          conn.socket.off('close', done);
          wake = undefined;
          resolve();
        };
        // Registered after the Conn's own listener, so the chunk is recorded before we pause.
        const onData = (): void => {
          if (!stopped) conn.holdReading();
          reads++;
          done();
        };
        wake = done;
        conn.socket.once('data', onData);
        conn.socket.once('close', done);
        conn.resumeReading();
      });
      if (!stopped) await sleep(pauseMs);
    }
  })();
  return {
    get reads() {
      return reads;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      wake?.();
      conn.note(t(`reads at full speed again (after ${reads} slow reads)`, `恢复全速读取（之前慢读了 ${reads} 次）`));
      conn.resumeReading();
      await loop;
    },
  };
}

export interface BurstReader {
  /** How many times it has stopped reading so far. */
  readonly pauses: number;
  /** Read normally from now on. */
  stop(): void;
}

/**
 * The client reads `burstBytes`, then stops reading for `pauseMs`, again and again: a receiver
 * that is busy now and then. Every pause lets the server's send buffer fill up completely, so its
 * writes keep meeting a full buffer (write() returns false; in C or Python, send() sends only part
 * or nothing) — at full speed in between, so even tens of MiB take well under a second.
 */
export function readInBursts(conn: Conn, burstBytes: number, pauseMs: number): BurstReader {
  let pauses = 0;
  let since = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  conn.note(t(`reads in bursts: ${formatSize(burstBytes)}, then no reading for ${formatMs(pauseMs)}, again and again`, `一阵一阵地读：读 ${sizeZh(burstBytes)}，然后 ${formatMs(pauseMs)} 不读，如此反复`));
  // Registered after the Conn's own listener, so each chunk is recorded before we pause.
  const onData = (chunk: Buffer): void => {
    since += chunk.length;
    if (stopped || since < burstBytes || timer) return;
    since = 0;
    pauses++;
    conn.holdReading();
    timer = setTimeout(() => {
      timer = undefined;
      conn.resumeReading();
    }, pauseMs);
  };
  conn.socket.on('data', onData);
  return {
    get pauses() {
      return pauses;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      conn.socket.off('data', onData);
      if (timer) clearTimeout(timer);
      timer = undefined;
      conn.note(t(`reads at full speed again (after ${pauses} pauses)`, `恢复全速读取（之前停了 ${pauses} 次）`));
      conn.resumeReading();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Senders

/**
 * Sends the first `cut` bytes of `data`, stays silent for `pauseMs`, then sends the rest: a person
 * typing, a client waiting on its own input. A server with a short idle timeout, or one that takes
 * a pause for the end of a message, shows it.
 */
export async function sendWithPause(conn: Conn, data: Buffer, cut: number, pauseMs: number): Promise<void> {
  await conn.send(data.subarray(0, cut));
  conn.note(t(`paused ${formatMs(pauseMs)} after byte ${cut} of ${data.length}`, `发完 ${data.length} 字节中的前 ${cut} 字节后停顿 ${formatMs(pauseMs)}`));
  await conn.pause(pauseMs);
  await conn.send(data.subarray(cut));
}

/** Sends `data` one byte per write, `gapMs` apart: the slowest a stream can be delivered. */
export async function sendByteByByte(conn: Conn, data: Buffer, gapMs: number): Promise<void> {
  conn.note(t(`sends ${data.length} bytes one byte per write, ${formatMs(gapMs)} apart`, `把 ${data.length} 字节逐字节发送，每次间隔 ${formatMs(gapMs)}`));
  await conn.sendChunks([...data].map((b) => Buffer.from([b])), gapMs);
}

/** Sends the pieces as separate writes, `gapMs` apart, so that each tends to arrive as a read of its own. */
export async function sendInPieces(conn: Conn, pieces: readonly Buffer[], gapMs: number): Promise<void> {
  const sizes = pieces.slice(0, 8).map((p) => p.length).join(' + ') + (pieces.length > 8 ? ' + …' : '');
  conn.note(t(`sends ${pieces.length} pieces (${sizes} bytes), ${formatMs(gapMs)} apart`, `分 ${pieces.length} 段发送（${sizes} 字节），每段间隔 ${formatMs(gapMs)}`));
  await conn.sendChunks(pieces, gapMs);
}

export interface FloodOptions {
  /** Stop after this many bytes. */
  maxBytes: number;
  /**
   * How far ahead of its audience the sender may run: the flood waits while `lag()` (bytes sent but
   * not yet seen by whoever should receive them) exceeds `window`. Without it, the flood runs as
   * fast as the server reads.
   */
  lag?: (sent: number) => number;
  window?: number;
}

export interface Flood {
  /** Bytes written so far. */
  readonly sent: number;
  readonly writes: number;
  /** Stop after the current write. */
  stop(): void;
  /**
   * Settles when the flood stops: asked to, `maxBytes` reached, or the connection ended. (A write
   * the server never reads keeps it pending: wait for it only when the server is known to read.)
   */
  readonly done: Promise<{ sent: number; writes: number; how: 'stopped' | 'limit' | 'closed' }>;
}

/**
 * Writes `next()` after `next()` as fast as the server takes them (each write waits until the
 * kernel accepted the previous one), until stopped or `maxBytes` are out.
 */
export function flood(conn: Conn, next: () => Buffer, o: FloodOptions): Flood {
  let sent = 0;
  let writes = 0;
  let stopped = false;
  conn.note(t(`floods: writes as fast as the server reads, up to ${formatSize(o.maxBytes)}`, `狂发：服务器读多快就写多快，最多 ${sizeZh(o.maxBytes)}`));
  const done = (async () => {
    while (!stopped) {
      if (sent >= o.maxBytes) return { sent, writes, how: 'limit' as const };
      if (conn.closed) return { sent, writes, how: 'closed' as const };
      while (o.lag && o.lag(sent) > (o.window ?? Infinity) && !stopped && !conn.closed) await sleep(1);
      if (stopped) break;
      const chunk = next();
      try {
        await conn.send(chunk);
      } catch {
        return { sent, writes, how: 'closed' as const };
      }
      sent += chunk.length;
      writes++;
    }
    return { sent, writes, how: 'stopped' as const };
  })().then((r) => {
    conn.note(t(`stopped flooding after ${formatSize(r.sent)} in ${r.writes} writes`, `共写了 ${r.writes} 次、${sizeZh(r.sent)} 后停止狂发`));
    return r;
  });
  done.catch(() => {}); // whoever awaits it sees the error; nobody else is brought down by it
  return {
    get sent() {
      return sent;
    },
    get writes() {
      return writes;
    },
    stop() {
      stopped = true;
    },
    done,
  };
}

// ---------------------------------------------------------------------------------------------
// Cutting a stream

/** Splits `data` at the given offsets (sorted, duplicates and ends ignored). */
export function splitAt(data: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts)].filter((c) => c > 0 && c < data.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, data.length]) {
    out.push(data.subarray(prev, c));
    prev = c;
  }
  return out;
}

/** Offsets that fall inside a multi-byte UTF-8 character: a cut there splits the character's bytes. */
export function cutsInsideCharacters(data: Buffer): number[] {
  const out: number[] = [];
  for (let i = 1; i < data.length; i++) if ((data[i]! & 0xc0) === 0x80) out.push(i);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pauses, stalls and sizes beyond the kernel's buffers

/**
 * The client keeps the connection open and says nothing for `ms`, then carries on: a person
 * thinking, a browser's spare connection, a program waiting on its own input. A server that closes
 * connections idle for less than that shows it.
 */
export async function stayQuiet(conn: Conn, ms: number): Promise<void> {
  conn.note(t(`stays quiet for ${formatMs(ms)}`, `保持沉默 ${formatMs(ms)}`));
  await conn.pause(ms);
}

export interface Stall {
  /** Bytes of the data handed to the socket (the last write may still wait in our own buffer). */
  readonly sent: number;
  /** The server stopped taking bytes (true), or all of the data went out (false). */
  readonly stalled: boolean;
  /** Settles when everything handed over has gone out, which needs the server to read again. */
  readonly flushed: Promise<void>;
}

export interface StallOptions {
  /** Bytes per write (default 64 KiB). */
  chunk?: number;
  /** How long nothing may move before the server counts as having stopped reading (default 60 ms). */
  settleMs?: number;
  /**
   * Below this many bytes sent, a standstill counts only after `patienceMs`: a server that has not
   * read for a moment may just be waiting for the CPU on a busy machine, and the caller needs at
   * least this much on its way to the server (default 0).
   */
  atLeast?: number;
  /** See `atLeast` (default 2 s). */
  patienceMs?: number;
}

/**
 * Sends `data` in `chunk`-byte writes until the server stops taking them — nothing moves for
 * `settleMs` — or all of it is out. Used with `stopReading`, this is the client whose replies pile up
 * unread: the server's send buffer to it fills, a server that respects backpressure stops reading
 * from it, and then this client's own writes stall. A server that keeps reading instead takes all
 * of `data` (keep it well above the kernel's buffers, which hold a few MiB on loopback).
 */
export async function sendUntilStalled(conn: Conn, data: Buffer, o: StallOptions = {}): Promise<Stall> {
  const chunk = o.chunk ?? 64 * 1024;
  const settleMs = o.settleMs ?? 60;
  const atLeast = o.atLeast ?? 0;
  const patienceMs = o.patienceMs ?? 2000;
  const started = Date.now();
  let sent = 0;
  let last: Promise<void> = Promise.resolve();
  let stalled = false;
  while (sent < data.length && !conn.closed) {
    const piece = data.subarray(sent, sent + chunk);
    last = conn.send(piece);
    last.catch(() => {}); // a connection that ends is the caller's finding, seen on its next read
    sent += piece.length;
    if (conn.unsent === 0) continue;
    // The kernel did not take all of it: wait until it does, or until nothing moves at all.
    let unsent = conn.unsent;
    let still = Date.now();
    const out = last.then(() => true, () => true);
    for (;;) {
      if (await Promise.race([out, sleep(5).then(() => false)])) break;
      if (conn.closed) break;
      if (conn.unsent !== unsent) {
        unsent = conn.unsent;
        still = Date.now();
      } else if (Date.now() - still >= (sent >= atLeast ? settleMs : patienceMs)) {
        stalled = true;
        break;
      }
    }
    if (stalled) break;
  }
  const took = formatMs(Date.now() - started);
  conn.note(
    stalled
      ? t(`sent ${formatSize(sent)} in ${took}; then the server stopped reading from us (nothing moved for ${formatMs(settleMs)})`, `用 ${took} 发送了 ${sizeZh(sent)}；随后服务器不再读取我们的数据（${formatMs(settleMs)} 内毫无进展）`)
      : t(`sent all ${formatSize(sent)} in ${took}: the server kept reading`, `用 ${took} 发完全部 ${sizeZh(sent)}：服务器一直在读取`),
  );
  return { sent, stalled, flushed: last };
}

/**
 * `size` seeded random bytes, made fast enough for tens of MiB (AES in counter mode, keyed from the
 * rng): payloads larger than any socket buffer, so that what a server loses, reorders or cuts when
 * its buffers are full shows.
 */
export function largePayload(rng: Rng, size: number): Buffer {
  const cipher = createCipheriv('aes-128-ctr', rng.bytes(16), rng.bytes(16));
  return cipher.update(Buffer.alloc(size));
}

/**
 * The values worth trying for a numeric field whose largest allowed value is `max`, stored in
 * `bits` bits: the edges of the range, just past it, and the edges of the field itself, where
 * signed and unsigned arithmetic part ways. Sorted, without duplicates, each with its name.
 */
export function boundaryValues(max: number, bits: 8 | 16 | 32 = 32): { value: number; name: string }[] {
  const top = 2 ** bits - 1;
  const all = [
    { value: 0, name: '0' },
    { value: 1, name: '1' },
    { value: max - 1, name: 'the limit − 1' },
    { value: max, name: 'the limit' },
    { value: max + 1, name: 'the limit + 1' },
    { value: 2 ** (bits - 1) - 1, name: `2^${bits - 1} − 1` },
    { value: 2 ** (bits - 1), name: `2^${bits - 1}` },
    { value: top, name: `2^${bits} − 1` },
  ];
  const seen = new Set<number>();
  return all
    .filter((v) => v.value >= 0 && v.value <= top && !seen.has(v.value) && seen.add(v.value))
    .sort((a, b) => a.value - b.value);
}

// ---------------------------------------------------------------------------------------------
// Observing a client that does not read

/**
 * Waits until some of the server's answer has reached a client that is not reading (after
 * stopReading): Node still takes up to one buffer's worth (16–64 KiB) from the kernel before it
 * stops, so bytes show up there without the client consuming any. True once they have (or the
 * connection ended), false when `timeoutMs` passed first. A check uses it to start its next step
 * only once the server is certainly answering the silent client.
 */
export async function untilUnreadArrives(conn: Conn, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (conn.socket.readableLength > 0 || conn.closed || conn.socket.readableEnded) return true;
    if (Date.now() >= deadline) return false;
    await conn.pause(5);
  }
}
