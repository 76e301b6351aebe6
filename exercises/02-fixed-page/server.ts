/**
 * Stage 2 — a fixed page over HTTP. Read exercises/02-fixed-page/README.md first.
 *
 * Run it:    PORT=9000 npx tsx exercises/02-fixed-page/server.ts
 * Poke it:   curl -v http://127.0.0.1:9000/
 *            node -e 'const s=require("net").connect(9000,"127.0.0.1",()=>s.end("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));s.pipe(process.stdout)'
 * Grade it:  npm run grade 2
 */
import fs from 'node:fs'; // fs.readFile, for TODO 2
import net from 'node:net';
import path from 'node:path';

const port = Number(process.env.PORT ?? 9000);
// The folder to serve. The grader makes a new one with random files for every run and passes it in
// STATIC_DIR; when you run the server yourself, it is the kit's static/ folder.
const root = process.env.STATIC_DIR ?? 'static';

// allowHalfOpen: true lets a client send its request and then its FIN (socket.end(request) does that)
// and still get the answer: Node won't end your side of the socket for you. You end it yourself.
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  // This runs once per client. Anything you declare here belongs to this one connection.

  // TODO 1: collect the request. A 'data' event gives you *some* bytes — maybe the whole request,
  //         maybe one byte of it. Append each chunk to a Buffer for this connection
  //         (Buffer.concat) until it contains "\r\n\r\n": the empty line that ends the head.
  //         Give up with "400 Bad Request" if it grows past a limit (say 16 KiB) without one.

  // TODO 2: answer. Read index.html from `root` for every request (fs.readFile without an
  //         encoding gives you a Buffer) and write:
  //             HTTP/1.1 200 OK\r\n
  //             Content-Type: text/html; charset=utf-8\r\n
  //             Content-Length: <size of the body in BYTES>\r\n
  //             \r\n
  //             <the bytes of index.html>
  //         then close with socket.end().

  // TODO 3: stay up. A client may connect and leave without sending anything ('end' with an empty
  //         buffer: just end that socket), or reset the connection ('error': listen for it).

  // For now the server hangs up at once, so the grader can tell you what is missing.
  // Delete this line when you answer requests.
  socket.end();
});

server.listen(port, () => {
  console.log(`serving ${path.resolve(root, 'index.html')} on http://127.0.0.1:${port}/`);
});
