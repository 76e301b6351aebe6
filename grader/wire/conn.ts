/**
 * A raw TCP client that records everything: each write, each read, each FIN and reset, with times.
 * Checks drive it; reports render its `Transcript`. It never prints. Every wait takes a bound, and
 * what it buffers is capped, so a server that hangs or floods costs at most that bound.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { t, type Text } from '../i18n.ts';
import { connectionText } from './labels.ts';

export type WireEvent =
  | { at: number; kind: 'connect' }
  /** `bytes` is what the transcript keeps for display (capped); `size` is what was really sent. */
  | { at: number; kind: 'send'; bytes: Buffer; size: number }
  | { at: number; kind: 'recv'; bytes: Buffer }
  | { at: number; kind: 'fin-sent' }
  | { at: number; kind: 'reset-sent' }
  | { at: number; kind: 'fin-received' }
  | { at: number; kind: 'reset-received'; code: string }
  | { at: number; kind: 'flooded'; limit: number }
  /** What the client did that bytes alone do not show ("stopped reading", "paused 1.2 s"). */
  | { at: number; kind: 'note'; text: Text };

type NewEvent = WireEvent extends infer E ? (E extends WireEvent ? Omit<E, 'at'> : never) : never;

/** Why a wait ended without what it waited for. */
export type WireErrorKind = 'timeout' | 'closed' | 'reset' | 'flooded' | 'refused' | 'aborted';

export class WireError extends Error {
  constructor(
    readonly kind: WireErrorKind,
    readonly text: Text,
    readonly conn?: Conn,
  ) {
    super(text.en);
    this.name = 'WireError';
  }
}

export interface ConnectOptions {
  host: string;
  port: number;
  /**
   * A name for reports when a check opens several connections: t('client 3', '客户端 3'). A plain
   * string is English; reports translate its common shapes ("client 3 (resets)").
   */
  label?: string | Text;
  /** Bound on the TCP handshake. */
  connectTimeoutMs?: number;
  /** Most bytes held unread before the server counts as flooding (default 16 MiB). */
  maxBuffered?: number;
  /** Aborting destroys the connection and fails pending waits (the check's time bound uses this). */
  signal?: AbortSignal;
}

/** How much of each direction a transcript keeps for display; totals are always exact. */
const KEEP_FOR_DISPLAY = 64 * 1024;

export class Conn {
  /** The name reports show, in every language the check gave it (report/sections.ts says it). */
  readonly labelText: string | Text;
  /** The name in English (a label given as Text: its English). */
  readonly label: string;
  /** The name in every language, for messages a check writes: `${conn.name.zh}` in the Chinese one. */
  readonly name: Text;
  readonly events: WireEvent[] = [];
  readonly started = Date.now();
  /** Total bytes sent and received, whatever the display cap. */
  sentTotal = 0;
  /** Aborted with the connection: ends its pauses. */
  private readonly aborted = new AbortController();
  receivedTotal = 0;
  /** Bytes received and not yet consumed by a read. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended: 'fin' | 'reset' | 'flooded' | 'aborted' | undefined;
  private resetCode = '';
  /** Everyone waiting for something to happen on this connection (a reader and a writer at once). */
  private waiters = new Set<() => void>();
  private keptRecv = 0;
  private keptSend = 0;

  private constructor(
    readonly socket: net.Socket,
    private readonly maxBuffered: number,
    label: string | Text,
  ) {
    this.labelText = label;
    this.label = typeof label === 'string' ? label : label.en;
    this.name = connectionText(label);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.record({ kind: 'fin-received' });
      this.ended ??= 'fin';
      this.wake();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.ended || this.ended === 'fin') {
        this.resetCode = err.code ?? err.message;
        this.record({ kind: 'reset-received', code: this.resetCode });
      }
      if (this.ended !== 'aborted' && this.ended !== 'flooded') this.ended = 'reset';
      this.wake();
    });
    socket.on('close', () => {
      this.ended ??= 'fin';
      this.wake();
    });
  }

  static async open(opts: ConnectOptions): Promise<Conn> {
    const socket = net.connect({ host: opts.host, port: opts.port, allowHalfOpen: true });
    socket.setNoDelay(true);
    const conn = new Conn(socket, opts.maxBuffered ?? 16 * 1024 * 1024, opts.label ?? 'client');
    const bound = opts.connectTimeoutMs ?? 2000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new WireError('timeout', t(`could not connect to ${opts.host}:${opts.port} within ${bound} ms (the server is not accepting connections)`, `${bound} 毫秒内无法连接到 ${opts.host}:${opts.port}（服务器没有接受连接）`), conn));
      }, bound);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const refused = err.code === 'ECONNREFUSED';
        reject(
          new WireError(
            refused ? 'refused' : 'reset',
            refused
              ? t(`connection refused on ${opts.host}:${opts.port}: nothing is listening any more`, `连接 ${opts.host}:${opts.port} 被拒绝：已经没有程序在监听`)
              : t(`connect failed: ${err.code ?? err.message}`, `连接失败：${err.code ?? err.message}`),
            conn,
          ),
        );
      });
    });
    conn.record({ kind: 'connect' });
    opts.signal?.addEventListener('abort', () => conn.abort(), { once: true });
    if (opts.signal?.aborted) conn.abort();
    return conn;
  }

  /**
   * Puts a behaviour of this client into its transcript, so a failure shows it: adversarial helpers
   * call it ("client 2 stopped reading") when they change how the client behaves.
   */
  note(text: Text): void {
    this.record({ kind: 'note', text });
  }

  private record(e: NewEvent): void {
    this.events.push({ ...e, at: Date.now() - this.started } as WireEvent);
  }

  private onData(chunk: Buffer): void {
    this.receivedTotal += chunk.length;
    if (this.keptRecv < KEEP_FOR_DISPLAY) {
      const keep = chunk.subarray(0, KEEP_FOR_DISPLAY - this.keptRecv);
      this.keptRecv += keep.length;
      this.record({ kind: 'recv', bytes: Buffer.from(keep) });
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > this.maxBuffered) {
      this.record({ kind: 'flooded', limit: this.maxBuffered });
      this.ended = 'flooded';
      this.socket.destroy();
    }
    this.wake();
  }

  private wake(): void {
    const all = [...this.waiters];
    this.waiters.clear();
    for (const w of all) w();
  }

  /** Resolves on the next event on this connection, or after `ms`. */
  private nextEvent(ms: number, alsoOnDrain = false): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        if (timer) clearTimeout(timer);
        this.socket.off('drain', done);
        this.waiters.delete(done);
        resolve();
      };
      // Timers run before the loop polls its sockets: a grader that was descheduled past `ms`
      // wakes up to the timer first, with bytes that arrived in time still unread. setImmediate
      // runs after that poll, so what came in time counts.
      const timer = Number.isFinite(ms) ? setTimeout(() => setImmediate(done), ms) : undefined;
      if (alsoOnDrain) this.socket.once('drain', done);
      this.waiters.add(done);
    });
  }

  /** The connection is over: the server sent FIN or reset, or we gave up on it. */
  get closed(): 'fin' | 'reset' | 'flooded' | 'aborted' | undefined {
    return this.ended;
  }

  get buffered(): number {
    return this.pendingBytes;
  }

  /** Everything received and not yet consumed, without consuming it. */
  peek(): Buffer {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending)];
    return this.pending[0] ?? Buffer.alloc(0);
  }

  private take(n: number): Buffer {
    const all = this.peek();
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    return Buffer.from(out);
  }

  /**
   * Sends bytes and our FIN in one call (a write, then the shutdown right behind it), so the server
   * finds both waiting, as `printf … | nc -N` delivers them. For a small request.
   */
  sendAndEnd(data: Buffer | string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    this.recordSend(bytes);
    this.record({ kind: 'fin-sent' });
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.end(bytes);
  }

  private recordSend(bytes: Buffer): void {
    if (this.keptSend < KEEP_FOR_DISPLAY) {
      const keep = bytes.subarray(0, KEEP_FOR_DISPLAY - this.keptSend);
      this.keptSend += keep.length;
      this.record({ kind: 'send', bytes: Buffer.from(keep), size: bytes.length });
    } else this.record({ kind: 'send', bytes: Buffer.alloc(0), size: bytes.length });
    this.sentTotal += bytes.length;
  }

  /** Sends bytes as one write and resolves when the kernel has taken them (backpressure respected). */
  async send(data: Buffer | string): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    this.recordSend(bytes);
    if (this.socket.destroyed || this.socket.writableEnded) {
      throw new WireError(this.ended === 'aborted' ? 'aborted' : 'closed', t('the connection was already closed when we tried to send', '我们要发送时连接已经关闭'), this);
    }
    const flushed = this.socket.write(bytes);
    if (!flushed) await this.until(() => !this.socket.writableNeedDrain || this.socket.destroyed, t('the server to read what we sent', '服务器读取我们发送的数据'), Infinity);
  }

  /** Sends the chunks as separate writes, pausing between them so they travel as separate segments. */
  async sendChunks(chunks: readonly Buffer[], delayMs = 0): Promise<void> {
    for (let i = 0; i < chunks.length; i++) {
      await this.send(chunks[i]!);
      if (delayMs > 0 && i < chunks.length - 1) await this.pause(delayMs);
      else if (i < chunks.length - 1) await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * A pause that ends early if the connection is aborted (the check is over: whatever it does next
   * on this connection fails as aborted), so no timer outlives its check.
   */
  async pause(ms: number): Promise<void> {
    if (this.ended === 'aborted') throw new WireError('aborted', t('aborted', '已中止'), this);
    await sleep(ms, undefined, { signal: this.aborted.signal }).catch(() => {});
  }

  /** Stop reading from the socket: the server's replies back up in the kernel and then in its own buffers. */
  holdReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** Resolves true once our FIN has been handed to the kernel (after `sendAndEnd`), false after `timeoutMs` without. */
  async finHandedOver(timeoutMs: number): Promise<boolean> {
    if (this.socket.writableFinished) return true;
    return new Promise((resolve) => {
      const settle = (done: boolean): void => {
        clearTimeout(timer);
        this.socket.off('finish', finished);
        this.socket.off('close', closed);
        resolve(done);
      };
      const finished = (): void => settle(true);
      const closed = (): void => settle(this.socket.writableFinished);
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.socket.once('finish', finished);
      this.socket.once('close', closed);
    });
  }

  /** Whether we hold off reading (what the server sends waits in the kernel, unseen). */
  get holding(): boolean {
    return this.socket.isPaused();
  }

  /** Bytes we have written that the kernel has not taken yet (they wait in our user-space buffer). */
  get unsent(): number {
    return this.socket.writableLength;
  }

  /**
   * A figure that changes whenever the kernel takes more of what we send: the bytes handed to
   * send() less those Node and libuv still queue (libuv's write queue shrinks while one large write
   * is part-way through, which writableLength alone does not show).
   */
  get sendProgress(): number {
    const queued = (this.socket as unknown as { _handle?: { writeQueueSize?: number } })._handle?.writeQueueSize ?? 0;
    return this.sentTotal - this.socket.writableLength - queued + (this.events.some((e) => e.kind === 'fin-sent') ? 1 : 0);
  }

  /** Half-close: send FIN. We can still read what the server sends back. */
  end(): void {
    this.record({ kind: 'fin-sent' });
    this.socket.end();
  }

  /** Abortive close: send RST instead of FIN, the way a crashed client or a pulled cable looks. */
  reset(): void {
    this.record({ kind: 'reset-sent' });
    this.ended ??= 'aborted';
    this.socket.resetAndDestroy();
  }

  /** Drop the connection quietly (used on time-outs and teardown). */
  abort(): void {
    if (!this.ended) this.ended = 'aborted';
    this.aborted.abort();
    this.socket.destroy();
    this.wake();
  }

  /**
   * Waits until `ready()` holds, the connection ends, or `timeoutMs` passes. Ending and time-outs
   * become `WireError`s that say how much had arrived, so a check that does nothing special still
   * fails with a message that says what the server did.
   */
  private async until(ready: () => boolean, what: Text, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (ready()) return;
      if (this.ended) throw this.endedError(what);
      const left = deadline - Date.now();
      if (left <= 0) {
        const got = this.receivedSummary();
        throw new WireError('timeout', t(`waited ${formatMs(timeoutMs)} for ${what.en}; ${got.en}`, `等待${what.zh}等了 ${formatMs(timeoutMs)}；${got.zh}`), this);
      }
      await this.nextEvent(left, true);
    }
  }

  private receivedSummary(): Text {
    return this.receivedTotal === 0
      ? t('nothing arrived', '什么也没收到')
      : t(`${bytes(this.receivedTotal)} arrived in all`, `一共收到 ${this.receivedTotal} 字节`);
  }

  private endedError(what: Text): WireError {
    const got = this.receivedSummary();
    switch (this.ended) {
      case 'flooded':
        return new WireError('flooded', t(`the server sent more than ${this.maxBuffered} bytes (flooded) while we waited for ${what.en}`, `在等待${what.zh}时，服务器发来了超过 ${this.maxBuffered} 字节（数据泛滥）`), this);
      case 'reset':
        return new WireError('reset', t(`the connection was reset (${this.resetCode}) while we waited for ${what.en}; ${got.en}`, `在等待${what.zh}时连接被重置（${this.resetCode}）；${got.zh}`), this);
      case 'aborted':
        return new WireError('aborted', t(`gave up waiting for ${what.en}`, `放弃等待${what.zh}`), this);
      default:
        return new WireError('closed', t(`the server closed the connection while we waited for ${what.en}; ${got.en}`, `在等待${what.zh}时服务器关闭了连接；${got.zh}`), this);
    }
  }

  /** Waits until at least `n` bytes are buffered, without consuming them. */
  async waitFor(n: number, timeoutMs: number): Promise<void> {
    await this.until(() => this.pendingBytes >= n, t(n === 1 ? 'the first byte' : `the first ${n} bytes`, `最先的 ${n} 字节`), timeoutMs);
  }

  /** Exactly `n` bytes. */
  async read(n: number, timeoutMs: number): Promise<Buffer> {
    await this.until(() => this.pendingBytes >= n, t(bytes(n), ` ${n} 字节`), timeoutMs);
    return this.take(n);
  }

  /** Bytes up to and including `delimiter`. */
  async readUntil(delimiter: Buffer | string, timeoutMs: number, maxBytes = 1024 * 1024): Promise<Buffer> {
    const delim = typeof delimiter === 'string' ? Buffer.from(delimiter) : delimiter;
    let idx = -1;
    await this.until(
      () => {
        idx = this.peek().indexOf(delim);
        if (idx < 0 && this.pendingBytes > maxBytes) {
          const d = JSON.stringify(delim.toString());
          throw new WireError('flooded', t(`no ${d} within the first ${maxBytes} bytes`, `前 ${maxBytes} 字节里没有 ${d}`), this);
        }
        return idx >= 0;
      },
      t(JSON.stringify(delim.toString()), ` ${JSON.stringify(delim.toString())} `),
      timeoutMs,
    );
    return this.take(idx + delim.length);
  }

  /**
   * Everything until the server closes. Resolves with what arrived and how it ended; a time-out
   * resolves too (`how: 'open'`), since "the server never closed" is itself a finding.
   */
  async readToEnd(timeoutMs: number): Promise<{ data: Buffer; how: 'fin' | 'reset' | 'open' | 'flooded' }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) {
      await this.nextEvent(deadline - Date.now());
    }
    const data = this.take(this.pendingBytes);
    const how = this.ended === 'fin' ? 'fin' : this.ended === 'reset' ? 'reset' : this.ended === 'flooded' ? 'flooded' : 'open';
    if (this.ended === 'aborted') throw new WireError('aborted', t('gave up waiting for the server to close', '放弃等待服务器关闭连接'), this);
    return { data, how };
  }

  /** Waits `ms` and returns whatever else arrived (used to catch extra bytes after a reply). */
  async drainFor(ms: number): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (!this.ended && Date.now() < deadline) {
      await this.nextEvent(deadline - Date.now());
    }
    return this.take(this.pendingBytes);
  }
}

/** "1 byte", "2 bytes". */
export function bytes(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
