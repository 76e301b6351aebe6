// A fully hung server for `npm run bench`: it listens, then its event loop is stuck, so connections
// wait in the kernel's backlog and nobody ever accepts them.
import net from 'node:net';
net.createServer().listen(Number(process.env.PORT), () => {
  for (;;);
});
