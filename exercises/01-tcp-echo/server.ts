/**
 * Stage 1 — TCP echo server. Read exercises/01-tcp-echo/README.md first.
 *
 * Run it:    PORT=9000 npx tsx exercises/01-tcp-echo/server.ts
 * Poke it:   nc 127.0.0.1 9000          (type a line; it should come back)
 * Grade it:  npm run grade 1
 */
import net from 'node:net';

// The grader picks a free port and passes it in the PORT environment variable.
const port = Number(process.env.PORT ?? 9000);

const server = net.createServer((socket) => {
  // This runs once for every client that connects. `socket` is that one client's connection:
  // a duplex stream of bytes — you read what the client sends and write what it should receive.
  console.log(`client connected from ${socket.remoteAddress}:${socket.remotePort}`);

  // TODO 1: echo. Listen for 'data' events; each gives you a Buffer with the bytes that arrived.
  //         Write that Buffer back to the same socket, unchanged (don't turn it into a string).

  // TODO 2: close properly. When the client half-closes its side, 'end' fires. Make sure
  //         everything has been sent, then close your side too (socket.end(), not destroy()).

  // TODO 3: survive rude clients. A client that resets its connection makes the socket emit
  //         'error'. An 'error' event nobody listens to crashes the whole server.

  // For now the server hangs up right away, so the grader can tell you what is missing.
  // Delete this line once you echo.
  socket.end();
});

server.listen(port, () => {
  console.log(`listening on port ${port}`);
});
