/**
 * Stage 4 — message framing (model solution).
 *
 * TCP hands us a stream of bytes, not messages: one 'data' event may hold several frames, or a
 * piece of one, or the end of one frame and the start of the next. So each connection keeps the
 * bytes it has not used yet, and after every read takes out as many complete frames as it holds.
 *
 * A frame is a 4-byte unsigned big-endian length N, then exactly N payload bytes (N ≤ 1 MiB).
 * For each frame we send back a frame of the same length with the payload reversed.
 */
import net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const HEADER_BYTES = 4;
const MAX_PAYLOAD = 1024 * 1024;

function encodeFrame(payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(payload.length); // big-endian: the most significant byte goes first
  return Buffer.concat([header, payload]);
}

const server = net.createServer((socket) => {
  // Bytes received on this connection and not yet part of a complete frame. One per connection:
  // a buffer shared by all clients would splice one client's bytes into another's frame.
  let pending: Buffer = Buffer.alloc(0);

  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);

    // A loop, not an `if`: one read can carry many frames ("sticky packets").
    while (pending.length >= HEADER_BYTES) {
      const length = pending.readUInt32BE(0);
      if (length > MAX_PAYLOAD) {
        // Refuse as soon as the header is in. Waiting for (and buffering) a payload we will never
        // accept is how one client runs a server out of memory.
        socket.pause(); // read nothing more from this client
        socket.destroySoon(); // send the replies already written, then close
        return;
      }
      // Only part of the frame is here ("split packet"): keep it and wait for the next read.
      if (pending.length < HEADER_BYTES + length) break;

      const payload = pending.subarray(HEADER_BYTES, HEADER_BYTES + length);
      pending = pending.subarray(HEADER_BYTES + length);
      const reply = encodeFrame(Buffer.from(payload).reverse()); // copy, then reverse the copy

      // write() returns false when the client is not reading its replies fast enough. Stop reading
      // its requests until the replies drain, or a client that never reads could fill our memory.
      if (!socket.write(reply)) socket.pause();
    }
  });
  socket.on('drain', () => socket.resume());

  // When the client half-closes, Node ends our side too (allowHalfOpen is false by default), after
  // the replies already written. Bytes of an incomplete last frame are simply left in `pending`.

  socket.on('error', (err) => {
    console.error(`client ${socket.remoteAddress}:${socket.remotePort}: ${err.message}`);
  });
});

server.listen(port, () => {
  console.log(`framing server listening on port ${port}`);
});
