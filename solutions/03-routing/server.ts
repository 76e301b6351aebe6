/**
 * Stage 3 — a static file server with routing (model solution).
 *
 * GET /path serves STATIC_DIR/path. The interesting parts are turning a request-target into a file
 * name safely (decode once, resolve, then check it is still inside the root) and sending files of
 * any size as a stream, so a big image never sits in memory whole.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream';

const port = Number(process.env.PORT ?? 9000);
const root = path.resolve(process.env.STATIC_DIR ?? 'static');

const MAX_HEAD = 16 * 1024;

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
};

const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  let received = Buffer.alloc(0); // this connection's bytes, until the head is complete
  let answered = false;

  socket.on('data', (chunk) => {
    if (answered) return; // one request per connection
    received = Buffer.concat([received, chunk]);
    const end = received.indexOf('\r\n\r\n');
    if (end >= 0) {
      answered = true;
      // The head is ASCII by the rules of HTTP; latin1 maps each byte to one character, so
      // nothing is lost (percent-encoded UTF-8 is decoded later, by decodeURIComponent).
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
    if (!answered) socket.end(); // left without a whole request: nothing to answer
  });
  socket.on('error', (err) => console.error(`client error: ${err.message}`));
});

async function respond(socket: net.Socket, head: string): Promise<void> {
  // The request line: exactly three parts, one space apart.
  const parts = head.split('\r\n', 1)[0]!.split(' ');
  const [method, target, version] = parts;
  if (parts.length !== 3 || !/^[A-Z]+$/.test(method!) || !target!.startsWith('/') || !/^HTTP\/1\.\d$/.test(version!)) {
    return sendText(socket, 400, 'malformed request line');
  }
  if (method !== 'GET' && method !== 'HEAD') {
    return sendText(socket, 405, `${method} is not allowed here`, { Allow: 'GET, HEAD' });
  }
  const headOnly = method === 'HEAD';

  const file = resolveTarget(target!);
  if (typeof file === 'number') return sendText(socket, file, REASONS[file]!.toLowerCase(), {}, headOnly);

  // Open first, then ask the open file for its size: stat-then-open could see two different files
  // if someone replaces it in between.
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file);
  } catch {
    return sendNotFound(socket, headOnly);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close(); // a folder named without its trailing slash, a device, …
    return sendNotFound(socket, headOnly);
  }
  const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  socket.write(headFor(200, { 'Content-Type': type, 'Content-Length': String(stat.size) }));
  if (headOnly) {
    await handle.close();
    socket.end();
    return;
  }
  // Stream the file: pipeline() reads a chunk, writes it, waits for the socket to drain when the
  // client is slow (backpressure), ends the socket after the last byte, and cleans up both sides
  // if either fails (a client that resets mid-download).
  pipeline(handle.createReadStream(), socket, (err) => {
    if (err) console.error(`sending ${file}: ${err.message}`);
  });
}

/** The file a request-target names, or the status code to answer instead. */
function resolveTarget(target: string): string | number {
  const rawPath = target.split(/[?#]/, 1)[0]!; // the query string and fragment name no file
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath); // exactly once: %2520 is a file named "%20"
  } catch {
    return 400; // a malformed escape such as %zz, or bytes that are not UTF-8
  }
  if (decoded.includes('\0')) return 400;
  // path.join (unlike path.resolve) never lets a second argument starting with "/" replace the
  // root, and it removes "." and ".." — which is exactly why we check the result afterwards:
  // /../secret becomes root/../secret, which is outside.
  let file = path.join(root, decoded);
  if (file !== root && !file.startsWith(root + path.sep)) return 403; // root + sep: not root-private/
  if (decoded.endsWith('/')) file = path.join(file, 'index.html');
  return file;
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

function headFor(status: number, headers: Record<string, string>): Buffer {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status]}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'Connection: close'];
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n');
}

server.listen(port, () => {
  console.log(`serving ${root} on http://127.0.0.1:${port}/`);
});
