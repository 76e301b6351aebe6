/**
 * Stage 7 — request bodies: PUT and POST (model solution).
 *
 * Stage 6's persistent file server, now taking bodies:
 *   PUT /uploads/<name>   stores the body as STATIC_DIR/uploads/<name> (201 new, 204 replaced)
 *   POST /form            answers the urlencoded fields as a JSON object
 * Four ideas carry it:
 *   1. Content-Length is the only way to know where a body ends (no chunked bodies in this stage):
 *      take exactly that many bytes after the head, and whatever follows is the next request.
 *   2. Decide from the head alone whether the body is wanted — the length, the name, the type —
 *      before reading a byte of it. A refusal goes out at once; a body over the limit is never read
 *      (the connection closes instead). With "Expect: 100-continue" the client waits for that
 *      decision: "100 Continue" to go ahead, or the final status.
 *   3. A body can be bigger than memory should hold: stream it to a file, and when the disk is
 *      slower than the network, stop reading the socket until the file catches up (backpressure).
 *   4. Write to a temporary name and rename when the body is complete: a rename replaces the file
 *      in one step, so nobody ever sees half an upload, and an upload cut short changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

const port = Number(process.env.PORT ?? 9000);
const root = path.resolve(process.env.STATIC_DIR ?? 'static');
const uploads = path.join(root, 'uploads');

const MAX_HEAD = 16 * 1024;
/** The largest body accepted: 10 MiB exactly is fine, one byte more is 413. */
const MAX_BODY = 10 * 1024 * 1024;
/** A quiet connection is closed after this long. */
const IDLE_MS = 5000;
/** Stop reading from a client that has this many requests waiting for their answers (it is not reading ours). */
const MAX_QUEUED = 16;
/** After a response that closes the connection, how long the client may go on sending before we hang up for good. */
const LINGER_MS = 2000;

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
  100: 'Continue',
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  411: 'Length Required',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

// The folder may not exist yet in a fresh STATIC_DIR. Once, at start: every upload then renames into it.
mkdirSync(uploads, { recursive: true });

interface Head {
  method: string;
  target: string;
  keepAlive: boolean;
  http10: boolean;
  headers: Map<string, string>;
  /** The body's length; undefined when the request has no Content-Length. */
  length: number | undefined;
  expectContinue: boolean;
}

/** One parsed head, or why it cannot be one (answered with that status, then the connection closes). */
type Parsed = { ok: true; head: Head } | { ok: false; status: number; why: string };

/** Where the bytes of a request's body go while they arrive. */
interface BodySink {
  /** Bytes still to come. */
  remaining: number;
  /** Takes a piece of the body; false means "wait for my drain before giving me more". */
  write(piece: Buffer): boolean;
  /** Called once when the last byte has been written. */
  end(): void;
  /** The connection ended before the body did. */
  abort(): void;
  onDrain(resume: () => void): void;
}

const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  let buffered = Buffer.alloc(0); // bytes received and not yet part of a request or a body
  let body: BodySink | undefined; // the body being received, if any
  let bodyBlocked = false; // its file is behind: the socket is paused until it drains
  let closing = false; // the request that closes the connection has been read: no heads after it
  let clientDone = false; // the client sent its FIN
  let queued = 0; // requests waiting for their responses
  let chain = Promise.resolve(); // each response starts when the previous one has been written

  // The socket reads while neither the file being written nor the client's unanswered requests say stop.
  const updateFlow = (): void => {
    if (bodyBlocked || queued >= MAX_QUEUED) socket.pause();
    else socket.resume();
  };

  const enqueue = (job: () => Promise<void>): void => {
    queued++;
    updateFlow();
    chain = chain
      .then(() => (socket.destroyed ? undefined : job()))
      .catch((err: Error) => {
        // A client that went away mid-upload or mid-download, a disk error: this connection is over.
        console.error(`connection error: ${err.message}`);
        socket.destroy();
      })
      .finally(() => {
        queued--;
        if (queued < MAX_QUEUED / 2) updateFlow();
      });
  };

  /** Queues a response after which the connection closes, and stops reading: nothing after it is ours. */
  const refuseAndClose = (status: number, why: string): void => {
    closing = true;
    enqueue(async () => sendText(socket, status, why, CLOSE));
  };

  // A response often goes out in two writes (the head, then the file): without this, Nagle's
  // algorithm holds the second back until the client acknowledges the first — up to 40 ms each.
  socket.setNoDelay(true);

  socket.setTimeout(IDLE_MS, () => {
    if (queued > 0 || socket.writableEnded) socket.destroy();
    else socket.end();
  });

  /** Takes every complete request (and every body byte) the buffer holds. */
  const pump = (): void => {
    takeRequests();
    if (clientDone && !bodyBlocked) {
      // Nothing more will come: a body still short of its length never will be complete.
      body?.abort();
      body = undefined;
      if (!closing) {
        closing = true;
        chain = chain.then(() => {
          if (!socket.destroyed) socket.end(); // after the answers to what the client did send
        });
      }
    }
  };

  const takeRequests = (): void => {
    while (!bodyBlocked) {
      if (body) {
        if (buffered.length === 0) return; // the body goes on in the next chunk
        const n = Math.min(body.remaining, buffered.length);
        const sink = body;
        sink.remaining -= n;
        const ready = sink.write(buffered.subarray(0, n));
        buffered = buffered.subarray(n); // what follows the body is the next request: keep it
        if (sink.remaining === 0) {
          body = undefined;
          sink.end();
        }
        // (Once the last byte is in, there is nothing more to hold back: the stream flushes on its own,
        // and after end() it would never say "drain" anyway.)
        if (!ready && sink.remaining > 0) {
          bodyBlocked = true;
          updateFlow();
          sink.onDrain(() => {
            bodyBlocked = false;
            updateFlow();
            pump(); // the buffer may still hold the next request
          });
        }
        continue;
      }
      if (closing) return; // no request after the one that closes the connection
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > MAX_HEAD) refuseAndClose(400, 'request head too large');
        return;
      }
      const parsed = parseHead(buffered.subarray(0, end).toString('latin1'));
      buffered = buffered.subarray(end + 4);
      if (!parsed.ok) return refuseAndClose(parsed.status, parsed.why);
      dispatch(parsed.head);
    }
  };

  /** Decides, from the head alone, what happens to the request and its body. */
  const dispatch = (req: Head): void => {
    const conn: ConnectionFate = { keepAlive: req.keepAlive, http10: req.http10 };
    if (!req.keepAlive) closing = true;
    const takesBody = req.method === 'PUT' || req.method === 'POST';
    if (takesBody && req.length === undefined) {
      // No Content-Length: by the rules of HTTP/1.1 this request has no body at all (RFC 9112
      // §6.3), so the next bytes are the next request and the connection can stay.
      enqueue(async () => sendText(socket, 411, 'a body needs a Content-Length', conn));
      return;
    }
    const length = req.length ?? 0;
    if (length > MAX_BODY) {
      // Never read it: answer at once and close. Reading 10 GiB to throw it away is what an
      // attacker would like us to do.
      return refuseAndClose(413, `a body may be at most ${MAX_BODY} bytes`);
    }
    const refusal = takesBody ? refusalFor(req) : undefined;
    if (refusal) {
      if (req.expectContinue && length > 0) {
        // The client holds its body back, waiting for our word: it may send it anyway or never.
        // We can't know where the next request would start, so this answer is the last.
        return refuseAndClose(refusal.status, refusal.why);
      }
      // The body is on its way: skip exactly its bytes, and the connection stays usable.
      if (length > 0) body = discardSink(length);
      enqueue(async () => sendText(socket, refusal.status, refusal.why, conn, refusal.headers));
      return;
    }
    if (req.expectContinue && length > 0) {
      // In its turn among the responses, so it never lands in the middle of an earlier one.
      enqueue(async () => {
        socket.write('HTTP/1.1 100 Continue\r\n\r\n');
      });
    }
    if (req.method === 'PUT') {
      const name = uploadName(req.target) as string; // refusalFor() has checked it
      const upload = startUpload(name, length);
      if (length > 0) body = upload.sink;
      enqueue(async () => {
        const created = await upload.finish();
        const location = `/uploads/${encodeURIComponent(name)}`;
        if (created) sendText(socket, 201, `created ${location}`, conn, { Location: location });
        else sendHead(socket, 204, {}, conn);
      });
      return;
    }
    if (req.method === 'POST') {
      const form = collectSink(length);
      if (length > 0) body = form.sink;
      enqueue(async () => answerForm(socket, await form.bytes, conn));
      return;
    }
    // GET, HEAD and the rest, as in stage 6 (a body on them is skipped).
    if (length > 0) body = discardSink(length);
    enqueue(() => respond(socket, req, conn));
  };

  socket.on('data', (chunk) => {
    if (closing && !body) return; // after the request that closes the connection, the rest is not ours to read
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    pump();
  });
  socket.on('end', () => {
    // The client has sent all it will: answer what it asked for, then close our side too.
    clientDone = true;
    pump();
  });
  socket.on('close', () => {
    body?.abort(); // a reset mid-upload: the temporary file goes, the old file stays
    body = undefined;
  });
  socket.on('error', (err) => console.error(`client error: ${err.message}`));
});

// ─── The head ────────────────────────────────────────────────────────────────────────────────────

function parseHead(head: string): Parsed {
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
    // Spaces and tabs around a value are not part of it (RFC 9110 §5.5): "Content-Length:  5 " is 5.
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  if (headers.has('transfer-encoding')) {
    // A chunked body: we'd have to decode it to find where it ends. We don't, so we can't go on.
    return { ok: false, status: 501, why: 'request bodies with Transfer-Encoding are not supported' };
  }
  const length = contentLength(headers.get('content-length'));
  if (length === 'invalid') return { ok: false, status: 400, why: 'bad Content-Length' };
  const tokens = (headers.get('connection') ?? '').toLowerCase().split(',').map((s) => s.trim());
  const http10 = version === 'HTTP/1.0';
  return {
    ok: true,
    head: {
      method: method!,
      target: target!,
      keepAlive: !tokens.includes('close') && (!http10 || tokens.includes('keep-alive')),
      http10,
      headers,
      length,
      // HTTP/1.0 clients don't know 100 Continue (RFC 9110 §10.1.1): for them, no interim answer.
      expectContinue: !http10 && (headers.get('expect') ?? '').toLowerCase() === '100-continue',
    },
  };
}

/**
 * The body length a Content-Length value says: digits only. Repeated fields arrive joined as
 * "5, 5": identical copies are harmless, different ones make the length unknowable (and a gap for
 * request smuggling between servers that would pick different ones).
 */
function contentLength(value: string | undefined): number | undefined | 'invalid' {
  if (value === undefined) return undefined;
  const values = new Set<string>();
  for (const part of value.split(',')) {
    const v = part.trim();
    if (!/^\d+$/.test(v)) return 'invalid'; // "+5", "-1", "5.0", "0x10", "" — Number() would take some of these
    values.add(v.replace(/^0+(?=\d)/, ''));
  }
  if (values.size !== 1) return 'invalid';
  const digits = [...values][0]!;
  // Beyond 15 digits a double loses precision: all such numbers are far over the limit anyway.
  return digits.length > 15 ? Infinity : Number(digits);
}

/** Why a PUT or POST is refused before its body is read, or undefined if it is wanted. */
function refusalFor(req: Head): { status: number; why: string; headers?: Record<string, string> } | undefined {
  const pathPart = req.target.split(/[?#]/, 1)[0]!;
  if (req.method === 'PUT') {
    if (!pathPart.startsWith('/uploads/')) return { status: 405, why: 'PUT goes to /uploads/<name>', headers: { Allow: 'GET, HEAD' } };
    if (typeof uploadName(req.target) === 'number') return { status: 400, why: 'an upload name is one file name: no "/", no "..", no NUL' };
    return undefined;
  }
  if (pathPart !== '/form') return { status: 405, why: 'POST goes to /form', headers: { Allow: 'GET, HEAD' } };
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return { status: 415, why: '/form takes application/x-www-form-urlencoded' };
  return undefined;
}

/**
 * The file name a PUT names, or 400. The name comes from the client: decoded, it must be one plain
 * name inside uploads/ — "../../index.html" or "a/b" would write wherever the client likes.
 */
function uploadName(target: string): string | number {
  const raw = target.split(/[?#]/, 1)[0]!.slice('/uploads/'.length);
  let name: string;
  try {
    name = decodeURIComponent(raw); // "+" stays "+": only forms use it for a space
  } catch {
    return 400;
  }
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) return 400;
  return name;
}

// ─── Bodies ──────────────────────────────────────────────────────────────────────────────────────

/** Takes `length` bytes and forgets them (the body of a request we refused). */
function discardSink(length: number): BodySink {
  return { remaining: length, write: () => true, end() {}, abort() {}, onDrain() {} };
}

/** Collects a body in memory: fine for a form (at most MAX_BODY, and usually a few hundred bytes). */
function collectSink(length: number): { sink: BodySink; bytes: Promise<Buffer> } {
  const pieces: Buffer[] = [];
  let done!: (b: Buffer) => void;
  let failed!: (e: Error) => void;
  const bytes = new Promise<Buffer>((resolve, reject) => ((done = resolve), (failed = reject)));
  bytes.catch(() => {}); // awaited by the response job; an abort is handled there
  if (length === 0) done(Buffer.alloc(0));
  const sink: BodySink = {
    remaining: length,
    write: (piece) => (pieces.push(Buffer.from(piece)), true),
    end: () => done(Buffer.concat(pieces)),
    abort: () => failed(new Error('the client went away mid-body')),
    onDrain() {},
  };
  return { sink, bytes };
}

/**
 * Streams a body into a temporary file beside its final place (same folder, same file system, so
 * the rename is atomic); finish() renames it over the final name and says whether it was new.
 */
function startUpload(name: string, length: number): { sink: BodySink; finish(): Promise<boolean> } {
  const final = path.join(uploads, name);
  // A name no client can choose, in the same folder. Random rather than pid + counter: a restarted
  // server can have the same pid (in a container it always does) and meet the last one's leftovers.
  const temp = path.join(uploads, `.upload-${randomUUID()}.part`);
  const file: WriteStream = createWriteStream(temp, { flags: 'wx' });
  let aborted = false;
  const written = new Promise<void>((resolve, reject) => {
    file.on('finish', resolve);
    file.on('error', reject);
    file.on('close', () => aborted && reject(new Error('the client went away mid-upload')));
  });
  written.catch(() => {});
  if (length === 0) file.end();
  const sink: BodySink = {
    remaining: length,
    write: (piece) => file.write(piece),
    end: () => file.end(),
    abort() {
      aborted = true;
      // Remove the temporary file once the stream has let go of it (it may not even be open yet).
      file.once('close', () => void fs.rm(temp, { force: true }).catch(() => {}));
      file.destroy();
    },
    onDrain: (resume) => file.once('drain', resume),
  };
  return {
    sink,
    async finish() {
      try {
        await written;
      } catch (err) {
        await fs.rm(temp, { force: true });
        throw err;
      }
      const existed = await fs.stat(final).then(
        () => true,
        () => false,
      );
      await fs.rename(temp, final); // from here on, GET sees the whole new file; before, the whole old one
      return !existed;
    },
  };
}

/**
 * application/x-www-form-urlencoded: "a=1&b=x+y&c=%E4%BD%A0". Pairs split on "&", name and value on
 * the first "=", "+" is a space (here, and nowhere else), then percent-decoding, as UTF-8.
 */
function parseForm(bytes: Buffer): Map<string, string> | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // raw UTF-8 (what curl --data sends) is fine; broken bytes are not
  } catch {
    return undefined;
  }
  const fields = new Map<string, string>();
  for (const pair of text.split('&')) {
    if (pair === '') continue; // "a=1&&b=2"
    const eq = pair.indexOf('=');
    const [rawName, rawValue] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    try {
      const name = decodeURIComponent(rawName.replaceAll('+', ' '));
      const value = decodeURIComponent(rawValue.replaceAll('+', ' '));
      // A Map keeps the position where a name first appeared; set() again replaces only the value.
      fields.set(name, value);
    } catch {
      return undefined; // "%zz", a lone "%", or escapes that are not UTF-8
    }
  }
  return fields;
}

async function answerForm(socket: net.Socket, bytes: Buffer, conn: ConnectionFate): Promise<void> {
  const fields = parseForm(bytes);
  if (!fields) return sendText(socket, 400, 'the form body is not valid urlencoded UTF-8', conn);
  // Built by hand rather than JSON.stringify(Object.fromEntries(…)): a JavaScript object would move
  // names such as "2" or "10" to the front. JSON.stringify still quotes and escapes every string.
  const json = `{${[...fields].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
  const body = Buffer.from(json);
  socket.write(Buffer.concat([headFor(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(body.length) }, conn), body]));
  finish(socket, conn);
}

// ─── Files (as in stage 6) ───────────────────────────────────────────────────────────────────────

async function respond(socket: net.Socket, req: Head, conn: ConnectionFate): Promise<void> {
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
    const stat = await handle.stat();
    if (!stat.isFile()) return await sendNotFound(socket, conn, headOnly);
    const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    socket.write(headFor(200, { 'Content-Type': type, 'Content-Length': String(stat.size) }, conn));
    if (!headOnly) await sendStream(socket, handle);
  } finally {
    await handle.close();
  }
  finish(socket, conn);
}

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

// ─── Writing responses ───────────────────────────────────────────────────────────────────────────

interface ConnectionFate {
  keepAlive: boolean;
  http10: boolean;
}
/** The fate of a response after which the connection closes. */
const CLOSE: ConnectionFate = { keepAlive: false, http10: false };

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

function sendText(socket: net.Socket, status: number, text: string, conn: ConnectionFate, extra: Record<string, string> = {}, headOnly = false): void {
  const body = Buffer.from(`${status} ${REASONS[status]}: ${text}\n`);
  const head = headFor(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length), ...extra }, conn);
  socket.write(headOnly ? head : Buffer.concat([head, body]));
  finish(socket, conn);
}

/** A response without a body: 204 has neither a body nor a Content-Length. */
function sendHead(socket: net.Socket, status: number, headers: Record<string, string>, conn: ConnectionFate): void {
  socket.write(headFor(status, headers, conn));
  finish(socket, conn);
}

function finish(socket: net.Socket, conn: ConnectionFate): void {
  if (conn.keepAlive) return;
  socket.end(); // FIN after the response; the client may still be sending (a body we refused)…
  // …which we read and drop for a moment, so that it gets our answer rather than a reset; then go.
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

function headFor(status: number, headers: Record<string, string>, conn: ConnectionFate): Buffer {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status]}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (!conn.keepAlive) lines.push('Connection: close');
  else if (conn.http10) lines.push('Connection: keep-alive');
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n');
}

server.listen(port, () => {
  console.log(`serving ${root} on http://127.0.0.1:${port}/ (uploads go to ${uploads})`);
});
