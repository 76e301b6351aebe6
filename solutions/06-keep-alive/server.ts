/**
 * Stage 6 — the routing server, persistent (model solution).
 *
 * Stage 3's file server, now keeping each connection open for as many requests as the client
 * sends. Three ideas carry it:
 *   1. A connection is a byte stream, not a request: keep a buffer per connection and, after every
 *      chunk, take out as many complete requests as it holds. Whatever follows a request stays in
 *      the buffer — it is the start of the next one.
 *   2. Responses go out strictly in the order the requests came, whatever each one costs: a chain
 *      of promises, so a slow file for request 1 cannot let response 2 overtake it.
 *   3. Every response says exactly how long it is (Content-Length), so the client knows where it
 *      ends without the connection closing; and the connection closes only when HTTP says so
 *      (Connection: close, HTTP/1.0, a malformed request) or when it has been idle too long.
 */
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
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

/** One parsed request, or the reason it can't be one. */
type Request =
  | { ok: true; method: string; target: string; keepAlive: boolean; http10: boolean; bodyLength: number }
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
    // Take out every complete request the buffer holds — one chunk may carry several (pipelining),
    // or a piece of one.
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
      // The head is ASCII by the rules of HTTP; latin1 maps each byte to one character.
      const request = parseHead(buffered.subarray(0, end).toString('latin1'));
      buffered = buffered.subarray(end + 4); // what follows is the next request (or this one's body)
      if (!request.ok) {
        // We can't tell where a malformed request ends, so nothing after it can be trusted either.
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
    // The client has sent all it will. Answer what it asked for, then close our side too.
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
    // Repeated fields are one list (RFC 9110 §5.3): "Connection: keep-alive" + "Connection: close".
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  // Connection is a list of tokens, case-insensitive: "close", "keep-alive", "Upgrade"…
  const tokens = (headers.get('connection') ?? '').toLowerCase().split(',').map((s) => s.trim());
  const http10 = version === 'HTTP/1.0';
  // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 closes unless asked to keep it.
  const keepAlive = !tokens.includes('close') && (!http10 || tokens.includes('keep-alive'));
  if (headers.has('transfer-encoding')) {
    // A chunked body: we'd have to decode it to find where the next request starts. We don't.
    return { ok: false, status: 501, why: 'request bodies with Transfer-Encoding are not supported' };
  }
  const length = headers.get('content-length');
  if (length !== undefined && !/^\d+$/.test(length)) return { ok: false, status: 400, why: 'bad Content-Length' };
  return { ok: true, method: method!, target: target!, keepAlive, http10, bodyLength: Number(length ?? 0) };
}

async function respond(socket: net.Socket, req: Extract<Request, { ok: true }>): Promise<void> {
  const conn = { keepAlive: req.keepAlive, http10: req.http10 };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendText(socket, 405, `${req.method} is not allowed here`, conn, { Allow: 'GET, HEAD' });
  }
  const headOnly = req.method === 'HEAD';
  const file = resolveTarget(req.target);
  if (typeof file === 'number') return sendText(socket, file, REASONS[file]!.toLowerCase(), conn, {}, headOnly);

  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file);
  } catch {
    return sendNotFound(socket, conn, headOnly);
  }
  try {
    const stat = await handle.stat(); // the size of the file we opened, not of whatever is at that path now
    if (!stat.isFile()) return await sendNotFound(socket, conn, headOnly);
    const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    socket.write(headFor(200, { 'Content-Type': type, 'Content-Length': String(stat.size) }, conn));
    if (!headOnly) await sendStream(socket, handle);
  } finally {
    await handle.close();
  }
  finish(socket, conn);
}

/**
 * Copies the file into the socket chunk by chunk. When write() returns false the socket's buffer is
 * full (the client reads slowly): wait for 'drain' before reading more, so a slow client costs one
 * chunk of memory, not the whole file. Unlike pipeline(), this leaves the socket open afterwards.
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

/** The file a request-target names, or the status code to answer instead (as in stage 3). */
function resolveTarget(target: string): string | number {
  const rawPath = target.split(/[?#]/, 1)[0]!;
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
  if (!conn.keepAlive) socket.end(); // end(), not destroy(): the response still in the buffer goes out first
}

function headFor(status: number, headers: Record<string, string>, conn: ConnectionFate): Buffer {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status]}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  // HTTP/1.1 clients assume keep-alive; say "close" when we will close, and confirm keep-alive to
  // HTTP/1.0 clients that asked for it — they assume the opposite.
  if (!conn.keepAlive) lines.push('Connection: close');
  else if (conn.http10) lines.push('Connection: keep-alive');
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n');
}

server.listen(port, () => {
  console.log(`serving ${root} on http://127.0.0.1:${port}/ (connections stay open ${IDLE_MS / 1000} s when idle)`);
});
