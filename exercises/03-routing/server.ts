/**
 * Stage 3 — a static file server: files by path, and 404. Read exercises/03-routing/README.md first.
 *
 * Run it:    PORT=9000 npx tsx exercises/03-routing/server.ts
 * Poke it:   curl -v http://127.0.0.1:9000/docs/
 *            curl -v 'http://127.0.0.1:9000/docs/notes%20and%20tips.txt'
 *            curl -v --path-as-is http://127.0.0.1:9000/../package.json     (must NOT work)
 *            curl -v -X DELETE http://127.0.0.1:9000/
 * Grade it:  npm run grade 3
 *
 * Start by bringing over what works from your stage 2 server: collecting the request head per
 * connection, the size limit, allowHalfOpen, the 'end' and 'error' handlers. Then fill in the
 * functions below and call them from the connection handler.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream';

const port = Number(process.env.PORT ?? 9000);
// path.resolve makes it absolute, which is what you need to compare paths safely (TODO 3).
const root = path.resolve(process.env.STATIC_DIR ?? 'static');

const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  // TODO 1: collect the head as in stage 2; when it is complete, take its first line (the request
  //         line) and split it on ' '. Exactly three parts — method, target, version — or answer
  //         400 Bad Request. Anything but GET or HEAD: 405 Method Not Allowed with an
  //         "Allow: GET, HEAD" header.

  // From stage 1: a client that resets must not take the whole server down.
  socket.on('error', (err) => console.error(`client error: ${err.message}`));

  // For now the server hangs up at once, so the grader can tell you what is missing.
  // Delete this line when you answer requests.
  socket.end();
});

/**
 * TODO 2 and 3: turn a request-target such as "/docs/notes%20and%20tips.txt?v=2" into a file path
 * inside `root` — or into a status code when there is none (400 for a bad escape, 403 outside).
 *   - cut off the query string ("?…") and fragment ("#…")
 *   - decode percent-escapes once: decodeURIComponent (it throws on "%zz": catch that)
 *   - a path ending in "/" means that folder's index.html
 *   - SAFETY: "/../../etc/passwd" must never leave `root`, however it is spelled (%2e%2e, %2f, …).
 *     Build the path with path.join(root, decoded), then check the result really is inside:
 *     file === root || file.startsWith(root + path.sep)
 */
function resolveTarget(target: string): string | number {
  return 404;
}

/**
 * TODO 4: the Content-Type for a file, from its extension (path.extname): at least .html .css .js
 * .json .txt .svg .png .jpg .jpeg .gif .ico — and application/octet-stream for anything else.
 */
function contentType(file: string): string {
  return 'application/octet-stream';
}

/**
 * TODO 5: send a file. Open it (fs.open), ask the open file for its size (handle.stat()) and check
 * it is a regular file; write the head — HTTP/1.1 200 OK, Content-Type, Content-Length (bytes) —
 * then stream the body: pipeline(handle.createReadStream(), socket, callback) sends it chunk by
 * chunk, waits when the client is slow, and ends the socket after the last byte.
 * For HEAD, send the same head and no body. If the file can't be opened: 404 Not Found, with the
 * bytes of error.html from `root` as the body.
 */
async function sendFile(socket: net.Socket, file: string, headOnly: boolean): Promise<void> {
  // fs.open, handle.stat(), socket.write(head), pipeline(handle.createReadStream(), socket, …)
}

server.listen(port, () => {
  console.log(`serving ${root} on http://127.0.0.1:${port}/`);
});
