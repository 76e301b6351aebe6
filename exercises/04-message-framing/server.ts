/**
 * Stage 4 — message framing. Read exercises/04-message-framing/README.md first.
 *
 * Run it:    PORT=9000 npx tsx exercises/04-message-framing/server.ts
 * Poke it:   node -e 'const s=require("net").connect(9000,"127.0.0.1",()=>s.end(Buffer.from([0,0,0,3,97,98,99])));s.on("data",d=>console.log(d))'
 *            (a working server answers 00000003 636261: the same length, "cba")
 * Grade it:  npm run grade 4
 *
 * The protocol: a frame is a 4-byte big-endian length N, then exactly N payload bytes (N ≤ 1 MiB).
 * For every frame, send back one frame of the same length with the payload reversed.
 */
import net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const HEADER_BYTES = 4;
const MAX_PAYLOAD = 1024 * 1024; // 1 MiB: a frame may be exactly this big, not one byte more

const server = net.createServer((socket) => {
  // TODO 1: a buffer for this connection. TCP gives you a stream of bytes: one 'data' event may
  //         hold part of a frame, one frame, or several. Keep the bytes you have not used yet in a
  //         variable declared here (inside the handler, so every client has its own), e.g.
  //           let pending = Buffer.alloc(0);
  //         and in socket.on('data', …) append each chunk: Buffer.concat([pending, chunk]).

  // TODO 2: take out every complete frame. After appending, loop (while, not if):
  //         - fewer than HEADER_BYTES bytes? Wait for the next 'data' event.
  //         - read the length N with pending.readUInt32BE(0) (big-endian!)
  //         - fewer than HEADER_BYTES + N bytes? Wait for the next 'data' event.
  //         - otherwise the payload is pending.subarray(HEADER_BYTES, HEADER_BYTES + N);
  //           answer it (TODO 3) and drop the frame from the front of `pending`.

  // TODO 3: the reply: a 4-byte header holding N (Buffer.alloc(4), then writeUInt32BE), followed
  //         by the payload reversed (Buffer.from(payload).reverse()). Write header and payload
  //         back as bytes — never convert them to strings.

  // TODO 4: the limit. As soon as you have read N, if N > MAX_PAYLOAD, don't wait for the payload:
  //         stop reading (socket.pause()) and close with socket.destroySoon(), which still sends
  //         the replies you already wrote. Only this connection closes; the server keeps running.

  // TODO 5: the rest of a good citizen. socket.on('error', …) so a rude client can't crash you;
  //         when write() returns false, socket.pause() until 'drain'. When the client half-closes,
  //         Node ends your side for you; an incomplete frame left in `pending` is simply dropped.

  // For now the server hangs up right away, so the grader can tell you what is missing.
  // Delete this line once you handle frames.
  socket.end();
});

server.listen(port, () => {
  console.log(`framing server listening on port ${port}`);
});
