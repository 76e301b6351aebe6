// A fully hung server for `npm run bench`: it accepts every connection and never answers (nor
// crashes when a client resets).
import net from 'node:net';
net.createServer((socket) => socket.on('error', () => {})).listen(Number(process.env.PORT));
