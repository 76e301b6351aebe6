/**
 * Stage 2 (a fixed page over HTTP): the solution passes every check on many seeds, the untouched
 * skeleton fails, each deliberately broken server is caught by the check written for its bug —
 * and the HTTP response reader itself reads what RFC 9112 allows and points at what it forbids.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CheckFailure } from '../grader/failure.ts';
import { createRng } from '../grader/rng.ts';
import { Conn } from '../grader/wire/conn.ts';
import { readResponse } from '../grader/expect/http.ts';
import { buildRequest, scanResponseHead } from '../grader/wire/http.ts';
import { buildSite, loadSite } from '../grader/site/site.ts';
import { findStage } from '../grader/stages.ts';
import { exerciseFile, explainFailures, failedIds, fixtureFile, grade, solutionFile } from './helpers.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SLUG = '02-fixed-page';

describe('stage 2: a fixed page over HTTP', () => {
  it('the model solution passes every check for 20 seeds', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const result = await grade(2, solutionFile(SLUG), seed * 7919);
      expect(result.passed, `seed ${seed * 7919}:\n${explainFailures(result)}`).toBe(true);
      expect(result.score).toBe(result.maxScore);
    }
  });

  it('the untouched skeleton starts, fails every check, and fails fast', async () => {
    const started = Date.now();
    const result = await grade(2, exerciseFile(SLUG));
    expect(result.startError).toBeUndefined();
    expect(result.score).toBe(0);
    expect(result.checks.every((c) => !c.passed)).toBe(true);
    // It hangs up at once: nothing waits out a bound. (It has no 'error' listener yet, so the
    // client that resets in 2.9 crashes it — which the report says.)
    for (const c of result.checks) expect(['closed-early', 'crashed'], c.id).toContain(c.failure?.kind);
    expect(result.checks.find((c) => c.id === '2.1')?.failure?.summary.en).toMatch(/closed the connection without sending any response/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  // One bug each; the check meant to catch it, and how the failure should be described.
  const fixtures: [file: string, check: string, kind: string][] = [
    ['bare-lf.ts', '2.1', 'wrong'],
    ['answers-http-1-0.ts', '2.1', 'wrong'],
    ['no-charset.ts', '2.2', 'wrong'],
    ['no-content-length.ts', '2.3', 'wrong'],
    ['content-length-in-characters.ts', '2.3', 'wrong'],
    ['crlf-after-body.ts', '2.3', 'wrong'],
    ['ignores-static-dir.ts', '2.3', 'wrong'],
    ['reads-page-once.ts', '2.4', 'wrong'],
    ['routes-paths.ts', '2.5', 'wrong'],
    ['single-read.ts', '2.6', 'wrong'],
    ['answers-after-request-line.ts', '2.7', 'wrong'],
    ['ends-on-client-fin.ts', '2.8', 'closed-early'],
    ['exits-on-empty-connection.ts', '2.9', 'crashed'],
    ['answers-latest-client.ts', '2.10', 'hung'],
    ['no-head-limit.ts', '2.11', 'hung'],
  ];

  it.concurrent.each(fixtures)('%s is caught by check %s (%s)', async (file, check, kind) => {
    const result = await grade(2, fixtureFile(SLUG, file), 42);
    expect(failedIds(result), explainFailures(result)).toContain(check);
    expect(result.checks.find((c) => c.id === check)?.failure?.kind).toBe(kind);
  });

  it('a bare LF in the response is pointed at with a caret, and HTTP\'s expectation is named', async () => {
    const result = await grade(2, fixtureFile(SLUG, 'bare-lf.ts'), 5, { only: ['2.1'] });
    const f = result.checks[0]!.failure!;
    expect(f.caret?.line).toMatch(/^"HTTP\/1\.1 200 OK\\nContent-Type/);
    // The caret sits under the backslash of the first \n.
    expect(f.caret!.caret.length - 1).toBe(f.caret!.line.indexOf('\\n'));
    expect(f.caret?.note.en).toMatch(/expected CRLF \("\\r\\n"\) at the end of the status line; got a bare LF/);
    expect(f.caret?.note.zh).toMatch(/CRLF/);
  });

  it('a Content-Length counted in characters is called exactly that', async () => {
    const result = await grade(2, fixtureFile(SLUG, 'content-length-in-characters.ts'), 5, { only: ['2.3'] });
    const f = result.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/Content-Length is (\d+), but index\.html is (\d+) bytes; \d+ more bytes followed the body/);
    expect(f.hint?.en).toMatch(/is the number of characters in index\.html, not bytes/);
  });

  it('failures carry a paste-able reproduce command with the exact bytes', async () => {
    const plain = await grade(2, fixtureFile(SLUG, 'no-charset.ts'), 5, { only: ['2.2'] });
    expect(plain.checks[0]!.failure?.reproduce).toMatch(/^printf 'GET \/ HTTP\/1\.1\\r\\nHost: localhost\\r\\n.*\\r\\n\\r\\n' \| nc -N 127\.0\.0\.1 9000$/);
    // A request split into pieces is reproduced piece by piece.
    const split = await grade(2, fixtureFile(SLUG, 'answers-after-request-line.ts'), 5, { only: ['2.7'] });
    expect(split.checks[0]!.failure?.reproduce).toMatch(/^node -e '.*setTimeout\(r,300\).*'$/);
  });

  it('an over-long head that a server keeps buffering is reported as a hang with its size', async () => {
    const result = await grade(2, fixtureFile(SLUG, 'no-head-limit.ts'), 5, { only: ['2.11'] });
    const f = result.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/we sent a request line of 100 KiB with no end \(\d+ bytes\); 2\.5 s later the server had neither answered nor closed/);
    expect(f.reproduce).toMatch(/head -c 102400 \/dev\/zero/);
  });
});

describe('the seeded document root', () => {
  it('is the same for a seed and different across seeds, with Chinese text in index.html', async () => {
    const make = async (seed: number): Promise<{ root: string; index: Buffer; dir: string }> => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'socklab-docroot-test-'));
      const root = await buildSite(dir, createRng(seed, 'x'), findStage(3)!.site!);
      return { root, index: readFileSync(path.join(root, 'index.html')), dir };
    };
    const [a, b, c] = [await make(1), await make(1), await make(2)];
    try {
      expect(a.index.equals(b.index)).toBe(true);
      expect(a.index.equals(c.index)).toBe(false);
      expect(path.basename(a.root)).toBe(path.basename(b.root));
      expect(a.index.length).toBeGreaterThan([...a.index.toString('utf8')].length); // bytes ≠ characters
      const site = loadSite(a.root);
      for (const s of site.secrets) expect(path.relative(site.root, s).startsWith('..')).toBe(true);
      expect(site.files.some((f) => f.file.includes(' '))).toBe(true);
      expect(site.files.some((f) => /[^\x00-\x7f]/.test(f.file))).toBe(true);
    } finally {
      for (const x of [a, b, c]) rmSync(x.dir, { recursive: true, force: true });
    }
  });
});

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
