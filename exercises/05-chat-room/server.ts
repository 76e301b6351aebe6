/**
 * Stage 5 — a chat room over TCP. Read exercises/05-chat-room/README.md first.
 *
 * Run it:    PORT=9000 npx tsx exercises/05-chat-room/server.ts
 * Poke it:   nc 127.0.0.1 9000           (in two or three terminals: type a name, then chat)
 * Grade it:  npm run grade 5
 *
 * The protocol: UTF-8 text, one message per line, each line ending in "\n" (drop a "\r" before it).
 *   - A client's first line is its name: 1–20 letters or digits of any script, "_" or "-".
 *     Invalid or taken: send one line starting with "!" and close.
 *   - On joining, the newcomer gets  * in the room: bob, carol   (or  * in the room: (nobody) ),
 *     and every other member gets    * alice joined
 *   - Each later line goes to every other member as  [alice] text   (never back to alice;
 *     empty lines are dropped). When a member leaves, the others get  * alice left
 *   - A line over 4096 bytes: a "!" line, then disconnect. More than 1 MiB waiting for a member
 *     that does not read: disconnect it.
 */
import net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const MAX_LINE = 4096; // bytes before the "\n"
const MAX_QUEUED = 1024 * 1024; // bytes waiting for one member (socket.writableLength)
const VALID_NAME = /^[\p{L}\p{N}_-]{1,20}$/u; // the u flag makes {1,20} count characters

// TODO 1: the room. Keep the members somewhere every connection can see, in the order they
//         joined — a Map from name to socket remembers insertion order.

const server = net.createServer((socket) => {
  // TODO 2: a buffer for this connection (declared here, so every client has its own). Append
  //         each chunk in socket.on('data', …), then loop while it holds a "\n" (the byte 0x0a):
  //         cut the line off the front, drop a "\r" at its end, and only then decode it with
  //         line.toString('utf8') — a character may arrive split across two reads.

  // TODO 3: the first line is the name. Valid and free: send the newcomer the member list, tell
  //         everyone else "* name joined", add it to the room. Otherwise: socket.end('! …\n').

  // TODO 4: every later, non-empty line: "[name] text" to every member except the sender.

  // TODO 5: limits. A line with more than MAX_LINE bytes (even one whose "\n" has not come yet):
  //         "!" line, then leave. After each write to a member, if socket.writableLength > MAX_QUEUED,
  //         that member is not reading: socket.destroy() it.

  // TODO 6: leaving. socket.on('close', …) fires however a connection ends: remove the member and
  //         tell the others "* name left" (not for a client that never got a name). And
  //         socket.on('error', …), or one client's reset crashes the room for everyone.

  // For now the server hangs up right away, so the grader can tell you what is missing.
  // Delete this line once you handle names and lines.
  socket.end();
});

server.listen(port, () => {
  console.log(`chat room listening on port ${port}`);
});
