// For `npm run bench`: a correct-looking echo server on a port of its own instead of PORT.
import net from 'node:net';
net.createServer((s) => s.pipe(s)).listen(9123);
