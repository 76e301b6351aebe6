/**
 * Clients that are not polite. Real clients read late or never, pause in the middle of a message,
 * dribble bytes, or send faster than anyone can forward; a server must stay correct for them and
 * keep serving everyone else. Each behaviour here is one named helper that any stage can use on a
 * `Conn`. They only act and report what they did (facts); the checks decide what is right.
 *
 * The transcript names the behaviour through the connection's label (open it as
 * "client 3 (stops reading)"); a `Conn` has no other way to annotate its events yet.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Conn } from './conn.ts';

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
  return { since: Date.now(), resume: () => conn.resumeReading() };
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
      stopped = true;
      wake?.();
      conn.resumeReading();
      await loop;
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
  await conn.pause(pauseMs);
  await conn.send(data.subarray(cut));
}

/** Sends `data` one byte per write, `gapMs` apart: the slowest a stream can be delivered. */
export async function sendByteByByte(conn: Conn, data: Buffer, gapMs: number): Promise<void> {
  await conn.sendChunks([...data].map((b) => Buffer.from([b])), gapMs);
}

/** Sends the pieces as separate writes, `gapMs` apart, so that each tends to arrive as a read of its own. */
export async function sendInPieces(conn: Conn, pieces: readonly Buffer[], gapMs: number): Promise<void> {
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
  })();
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
