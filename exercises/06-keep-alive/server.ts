/**
 * Stage 6 — the routing server, persistent. Read exercises/06-keep-alive/README.md first.
 *
 * Run it:    PORT=9000 npx tsx exercises/06-keep-alive/server.ts
 * Poke it:   curl -v http://127.0.0.1:9000/ http://127.0.0.1:9000/style.css
 *            (one connection for both? curl says "Re-using existing connection")
 * Grade it:  npm run grade 6
 *
 * This is a stage 3 server that answers ONE request per connection and hangs up. First bring in
 * your stage 3 routing: replace the stand-ins resolveTarget() and contentType() below with yours
 * from exercises/03-routing/server.ts. Then your job is the connection: TODOs 1–6, in that order.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream';

const port = Number(process.env.PORT ?? 9000);
const root = path.resolve(process.env.STATIC_DIR ?? 'static');

const MAX_HEAD = 16 * 1024;


const REASONS: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed' };

const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  let received = Buffer.alloc(0); // this connection's bytes
  let answered = false;

  // TODO 5: an idle timer. socket.setTimeout(5000, () => socket.end()) fires after 5 s without a
  //         byte either way: long enough for a client to come back, short enough that idle
  //         clients don't pile up.

  socket.on('data', (chunk) => {
    if (answered) return; // TODO 1: one request per connection — remove this, and see TODO 2
    received = Buffer.concat([received, chunk]);
    // TODO 2: a loop. One chunk may hold several requests (pipelining) or a piece of one. While the
    //         buffer holds "\r\n\r\n": cut that head off the front, handle it, and KEEP the rest —
    //         it is the start of the next request. (A request with a body, such as a POST: skip
    //         its Content-Length bytes before you look for the next head.)
    // TODO 3: answer strictly in order: let chain = Promise.resolve() per connection, and for each
    //         request chain = chain.then(() => respond(socket, head)). respond() must resolve only
    //         when its response is completely written, file included.
    const end = received.indexOf('\r\n\r\n');
    if (end >= 0) {
      answered = true;
      respond(socket, received.subarray(0, end).toString('latin1')).catch((err) => {
        console.error(err);
        socket.destroy();
      });
    } else if (received.length > MAX_HEAD) {
      answered = true;
      sendText(socket, 400, 'request head too large');
    }
  });
  socket.on('end', () => {
    if (!answered) socket.end();
  });
  socket.on('error', (err) => console.error(`client error: ${err.message}`));
});

async function respond(socket: net.Socket, head: string): Promise<void> {
  const parts = head.split('\r\n', 1)[0]!.split(' ');
  const [method, target, version] = parts;
  if (parts.length !== 3 || !/^[A-Z]+$/.test(method!) || !target!.startsWith('/') || !/^HTTP\/1\.[01]$/.test(version!)) {
    return sendText(socket, 400, 'malformed request line'); // this one SHOULD close the connection
  }
  // TODO 4: does the connection stay open after this response? HTTP/1.1: yes, unless the request
  //         says "Connection: close". HTTP/1.0: no, unless it says "Connection: keep-alive" (then
  //         the response says "Connection: keep-alive" too). Names and values are
  //         case-insensitive. Pass the answer down to where responses are written.
  if (method !== 'GET' && method !== 'HEAD') return sendText(socket, 405, `${method} is not allowed here`, { Allow: 'GET, HEAD' });
  const headOnly = method === 'HEAD';
  const file = resolveTarget(target!);
  if (typeof file === 'number') return sendText(socket, file, REASONS[file]!.toLowerCase(), {}, headOnly);

  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file);
  } catch {
    return sendNotFound(socket, headOnly);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    return sendNotFound(socket, headOnly);
  }
  const type = contentType(file);
  socket.write(headFor(200, { 'Content-Type': type, 'Content-Length': String(stat.size) }));
  if (headOnly) {
    await handle.close();
    socket.end();
    return;
  }
  // TODO 6: pipeline() ends the socket after the last byte of the file — the connection is gone.
  //         Copy the file yourself and leave the socket open:
  //           for await (const chunk of handle.createReadStream()) {
  //             if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
  //           }
  //         (write() returns false when the client reads slowly: wait for 'drain' — backpressure.)
  pipeline(handle.createReadStream(), socket, (err) => {
    if (err) console.error(`sending ${file}: ${err.message}`);
  });
}

/**
 * The file a request-target names, or the status code to answer instead. A stand-in: replace it
 * with your stage 3 code, which cuts off the query, decodes, refuses NUL and anything outside
 * `root` (400 or 403), and maps every folder to its index.html.
 */
function resolveTarget(target: string): string | number {
  let decoded: string;
  try {
    decoded = decodeURIComponent(target.split('?', 1)[0]!);
  } catch {
    return 400;
  }
  if (decoded.includes('..')) return 403; // too crude: yours from stage 3 is better
  return path.join(root, decoded.endsWith('/') ? `${decoded}index.html` : decoded);
}

/** The Content-Type for a file. A stand-in: replace it with your stage 3 table. */
function contentType(file: string): string {
  const types: Record<string, string> = {
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
  return types[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

async function sendNotFound(socket: net.Socket, headOnly: boolean): Promise<void> {
  let page: Buffer;
  try {
    page = await fs.readFile(path.join(root, 'error.html'));
  } catch {
    return sendText(socket, 404, 'not found', {}, headOnly);
  }
  socket.end(Buffer.concat([headFor(404, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(page.length) }), headOnly ? Buffer.alloc(0) : page]));
}

function sendText(socket: net.Socket, status: number, text: string, extra: Record<string, string> = {}, headOnly = false): void {
  const body = Buffer.from(`${status} ${REASONS[status]}: ${text}\n`);
  const head = headFor(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length), ...extra });
  socket.end(headOnly ? head : Buffer.concat([head, body]));
}

// TODO 1 (continued): every response above ends with socket.end(...) and says "Connection: close".
//         Write with socket.write(...) instead, and end the socket only after a response that
//         closes the connection (TODO 4) — with "Connection: close" in that response alone.
function headFor(status: number, headers: Record<string, string>): Buffer {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status]}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'Connection: close'];
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n');
}

server.listen(port, () => {
  console.log(`serving ${root} on http://127.0.0.1:${port}/`);
});
