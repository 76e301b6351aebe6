/**
 * The HTTP/1.1 response reader (grader/wire/http.ts) against hand-written responses: it reads what
 * RFC 9112 allows, and points a caret at the first byte of what it forbids.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CheckFailure } from '../grader/failure.ts';
import { Conn } from '../grader/wire/conn.ts';
import { readResponse } from '../grader/expect/http.ts';
import { buildRequest } from '../grader/wire/http.ts';

/** A one-shot TCP server that answers any connection with `reply` (and then closes, or not). */
async function replying(reply: Buffer | string, opts: { close?: boolean } = {}): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('data', () => (opts.close === false ? s.write(reply) : s.end(reply)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function read(reply: Buffer | string, opts: { close?: boolean; method?: string; timeoutMs?: number } = {}) {
  const srv = await replying(reply, opts);
  const conn = await Conn.open({ host: '127.0.0.1', port: srv.port });
  try {
    await conn.send(buildRequest({ method: opts.method, target: '/' }));
    return await readResponse(conn, { timeoutMs: opts.timeoutMs ?? 1000, method: opts.method });
  } finally {
    conn.abort();
    srv.close();
  }
}

async function parseError(reply: string, opts: { close?: boolean } = {}): Promise<{ offset: number; note: string; line: string; caret: string }> {
  try {
    await read(reply, opts);
  } catch (err) {
    if (!(err instanceof CheckFailure) || !err.init.caret) throw err;
    const { caretAt } = await import('../grader/wire/escape.ts');
    return { offset: err.init.caret.offset, note: err.init.caret.note.en, ...caretAt(err.init.caret.data, err.init.caret.offset) };
  }
  throw new Error('expected a parse error');
}

describe('the HTTP/1.1 response reader', () => {
  it('reads header names case-insensitively and the body by Content-Length, without waiting for a close', async () => {
    const started = Date.now();
    const res = await read('HTTP/1.1 200 OK\r\ncontent-TYPE: text/plain\r\nCONTENT-LENGTH: 5\r\n\r\nhello', { close: false, timeoutMs: 3000 });
    expect(Date.now() - started).toBeLessThan(1000); // keep-alive: the length said when to stop
    expect(res.status).toBe(200);
    expect(res.header('Content-Type')).toBe('text/plain');
    expect(res.framing).toBe('content-length');
    expect(res.body.toString()).toBe('hello');
  });

  it('reads a chunked body, and a body delimited by the close', async () => {
    const chunked = await read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nTrailer: z\r\n\r\n', { close: false });
    expect(chunked.framing).toBe('chunked');
    expect(chunked.body.toString()).toBe('hello world');
    const closed = await read('HTTP/1.0 200 OK\r\n\r\nuntil the end');
    expect(closed.framing).toBe('close');
    expect(closed.version).toBe('HTTP/1.0');
    expect(closed.body.toString()).toBe('until the end');
  });

  it('gives a HEAD response no body, whatever Content-Length says', async () => {
    const res = await read('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n', { close: false, method: 'HEAD' });
    expect(res.body.length).toBe(0);
    expect(res.header('content-length')).toBe('1234');
  });

  it.each([
    ['HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', 15, /end of the status line; got a bare LF/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n', 34, /end of a header line; got a bare LF/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n', 36, /empty line that ends the head; got a bare LF/],
    ['http/1.1 200 OK\r\n\r\n', 0, /case-sensitive/],
    ['<html>hello</html>', 0, /starts with its status line/],
    ['HTTP/1.1 2OO OK\r\n\r\n', 10, /three-digit status code/],
    ['HTTP/1.1 200 OK\r\nContent-Type : text/html\r\n\r\n', 29, /no space is allowed in a header name or between the name and its colon/],
    ['HTTP/1.1 200 OK\r\nContent-Type text/html\r\n\r\n', 29, /no space is allowed/],
    ['HTTP/1.1 200 OK\r\n Folded: x\r\n\r\n', 17, /cannot start with a space/],
    ['HTTP/1.1 200 OK\r\nNoColon\r\n\r\n', 24, /needs a colon/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 12 bytes\r\n\r\n', 36, /digits only/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 52, /Content-Length once/],
  ])('points at the first bad byte of %j', async (reply, offset, note) => {
    const e = await parseError(reply);
    expect(e.offset).toBe(offset);
    expect(e.note).toMatch(note);
  });

  it('says how far the head got when the server stops part-way', async () => {
    const srv = await replying('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n');
    const conn = await Conn.open({ host: '127.0.0.1', port: srv.port });
    try {
      await conn.send(buildRequest({ target: '/' }));
      const err = await readResponse(conn, { timeoutMs: 1000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckFailure);
      const init = (err as CheckFailure).init;
      expect(init.kind).toBe('closed-early');
      expect(init.summary.en).toMatch(/the head stopped after 42 bytes, before the empty line that ends it — the server closed the connection/);
      expect(init.caret?.offset).toBe(42);
    } finally {
      conn.abort();
      srv.close();
    }
  });
});
