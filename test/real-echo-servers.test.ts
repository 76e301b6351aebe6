/**
 * Real third-party echo servers must pass stage 1 through --cmd: the grader judges behaviour on the
 * wire, not the language or library a server is written in.
 */
import { describe, expect, it } from 'vitest';
import { explainFailures, grade, has } from './helpers.ts';

describe('real echo servers', () => {
  const socat = has('socat');
  if (!socat) console.warn('SKIPPED: socat is not installed (apt-get install socat); .ci/run installs it');

  it.skipIf(!socat)('socat TCP-LISTEN:{port},reuseaddr,fork,backlog=128 EXEC:cat passes every check of stage 1', async () => {
    for (const seed of [1, 2, 3]) {
      const result = await grade(1, { kind: 'shell', command: 'socat TCP-LISTEN:{port},reuseaddr,fork,backlog=128 EXEC:cat' }, seed);
      expect(result.passed, explainFailures(result)).toBe(true);
    }
  });

  it('python3 echo through --cmd passes too (any language)', async () => {
    const py = `
import os, socket, threading
def serve(c):
    with c:
        while True:
            data = c.recv(65536)
            if not data:
                break
            c.sendall(data)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(os.environ["PORT"])))
s.listen(64)
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
`;
    const result = await grade(1, { kind: 'shell', command: `python3 -c '${py}'` }, 4);
    expect(result.passed, explainFailures(result)).toBe(true);
  });
});

describe('ports', () => {
  it('when the free port turns out to be taken (EADDRINUSE), the grader retries on another', async () => {
    // get-port cannot reserve a port across processes, so another program may grab it first. This
    // server fails that way on its first start only.
    const mark = `/tmp/socklab-eaddrinuse-${process.pid}-${Date.now()}`;
    const command =
      `if [ ! -e ${mark} ]; then touch ${mark}; echo "Error: listen EADDRINUSE: address already in use :::{port}" >&2; exit 1; fi; ` +
      `rm -f ${mark}; exec python3 -c 'import socket,os;s=socket.create_server(("127.0.0.1",int(os.environ["PORT"])));\nwhile True:\n c,_=s.accept();c.sendall(c.recv(99));c.close()'`;
    const result = await grade(1, { kind: 'shell', command }, 1, { only: ['1.1'] });
    expect(result.startError).toBeUndefined();
    expect(result.passed, explainFailures(result)).toBe(true);
  });
});
