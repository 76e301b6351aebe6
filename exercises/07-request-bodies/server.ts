/**
 * Stage 7 — request bodies: PUT and POST. Read exercises/07-request-bodies/README.md first.
 *
 * Run it:    PORT=9000 npx tsx exercises/07-request-bodies/server.ts
 * Poke it:   curl -v -T README.md http://127.0.0.1:9000/uploads/readme.md
 *            curl -v --data 'name=%E5%BC%A0%E4%B8%89&city=Bei+Jing' http://127.0.0.1:9000/form
 * Grade it:  npm run grade 7
 *
 * This stage builds on your stage 6 server: the buffer per connection, the loop over heads, the
 * promise chain that answers in order, keep-alive. Start by replacing the STAND-IN below with your
 * exercises/06-keep-alive/server.ts (everything from its imports to server.listen). The helpers at
 * the bottom of this file are stubs for the new parts: fill them in, then TODOs 1–7, in that order.
 *
 *   PUT /uploads/<name>   body stored as STATIC_DIR/uploads/<name>: 201 + Location if new, 204 if replaced
 *   POST /form            application/x-www-form-urlencoded → 200, the fields as a JSON object
 *   no Content-Length 411 · not digits, or two that differ 400 + close · over 10 MiB 413 + close
 *   Transfer-Encoding 501 + close · Expect: 100-continue → "HTTP/1.1 100 Continue" before the body
 */
import net from 'node:net';
import path from 'node:path';

const port = Number(process.env.PORT ?? 9000);
const root = path.resolve(process.env.STATIC_DIR ?? 'static');
const uploads = path.join(root, 'uploads');

/** The largest body accepted: exactly 10 MiB is fine, one byte more is 413. */
const MAX_BODY = 10 * 1024 * 1024;

// TODO 1: uploads/ may not exist yet: create it when the server starts
//         (fs.mkdirSync(uploads, { recursive: true })).

// ── STAND-IN: replace from here to the end of the stand-in with your stage 6 server ─────────────
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  // Your stage 6 connection handling goes here. For now the server hangs up right away, so the
  // grader can tell you what is missing.
  socket.end();
});

server.listen(port, () => {
  console.log(`serving ${root} on http://127.0.0.1:${port}/ (uploads go to ${uploads}, at most ${MAX_BODY} bytes)`);
});
// ── end of the stand-in ──────────────────────────────────────────────────────────────────────────

// In your stage 6 server, a request with a body had its Content-Length bytes skipped. Now:
//
// TODO 2: decide from the head alone, before reading a byte of the body:
//         Transfer-Encoding present → 501, Connection: close, close.
//         contentLength(value) is 'invalid' → 400, Connection: close, close.
//         PUT or POST without Content-Length → 411 (no length means no body: the connection can stay).
//         Over MAX_BODY → 413, Connection: close, close — without reading the body.
//         PUT outside /uploads/, POST other than /form → 405; a bad name (uploadName() gives a
//         number) → 400; a form that is not application/x-www-form-urlencoded → 415. These may
//         keep the connection: skip their Content-Length bytes, as in stage 6.
//
// TODO 3: a body state per connection: how many bytes remain, and where they go. In your data
//         handler, while it is set, feed it bytes from the buffer (at most what remains) before
//         looking for the next head; what is left after the body is the next request.
//
// TODO 4: PUT: fs.createWriteStream(a temporary name in uploads/, e.g. ".upload-<n>.part"), write
//         each piece; if write() returns false, socket.pause() until the stream's 'drain'. When
//         the last byte is in: end() the stream, wait for 'finish', fs.stat the final name (does it
//         exist?), fs.rename the temporary file onto it, answer 201 Created with Location and a
//         Content-Length, or 204 No Content (no body) — in its turn in your promise chain.
//
// TODO 5: POST /form: collect the body, parseForm() it (400 if that fails), answer 200 with
//         Content-Type: application/json; charset=utf-8 and formJson(fields).
//
// TODO 6: Expect: 100-continue (case-insensitive, HTTP/1.1 only). Accepting the body: write
//         "HTTP/1.1 100 Continue\r\n\r\n" in the request's turn, then read the body as usual.
//         Refusing it: the final status at once, with Connection: close, then close.
//
// TODO 7: the client leaves mid-body (socket 'close' or 'end' while bytes are still expected):
//         destroy the file stream and delete the temporary file. Nothing else changes.

/**
 * The body length a Content-Length value says (undefined: no Content-Length). A stub: too trusting.
 * Make it take digits only, after trimming spaces (/^\d+$/), and treat "5, 5" (one value, repeated)
 * as 5 but "5, 7" as 'invalid'. Numbers of more than 15 digits: Infinity (over any limit).
 */
function contentLength(value: string | undefined): number | undefined | 'invalid' {
  if (value === undefined) return undefined;
  const n = Number(value); // Number("") is 0, Number("0x10") is 16, Number(" +5 ") is 5…
  return Number.isNaN(n) ? 'invalid' : n;
}

/**
 * The file name a PUT /uploads/<name> names, or 400. A stub: neither decoded nor checked. Make it
 * decode the part after /uploads/ (decodeURIComponent, 400 if it throws) and refuse "", ".", "..",
 * and anything with "/" or "\0". Leave "+" alone: in a path it is a plus.
 */
function uploadName(target: string): string | number {
  return target.split('?', 1)[0]!.slice('/uploads/'.length);
}

/**
 * The fields of an application/x-www-form-urlencoded body, or undefined if it cannot be decoded
 * (then answer 400). A stub. Split on "&" (skip empty pairs), each pair on its first "=", turn "+"
 * into a space, then decodeURIComponent each part. A repeated name keeps its first place and takes
 * the last value: Map.set does exactly that.
 */
function parseForm(body: Buffer): Map<string, string> | undefined {
  void body;
  return new Map();
}

/** The fields as a JSON object, in order. A stub: almost right — see the README about names like "2". */
function formJson(fields: Map<string, string>): string {
  return JSON.stringify(Object.fromEntries(fields));
}
