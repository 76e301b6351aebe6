/**
 * Stage 5 — a chat room over TCP (model solution).
 *
 * Every message is one line of UTF-8 text ending in "\n". TCP delivers a byte stream, so each
 * connection keeps the bytes it has not used yet and, after every read, takes out every complete
 * line. A client's first line is its name; each later line goes to every other member as
 * "[name] text". Joins and leaves are announced as "* name joined" / "* name left".
 */
import net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
/** The most bytes a line may have before its "\n". */
const MAX_LINE = 4096;
/** The most bytes that may wait for one member before we give up on it. */
const MAX_QUEUED = 1024 * 1024;
/** 1–20 letters or digits of any script, "_" or "-". The u flag makes {1,20} count characters. */
const VALID_NAME = /^[\p{L}\p{N}_-]{1,20}$/u;

/** Who is in the room, name → socket. A Map remembers insertion order: that is the join order. */
const members = new Map<string, net.Socket>();

/** Sends a line to every member except `except`. */
function broadcast(line: string, except?: net.Socket): void {
  const bytes = Buffer.from(line + '\n');
  for (const socket of members.values()) {
    if (socket === except || socket.destroyed) continue; // destroyed: its 'close' is on the way
    // write() never blocks: what the kernel cannot take yet waits in this process, and
    // writableLength says how much. A member who stops reading would make it grow without end and
    // hold our memory hostage, so past 1 MiB we let that member go. Nobody else waits for it.
    socket.write(bytes);
    if (socket.writableLength > MAX_QUEUED) socket.destroy(); // 'close' announces the leave
  }
}

const server = net.createServer((socket) => {
  // This connection's state. Everything per client lives here, never at module level: a buffer
  // shared by all clients would splice one client's half line into another's.
  let pending: Buffer = Buffer.alloc(0); // bytes received, not yet a complete line
  let name: string | undefined; // set once the first line was a valid, free name
  let done = false; // refused or leaving: read nothing more

  function leave(): void {
    done = true;
    if (name === undefined || members.get(name) !== socket) return; // never joined, or already gone
    members.delete(name);
    broadcast(`* ${name} left`);
  }

  /** Says why in one "!" line, then closes. A member who is refused leaves the room. */
  function refuse(reason: string): void {
    leave();
    socket.end(`! ${reason}\n`); // end(), not destroy(): the "!" line still goes out first
  }

  function handleLine(text: string): void {
    if (name === undefined) {
      if (!VALID_NAME.test(text)) return refuse('a name is 1-20 letters, digits, _ or -');
      if (members.has(text)) return refuse(`the name ${text} is taken`);
      const present = [...members.keys()];
      socket.write(`* in the room: ${present.length > 0 ? present.join(', ') : '(nobody)'}\n`);
      broadcast(`* ${text} joined`);
      name = text;
      members.set(name, socket);
      return;
    }
    if (text === '') return; // empty lines are dropped
    broadcast(`[${name}] ${text}`, socket);
  }

  socket.on('data', (chunk: Buffer) => {
    if (done) return;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    // A loop, not an `if`: one read may carry many lines ("sticky packets").
    for (let end = pending.indexOf(NEWLINE); end >= 0 && !done; end = pending.indexOf(NEWLINE)) {
      if (end > MAX_LINE) return refuse(`a line may have at most ${MAX_LINE} bytes`);
      let line = pending.subarray(0, end);
      pending = pending.subarray(end + 1);
      if (line[line.length - 1] === CARRIAGE_RETURN) line = line.subarray(0, -1);
      // Decode only now: the line is complete, so no character can be cut in half. (chunk.toString()
      // on each read would mangle a character whose bytes arrived in two reads.)
      handleLine(line.toString('utf8'));
    }
    // No "\n" in more than MAX_LINE bytes: this line is too long already, whatever follows.
    // Waiting for its end would let one client fill our memory.
    if (!done && pending.length > MAX_LINE) refuse(`a line may have at most ${MAX_LINE} bytes`);
  });

  // 'close' comes however the connection ends: the client's FIN (Node then ends our side too), a
  // reset, or our own destroy(). An unfinished last line in `pending` is simply dropped.
  socket.on('close', leave);
  // A reset, or writing to a client that is gone, emits 'error'; unhandled, it would crash the
  // whole room. 'close' follows it, so there is nothing else to do here.
  socket.on('error', () => {});
});

server.listen(port, () => {
  console.log(`chat room listening on port ${port}`);
});
