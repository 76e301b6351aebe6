/**
 * Stage 8 — redirects and conditional GET. Read exercises/08-redirects-caching/README.md first.
 *
 * Run it:    PORT=9000 npx tsx exercises/08-redirects-caching/server.ts
 * Poke it:   curl -v -I http://127.0.0.1:9000/style.css
 *            (no Date, no Last-Modified, no ETag yet: that is this stage)
 * Grade it:  npm run grade 8
 *
 * This file serves files, but the parts you built in earlier stages are STAND-INS here, cruder than
 * yours: serveConnection() answers ONE request per connection and hangs up (your stage 6 server
 * keeps connections open, answers pipelined requests in order, closes idle ones), and
 * resolveTarget() / contentType() are rough (yours from stage 3 are better). First bring your own in:
 * copy your stage 6 server.ts over this file and carry the five TODOs below into it — or replace the
 * stand-ins one by one. Then TODOs 1–5, in that order.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

const port = Number(process.env.PORT ?? 9000);
const root = path.resolve(process.env.STATIC_DIR ?? 'static');

const REASONS: Record<number, string> = {
  200: 'OK',
  301: 'Moved Permanently',
  302: 'Found',
  304: 'Not Modified',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
};

interface Request {
  method: string;
  target: string;
  /** Header names lower-cased; a repeated header's values joined with ", ". */
  headers: Map<string, string>;
}

// TODO 5: the rules of STATIC_DIR/_redirects, read once when the server starts. One rule per line:
//         "from to [301|302]", fields separated by spaces or tabs. Trim each line (it may end in
//         "\r"); skip empty lines and lines starting with "#"; keep a line only if it has 2 or 3
//         fields, "from" starts with "/", and the code is exactly "301" or "302" (none given: 302).
//         The first rule for a path wins. No file: no rules (readFileSync throws — catch it).
const redirects = new Map<string, { to: string; code: 301 | 302 }>();

// ─── STAND-IN for your stage 6 connection handling: one request, then close ────────────────────

const server = net.createServer((socket) => {
  let received = Buffer.alloc(0);
  let answered = false;
  socket.on('data', (chunk) => {
    if (answered) return;
    received = Buffer.concat([received, chunk]);
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) return;
    answered = true;
    const request = parseHead(received.subarray(0, end).toString('latin1'));
    const answer = request ? respond(socket, request) : Promise.resolve(sendText(socket, 400, 'malformed request'));
    answer
      .catch((err: Error) => {
        console.error(err);
        socket.destroy();
      })
      .finally(() => socket.end()); // the stand-in closes after every response; yours does not
  });
  socket.on('error', (err) => console.error(`client error: ${err.message}`));
});

function parseHead(head: string): Request | undefined {
  const [requestLine, ...lines] = head.split('\r\n');
  const parts = requestLine!.split(' ');
  if (parts.length !== 3 || !parts[1]!.startsWith('/')) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  return { method: parts[0]!, target: parts[1]!, headers };
}

// ─── This stage ──────────────────────────────────────────────────────────────────────────────────

async function respond(socket: net.Socket, req: Request): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(socket, 405, `${req.method} is not allowed here`, { Allow: 'GET, HEAD' });
  const headOnly = req.method === 'HEAD';
  const q = req.target.indexOf('?');
  const rawPath = q < 0 ? req.target : req.target.slice(0, q);
  const query = q < 0 ? '' : req.target.slice(q); // "?x=1", or ""

  // TODO 5 (continued): a rule for rawPath? Answer its code with Location: rule.to + query
  //         (sendText(socket, code, …, { Location: … }, headOnly) will do).

  const file = resolveTarget(rawPath);
  if (typeof file === 'number') return sendText(socket, file, REASONS[file]!.toLowerCase(), {}, headOnly);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file);
  } catch {
    return sendNotFound(socket, headOnly);
  }
  try {
    const stat = await handle.stat();
    // TODO 4: a folder named without its trailing slash ("/docs" when docs is a folder): answer
    //         301 with Location: rawPath + "/" + query — instead of the 404 below.
    if (!stat.isFile()) return await sendNotFound(socket, headOnly);

    // TODO 2: the validators of this version of the file, both from `stat`:
    //           Last-Modified: new Date(stat.mtimeMs).toUTCString()
    //           ETag: a quoted tag that changes when the file does, e.g. size and mtime in hex:
    //                 `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`
    //         Send them with the 200 below (and with a 304).
    // TODO 3: if notModified(req.headers, etag, stat.mtimeMs), answer 304 Not Modified: the head
    //         only — status line, Date, ETag — and return. HEAD goes through here too.
    const type = contentType(file);
    const head = headFor(200, { 'Content-Type': type, 'Content-Length': String(stat.size) });
    socket.write(headOnly ? head : Buffer.concat([head, await handle.readFile()]));
  } finally {
    await handle.close();
  }
}

/**
 * TODO 3 (continued): is the client's copy current? RFC 9110 §13.2.2, in this order:
 *   - If-None-Match present: it alone decides. "*" matches; otherwise it is a list of quoted tags
 *     (maybe with W/ in front) — true if any equals `etag` once a W/ prefix is dropped on both sides.
 *   - Else If-Modified-Since present: parse it (Date.parse; asctime dates have no zone — add " GMT";
 *     NaN means "not a date": ignore the header). True if Math.floor(mtimeMs / 1000) * 1000 <= it.
 *   - Else false.
 */
function notModified(headers: Map<string, string>, etag: string, mtimeMs: number): boolean {
  void headers, etag, mtimeMs;
  return false;
}

/**
 * The file a path names, or the status code to answer instead. A stand-in: replace it with your
 * stage 3 code, which decodes, refuses NUL and anything outside `root`, and maps "…/" to index.html.
 */
function resolveTarget(rawPath: string): string | number {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return 400;
  }
  if (decoded.includes('..')) return 403; // too crude: yours from stage 3 is better
  return path.join(root, decoded.endsWith('/') ? `${decoded}index.html` : decoded);
}

/** The Content-Type for a file. A stand-in: replace it with your stage 3 table. */
function contentType(file: string): string {
  const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json', '.txt': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.ico': 'image/x-icon' };
  return types[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

async function sendNotFound(socket: net.Socket, headOnly: boolean): Promise<void> {
  let page: Buffer;
  try {
    page = await fs.readFile(path.join(root, 'error.html'));
  } catch {
    return sendText(socket, 404, 'not found', {}, headOnly);
  }
  const head = headFor(404, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(page.length) });
  socket.write(headOnly ? head : Buffer.concat([head, page]));
}

function sendText(socket: net.Socket, status: number, text: string, extra: Record<string, string> = {}, headOnly = false): void {
  const body = Buffer.from(`${status} ${REASONS[status]}: ${text}\n`);
  const head = headFor(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length), ...extra });
  socket.write(headOnly ? head : Buffer.concat([head, body]));
}

// TODO 1: every response carries Date — add `Date: ${new Date().toUTCString()}` here, where every
//         head is written, and 404s, 400s, redirects and 304s all get it. (The "Connection: close"
//         belongs to the stand-in: your stage 6 server decides per response.)
function headFor(status: number, headers: Record<string, string>): Buffer {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status]}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'Connection: close'];
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n');
}

server.listen(port, () => {
  console.log(`serving ${root} on http://127.0.0.1:${port}/`);
});
