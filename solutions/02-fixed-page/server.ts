/**
 * Stage 2 — a fixed page over HTTP (model solution).
 *
 * Every request gets index.html from the document root. The HTTP is small; the lesson is in the
 * reading: a request head may arrive in any number of pieces, so we collect bytes per connection
 * until the empty line that ends the head, and only then answer.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const port = Number(process.env.PORT ?? 9000);
const root = process.env.STATIC_DIR ?? 'static';

/** Most bytes a request head may take. Without a cap, one client could make us buffer forever. */
const MAX_HEAD = 16 * 1024;
const END_OF_HEAD = Buffer.from('\r\n\r\n');

// allowHalfOpen: a client may send its request and then its FIN at once (socket.end(request) does).
// By default Node would end our side too as soon as that FIN arrives — before the file is read.
// With it, we decide when to close: after the response.
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  // This connection's bytes so far. Declared inside the handler: every client gets its own.
  let received = Buffer.alloc(0);
  let answered = false;

  socket.on('data', (chunk) => {
    if (answered) return; // one request per connection: we close after answering
    received = Buffer.concat([received, chunk]);
    if (received.includes(END_OF_HEAD)) {
      answered = true;
      sendPage(socket);
    } else if (received.length > MAX_HEAD) {
      answered = true;
      send(socket, '400 Bad Request', 'text/plain; charset=utf-8', Buffer.from('request head too large\n'));
    }
  });

  // The client is done sending. If it never sent a whole request (a browser's spare connection, a
  // port scanner), there is nothing to answer: close this one socket and carry on serving others.
  socket.on('end', () => {
    if (!answered) socket.end();
  });

  // A client that resets makes the socket emit 'error'; without a listener the whole server dies.
  socket.on('error', (err) => console.error(`client error: ${err.message}`));
});

function sendPage(socket: net.Socket): void {
  // Read the file for every request, so edits show up without a restart. No encoding argument:
  // we get a Buffer, the bytes exactly as on disk, and its length is what Content-Length counts.
  fs.readFile(path.join(root, 'index.html'), (err, page) => {
    if (err) {
      console.error(err.message);
      send(socket, '500 Internal Server Error', 'text/plain; charset=utf-8', Buffer.from('cannot read index.html\n'));
    } else {
      send(socket, '200 OK', 'text/html; charset=utf-8', page);
    }
  });
}

/** Status line, headers, the empty line, the body — then close (our FIN goes after the last byte). */
function send(socket: net.Socket, status: string, type: string, body: Buffer): void {
  const head =
    `HTTP/1.1 ${status}\r\n` +
    `Content-Type: ${type}\r\n` +
    `Content-Length: ${body.length}\r\n` + // bytes, not characters: 你好 is 6 bytes in UTF-8
    'Connection: close\r\n' +
    '\r\n';
  socket.end(Buffer.concat([Buffer.from(head), body]));
}

server.listen(port, () => {
  console.log(`serving ${path.resolve(root, 'index.html')} on http://127.0.0.1:${port}/`);
});
