/**
 * Stage 1 — a TCP echo server (model solution).
 *
 * Every byte a client sends comes straight back on the same connection. Node's event loop serves
 * every client at once: each socket has its own handlers, so no client waits for another.
 */
import net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const server = net.createServer((socket) => {
  // pipe() echoes each chunk as it arrives and handles backpressure for us: when the client reads
  // slowly and write() reports a full buffer, pipe pauses reading until the buffer drains.
  // When the client half-closes (FIN), pipe ends our side after the last byte: the four-way close.
  socket.pipe(socket);

  // A client that resets the connection makes the socket emit 'error' (ECONNRESET, EPIPE). Without
  // a listener, that error would crash the whole server; with one, only this connection ends.
  socket.on('error', (err) => {
    console.error(`client ${socket.remoteAddress}:${socket.remotePort}: ${err.message}`);
  });
});

server.listen(port, () => {
  console.log(`echo server listening on port ${port}`);
});
