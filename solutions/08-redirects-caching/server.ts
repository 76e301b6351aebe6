/**
 * Stage 8 — redirects and conditional GET (model solution).
 *
 * Stage 6's persistent file server (its connection handling is unchanged: a buffer and a loop per
 * connection, one promise chain for the answers, Content-Length on everything), now telling clients
 * where things went and when their copies are still good:
 *   1. Every response carries Date; every 200 for a file carries its validators — Last-Modified
 *      (the file's mtime) and an ETag (made of its size and mtime).
 *   2. A conditional GET or HEAD whose copy is current gets 304 Not Modified: a head with no body.
 *      If-None-Match decides when present; otherwise If-Modified-Since, at one-second resolution.
 *   3. A folder asked for without its trailing slash is redirected to it (301), and so are the paths
 *      STATIC_DIR/_redirects lists (301 or 302); the query string goes along.
 */
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

const port = Number(process.env.PORT ?? 9000);
const root = path.resolve(process.env.STATIC_DIR ?? 'static');

const MAX_HEAD = 16 * 1024;
/** A quiet connection is closed after this long: long enough for a client to come back, short enough that idle clients can't pile up. */
const IDLE_MS = 5000;
/** Stop reading from a client that has this many requests waiting for their answers (it is not reading ours). */
const MAX_QUEUED = 16;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
};

const REASONS: Record<number, string> = {
  200: 'OK',
  301: 'Moved Permanently',
  302: 'Found',
  304: 'Not Modified',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

// ─── _redirects ──────────────────────────────────────────────────────────────────────────────────

interface Rule {
  to: string;
  code: 301 | 302;
}

/**
 * The rules of STATIC_DIR/_redirects, read once at start-up: "from to [301|302]" per line. A line
 * without a code is a temporary redirect (302): a permanent one is remembered by browsers for good,
 * so a mistake in it cannot be taken back — permanence has to be asked for. Anything that is not a
 * rule (a comment, a line with too few or too many fields, a code other than 301 or 302, a "from"
 * that is not a path) is skipped, and the first rule for a path wins.
 */
function loadRedirects(): Map<string, Rule> {
  const rules = new Map<string, Rule>();
  let text: string;
  try {
    text = readFileSync(path.join(root, '_redirects'), 'utf8');
  } catch {
    return rules; // no file, no rules
  }
  for (const raw of text.split('\n')) {
    const line = raw.trim(); // also drops the \r of a file saved with CRLF line endings
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    if (fields.length < 2 || fields.length > 3) continue;
    const [from, to, code = '302'] = fields as [string, string, string?];
    if (!from.startsWith('/') || (code !== '301' && code !== '302')) continue;
    if (!rules.has(from)) rules.set(from, { to, code: code === '301' ? 301 : 302 });
  }
  return rules;
}

const redirects = loadRedirects();

// ─── Connections (as in stage 6) ─────────────────────────────────────────────────────────────────

/** One parsed request, or the reason it can't be one. */
type Request =
  | { ok: true; method: string; target: string; headers: Map<string, string>; keepAlive: boolean; http10: boolean; bodyLength: number }
  | { ok: false; status: number; why: string };

const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  let buffered = Buffer.alloc(0); // bytes received and not yet part of a request
  let skipBody = 0; // bytes of a request body still to throw away (a POST we answer 405)
  let closing = false; // a response that closes the connection is queued: read nothing more
  let queued = 0; // requests waiting for their responses
  // Each response is written after the previous one has been written completely.
  let chain = Promise.resolve();

  const enqueue = (job: () => Promise<void>): void => {
    queued++;
    if (queued >= MAX_QUEUED) socket.pause(); // backpressure on the input side
    chain = chain
      .then(() => (socket.destroyed ? undefined : job()))
      .catch((err: Error) => {
        // A client that resets mid-download, a file that vanishes: this connection is over.
        console.error(`connection error: ${err.message}`);
        socket.destroy();
      })
      .finally(() => {
        queued--;
        if (queued < MAX_QUEUED / 2 && !closing) socket.resume();
      });
  };

  // Idle for IDLE_MS (no byte either way): end politely. Still nothing after another IDLE_MS —
  // the client neither read our FIN nor closed its side — then drop it, or it holds a descriptor.
  socket.setTimeout(IDLE_MS, () => {
    if (queued > 0 || socket.writableEnded) socket.destroy();
    else socket.end();
  });

  socket.on('data', (chunk) => {
    if (closing) return; // after "Connection: close" or a bad request, the rest is not ours to read
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    for (;;) {
      if (skipBody > 0) {
        const n = Math.min(skipBody, buffered.length);
        skipBody -= n;
        buffered = buffered.subarray(n);
        if (skipBody > 0) return; // the body goes on in the next chunk
      }
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > MAX_HEAD) {
          closing = true;
          enqueue(async () => sendText(socket, 400, 'request head too large', false));
        }
        return; // wait for the rest of the head
      }
      const request = parseHead(buffered.subarray(0, end).toString('latin1'));
      buffered = buffered.subarray(end + 4); // what follows is the next request (or this one's body)
      if (!request.ok) {
        closing = true;
        enqueue(async () => sendText(socket, request.status, request.why, false));
        return;
      }
      skipBody = request.bodyLength;
      if (!request.keepAlive) closing = true;
      enqueue(() => respond(socket, request));
      if (closing) return;
    }
  });
  socket.on('end', () => {
    closing = true;
    chain = chain.then(() => {
      if (!socket.destroyed) socket.end();
    });
  });
  socket.on('error', (err) => console.error(`client error: ${err.message}`));
});

function parseHead(head: string): Request {
  const [requestLine, ...fieldLines] = head.split('\r\n');
  const parts = requestLine!.split(' ');
  const [method, target, version] = parts;
  if (parts.length !== 3 || !/^[A-Z]+$/.test(method!) || !target!.startsWith('/') || !/^HTTP\/1\.[01]$/.test(version!)) {
    return { ok: false, status: 400, why: 'malformed request line' };
  }
  const headers = new Map<string, string>();
  for (const line of fieldLines) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { ok: false, status: 400, why: 'malformed header line' };
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    // Repeated fields are one list (RFC 9110 §5.3): two If-None-Match lines are one list of tags.
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  const tokens = (headers.get('connection') ?? '').toLowerCase().split(',').map((s) => s.trim());
  const http10 = version === 'HTTP/1.0';
  const keepAlive = !tokens.includes('close') && (!http10 || tokens.includes('keep-alive'));
  if (headers.has('transfer-encoding')) {
    return { ok: false, status: 501, why: 'request bodies with Transfer-Encoding are not supported' };
  }
  const length = headers.get('content-length');
  if (length !== undefined && !/^\d+$/.test(length)) return { ok: false, status: 400, why: 'bad Content-Length' };
  return { ok: true, method: method!, target: target!, headers, keepAlive, http10, bodyLength: Number(length ?? 0) };
}

// ─── Answers ─────────────────────────────────────────────────────────────────────────────────────

async function respond(socket: net.Socket, req: Extract<Request, { ok: true }>): Promise<void> {
  const conn = { keepAlive: req.keepAlive, http10: req.http10 };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendText(socket, 405, `${req.method} is not allowed here`, conn, { Allow: 'GET, HEAD' });
  }
  const headOnly = req.method === 'HEAD';
  // The path and the query as they came: a redirect hands the query on untouched.
  const q = req.target.indexOf('?');
  const rawPath = q < 0 ? req.target : req.target.slice(0, q);
  const query = q < 0 ? '' : req.target.slice(q);

  const rule = redirects.get(rawPath);
  if (rule) return sendRedirect(socket, rule.code, rule.to + query, conn, headOnly);

  const file = resolvePath(rawPath);
  if (typeof file === 'number') return sendText(socket, file, REASONS[file]!.toLowerCase(), conn, {}, headOnly);

  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file);
  } catch {
    return sendNotFound(socket, conn, headOnly);
  }
  try {
    const stat = await handle.stat(); // the file we opened, as it is now: its validators come from here
    if (stat.isDirectory() && !rawPath.endsWith('/')) {
      // "/docs" is a folder: its page lives at "/docs/", where its relative links resolve correctly.
      return sendRedirect(socket, 301, `${rawPath}/${query}`, conn, headOnly);
    }
    if (!stat.isFile()) return await sendNotFound(socket, conn, headOnly);

    const validators = {
      // Size and mtime: free to compute (no need to read, let alone hash, the file), and any rewrite
      // changes the mtime. What it misses — a change of the same size within the same millisecond —
      // is rare enough that nginx and Apache build their default ETags from the same two facts.
      ETag: `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`,
      'Last-Modified': new Date(stat.mtimeMs).toUTCString(), // toUTCString drops the milliseconds
    };
    if (notModified(req.headers, validators.ETag, stat.mtimeMs)) {
      socket.write(headFor(304, validators, conn)); // the head alone: a 304 never has a body
      return finish(socket, conn);
    }
    const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    socket.write(headFor(200, { 'Content-Type': type, 'Content-Length': String(stat.size), ...validators }, conn));
    if (!headOnly) await sendStream(socket, handle);
  } finally {
    await handle.close();
  }
  finish(socket, conn);
}

/**
 * Is the client's copy current? RFC 9110 §13.2.2: If-None-Match decides when it is present; only
 * without it does If-Modified-Since count.
 */
function notModified(headers: Map<string, string>, etag: string, mtimeMs: number): boolean {
  const ifNoneMatch = headers.get('if-none-match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() === '*') return true;
    // A list of tags, each quoted (a tag may itself contain a comma, so don't split on commas), and
    // compared weakly: W/"x" and "x" are the same version for this purpose (§8.8.3.2).
    const tags = ifNoneMatch.match(/(W\/)?"[^"]*"/g) ?? [];
    return tags.some((tag) => tag.replace(/^W\//, '') === etag.replace(/^W\//, ''));
  }
  const ifModifiedSince = headers.get('if-modified-since');
  if (ifModifiedSince === undefined) return false;
  const since = parseHttpDate(ifModifiedSince);
  if (Number.isNaN(since)) return false; // not a date: ignore the condition (never a 400)
  // Last-Modified could only say whole seconds, so the date the client sends back has no
  // milliseconds: compare the file's time cut down to the second, or a file modified at
  // 12:00:00.500 would never be "not modified since 12:00:00".
  return Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/**
 * The three formats HTTP dates come in (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT",
 * "Sunday, 06-Nov-94 08:49:37 GMT" and asctime's "Sun Nov  6 08:49:37 1994". Date.parse reads all
 * three, but takes asctime, which carries no zone, as local time: it means GMT. NaN for anything
 * that is not a date.
 */
function parseHttpDate(value: string): number {
  const asctime = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/.test(value);
  return Date.parse(asctime ? `${value} GMT` : value);
}

/**
 * Copies the file into the socket chunk by chunk, waiting for 'drain' when the client reads slowly
 * (as in stage 6). Unlike pipeline(), this leaves the socket open afterwards.
 */
async function sendStream(socket: net.Socket, handle: fs.FileHandle): Promise<void> {
  for await (const chunk of handle.createReadStream({ autoClose: false })) {
    if (socket.destroyed) throw new Error('the client went away mid-download');
    if (!socket.write(chunk)) await drained(socket);
  }
}

function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** The file a request's path names, or the status code to answer instead (as in stage 3). */
function resolvePath(rawPath: string): string | number {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return 400;
  }
  if (decoded.includes('\0')) return 400;
  let file = path.join(root, decoded);
  if (file !== root && !file.startsWith(root + path.sep)) return 403;
  if (decoded.endsWith('/')) file = path.join(file, 'index.html');
  return file;
}

interface ConnectionFate {
  keepAlive: boolean;
  http10: boolean;
}

/** A redirect: the status, Location, and a one-line body for anyone who reads it. */
function sendRedirect(socket: net.Socket, code: 301 | 302, location: string, conn: ConnectionFate, headOnly: boolean): void {
  sendText(socket, code, `see ${location}`, conn, { Location: location }, headOnly);
}

async function sendNotFound(socket: net.Socket, conn: ConnectionFate, headOnly: boolean): Promise<void> {
  let page: Buffer;
  try {
    page = await fs.readFile(path.join(root, 'error.html'));
  } catch {
    return sendText(socket, 404, 'not found', conn, {}, headOnly);
  }
  const head = headFor(404, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(page.length) }, conn);
  socket.write(headOnly ? head : Buffer.concat([head, page]));
  finish(socket, conn);
}

/** A short text response. `conn: false` means: this response closes the connection (errors we can't recover from). */
function sendText(socket: net.Socket, status: number, text: string, conn: ConnectionFate | false, extra: Record<string, string> = {}, headOnly = false): void {
  const fate = conn || { keepAlive: false, http10: false };
  const body = Buffer.from(`${status} ${REASONS[status]}: ${text}\n`);
  const head = headFor(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length), ...extra }, fate);
  socket.write(headOnly ? head : Buffer.concat([head, body]));
  finish(socket, fate);
}

/** After a response: close if this was the connection's last one, otherwise leave it open for the next. */
function finish(socket: net.Socket, conn: ConnectionFate): void {
  if (!conn.keepAlive) socket.end();
}

/** Every head goes through here, so every response — 404s, redirects, 304s — carries Date. */
function headFor(status: number, headers: Record<string, string>, conn: ConnectionFate): Buffer {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status]}`, `Date: ${new Date().toUTCString()}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (!conn.keepAlive) lines.push('Connection: close');
  else if (conn.http10) lines.push('Connection: keep-alive');
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n');
}

server.listen(port, () => {
  console.log(`serving ${root} on http://127.0.0.1:${port}/ (${redirects.size} redirects from _redirects)`);
});
