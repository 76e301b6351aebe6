/**
 * The "Try it" client lines (grader/wire/reproduce.ts) run in any POSIX shell with nothing but Node:
 * pasted through sh -c (and bash, zsh when installed), they send exactly the bytes, half-close, and
 * print what came back — text as text, anything else as escaped bytes.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeClient, nodeCommand } from '../grader/wire/reproduce.ts';
import { repoRoot } from './helpers.ts';

/** sh always; bash and zsh where installed (each once, though /bin may be a link to /usr/bin). */
const SHELLS = ['/bin/sh', ...new Set(['/bin/bash', '/usr/bin/bash', '/bin/zsh', '/usr/bin/zsh'].filter((s) => existsSync(s)).map((s) => realpathSync(s)))];

/**
 * An echo server that remembers what each connection sent; it closes when the client does, or after
 * a second of silence (the README's lines that keep their side open wait for the server to close).
 */
let server: net.Server;
let port = 0;
const received: Buffer[] = [];

beforeAll(async () => {
  server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.setTimeout(1000, () => s.destroy());
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => {
      got.push(d);
      s.write(d);
    });
    s.on('end', () => {
      received.push(Buffer.concat(got));
      s.end();
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Runs a pasted command with port 9000 swapped for ours; stdout as raw bytes. */
function paste(shell: string, command: string): Promise<{ stdout: Buffer; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(shell, ['-c', command.replace('connect(9000,', `connect(${port},`)], { encoding: 'buffer', timeout: 15_000 }, (err, stdout, stderr) =>
      resolve({ stdout, stderr: stderr.toString(), code: err ? ((err as { code?: number }).code ?? -1) : 0 }),
    );
  });
}

/** What the client prints, turned back into bytes (its escapes undone). */
const unescape = (printed: Buffer): Buffer =>
  Buffer.from(printed.toString('latin1').replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');

const CASES: [string, Buffer][] = [
  ['a line of text', Buffer.from('hello, socklab\n')],
  ['an HTTP request with quotes, backslashes, $, backticks, ! and %', Buffer.from('GET /it\'s%20"a"\\b HTTP/1.1\r\nX-Y: $HOME `ls` !! %s\r\n\r\n')],
  ['control bytes and DEL below 0x80', Buffer.from([0, 0, 0, 3, 0x63, 0x62, 0x61, 0x7f, 0x1b, 0x5c])],
  ['every byte value', Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 167) % 256))],
  ['UTF-8 text', Buffer.from('你好，socklab\n')],
];

describe('the node client line', () => {
  it('has no single quote inside its quotes, no ! and no \\\\, whatever the bytes', () => {
    for (const [, bytes] of CASES) {
      const cmd = nodeClient([bytes]);
      expect(cmd).toMatch(/^node -e '[^']*'$/);
      expect(cmd).not.toContain('!');
      expect(cmd).not.toContain('\\\\');
    }
  });

  for (const shell of SHELLS) {
    for (const [name, bytes] of CASES) {
      it(`${shell}: ${name} — sent exactly, FIN after, the echo printed`, async () => {
        const before = received.length;
        const r = await paste(shell, nodeClient([bytes]));
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        // The server saw the client's FIN (it records on 'end') after exactly these bytes.
        expect(received.slice(before)).toContainEqual(bytes);
        const text = bytes.toString();
        const printable = Buffer.from(text).equals(bytes) && !/[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text);
        if (printable) expect(r.stdout.equals(bytes)).toBe(true);
        else {
          expect(r.stdout.toString('latin1')).toMatch(/^[ -~]*$/); // escaped: nothing raw reaches the terminal
          expect(unescape(r.stdout).equals(bytes)).toBe(true);
        }
      });
    }
  }

  it('sends several writes in order, and can leave the sending side open', async () => {
    const parts = [Buffer.from('GET / HT'), Buffer.from('TP/1.1\r\n'), Buffer.from([0xff, 0x00])];
    const before = received.length;
    const r = await paste('/bin/sh', nodeClient(parts, 30));
    expect(r.code).toBe(0);
    expect(received.slice(before)).toContainEqual(Buffer.concat(parts));

    // No FIN: a server that answers and closes by itself ends the command.
    const closer = net.createServer((s) => s.once('data', (d: Buffer) => s.end(`got ${d.length}\n`)));
    await new Promise<void>((res) => closer.listen(0, '127.0.0.1', res));
    try {
      const cmd = nodeCommand(['"GET /"+"a".repeat(1000)'], { halfClose: false });
      expect(cmd).toMatch(/s\.write\("GET \/"\+"a"\.repeat\(1000\)\)/);
      const out = await paste('/bin/sh', cmd.replace('connect(9000,', `connect(${(closer.address() as net.AddressInfo).port},`));
      expect(out.stdout.toString()).toMatch(/^got \d+\n$/);
    } finally {
      closer.close();
    }
  });
});

/** The kit's READMEs, every language. */
const READMES = [
  ...readdirSync(repoRoot).filter((f) => /^README.*\.md$/.test(f)),
  ...readdirSync(path.join(repoRoot, 'exercises')).flatMap((ex) =>
    readdirSync(path.join(repoRoot, 'exercises', ex)).filter((f) => /^README.*\.md$/.test(f)).map((f) => path.join('exercises', ex, f)),
  ),
];

describe('the READMEs\' commands for talking to a server by hand', () => {
  it('use no nc option that only one netcat has', () => {
    expect(READMES.length).toBeGreaterThan(10);
    for (const f of READMES) expect(readFileSync(path.join(repoRoot, f), 'utf8'), f).not.toMatch(/\bnc -N\b|\| *nc\b/);
  });

  it('node one-liners run as pasted, in every edition', async () => {
    const lines = READMES.flatMap((f) =>
      [...readFileSync(path.join(repoRoot, f), 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
        // One-liners only: the longer programs (stage 5's) are there to be read and adapted.
        m[1]!.split('\n').filter((l) => /^node -e '[^']+'( .*)?$/.test(l)).map((l) => ({ f, command: l.replace(/\s+#.*$/, '') })),
      ),
    );
    expect(lines.length).toBeGreaterThanOrEqual(20); // 2 + 3 + 1 + 3 commands, three editions each
    for (const { f, command } of new Map(lines.map((l) => [l.command, l])).values()) {
      const r = await paste('/bin/sh', command);
      expect(r.stderr, `${f}: ${command}`).toBe('');
      expect(r.code, `${f}: ${command}`).toBe(0);
      expect(r.stdout.length, `${f}: ${command} printed nothing`).toBeGreaterThan(0);
    }
  }, 60_000);
});
