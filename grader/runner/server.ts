/**
 * Starting a server under test and tearing it down. Any program can be a server: a learner's
 * TypeScript file (run as one process with `node --import tsx`) or a shell command (`--cmd`).
 * Each runs in its own process group and, where bubblewrap works, its own pid namespace, so
 * teardown reaches every process it spawned (contain.ts says how, and what happens without).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import getPort from 'get-port';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { t, type Text } from '../i18n.ts';
import { pidNamespacePrefix, runsInPidNamespace, signalFromStatus, withShellWatchdog } from './contain.ts';
import { limitsPrefix, type ServerLimits } from './limits.ts';
import { listenerIsForeign, listeningHost, portsListenedByGroup, stopTree, track, untrack } from './processes.ts';

export type ServerCommand =
  /** A TypeScript (or JavaScript) file run with node and tsx. */
  | { kind: 'file'; file: string }
  /** Any shell command; `{port}` and `{root}` are substituted. */
  | { kind: 'shell'; command: string };

export interface StartOptions {
  /** The document root the grader prepared; passed as env STATIC_DIR and `{root}`. */
  root: string;
  cwd?: string;
  env?: Record<string, string>;
  /** How long the server may take to start listening (default 5 s). */
  listenTimeoutMs?: number;
  /** Ports to try when the server exits with EADDRINUSE (get-port cannot reserve across processes). */
  attempts?: number;
  /**
   * Wrap the command (e.g. a sandbox): gets argv and what it runs with, returns argv. Without it the
   * server runs in a pid namespace of its own where bubblewrap works.
   */
  wrap?: (argv: string[], context: { root: string; port: number }) => string[];
}

/** The test suite's marker (see test/helpers.ts): passed on so its leak checks find every process. */
export const TEST_TAG = 'SOCKLAB_TEST_TAG';

/** The grader's own environment for a server: everything but the kit's internal SOCKLAB_* variables. */
export function learnerEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('SOCKLAB_') || k === TEST_TAG));
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

export type StartFailureKind = 'compile-error' | 'exited' | 'never-listened' | 'port-in-use' | 'spawn-failed';

export class ServerStartError extends Error {
  constructor(
    readonly kind: StartFailureKind,
    readonly text: Text,
    readonly output: string,
  ) {
    super(text.en);
    this.name = 'ServerStartError';
  }
}

const tsxLoader = import.meta.resolve('tsx');
const watchdog = new URL('./watchdog.mjs', import.meta.url).href;

/** Keeps the last `max` characters of a stream, so a chatty server never costs unbounded memory. */
class Tail {
  private text = '';
  constructor(private readonly max = 16 * 1024) {}
  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > this.max) this.text = this.text.slice(-this.max);
  }
  get value(): string {
    return this.text;
  }
}

export class RunningServer {
  exitInfo: ExitInfo | undefined;
  /** When the exit was noticed (Date.now()), to tell what a client did before it from what came after. */
  exitedAt: number | undefined;
  /** The resource limits it runs under (limits.ts). */
  limits: ServerLimits | undefined;
  readonly exited: Promise<ExitInfo>;
  private stopping = false;

  constructor(
    private readonly child: ChildProcess,
    readonly pgid: number,
    readonly port: number,
    public host: string,
    private readonly output: Tail,
    readonly startedInMs: number,
    /** Run under bubblewrap or the shell watchdog, which report a death by signal N as 128 + N. */
    wrapped = false,
  ) {
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        const relayed = wrapped && !signal ? signalFromStatus(code) : undefined;
        this.exitInfo = relayed ? { code: null, signal: relayed } : { code, signal };
        this.exitedAt = Date.now();
        resolve(this.exitInfo);
      });
    });
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** Whether this exit was our own teardown rather than something the server did. */
  get stoppedByGrader(): boolean {
    return this.stopping;
  }

  /** The last lines the server wrote to stdout and stderr, without Node's internal stack frames. */
  outputTail(lines = 12): string {
    return tailLines(stripNodeInternals(this.output.value), lines);
  }

  /**
   * SIGTERM to the whole group, SIGKILL to everything of the server after a short grace, and wait
   * (bounded) until it is gone.
   */
  async stop(graceMs = 300): Promise<void> {
    this.stopping = true;
    await stopTree(this.pgid, graceMs);
    await Promise.race([this.exited, sleep(1000, undefined, { ref: false })]);
    untrack(this.pgid);
    // A process we could not find may still hold the other ends of these pipes; reading on would
    // keep the grader from exiting after it printed its result.
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }
}

export function tailLines(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function substitute(command: string, port: number, root: string): string {
  return command.replaceAll('{port}', String(port)).replaceAll('{root}', root);
}

function argvFor(cmd: ServerCommand, port: number, root: string): string[] {
  if (cmd.kind === 'file') return [process.execPath, '--import', tsxLoader, '--import', watchdog, cmd.file];
  return ['/bin/sh', '-c', substitute(cmd.command, port, root)];
}

/** How long a server may listen on other ports only before the grader says it ignores PORT. */
const WRONG_PORT_MS = 400;

/** One attempt on one port. Resolves when listening; throws ServerStartError otherwise. */
async function startOnce(cmd: ServerCommand, port: number, opts: StartOptions): Promise<RunningServer> {
  const started = Date.now();
  const limited = limitsPrefix();
  let argv = [...limited.prefix, ...argvFor(cmd, port, opts.root)];
  let wrapped = false;
  let lifeline = cmd.kind === 'file'; // watchdog.mjs reads stdin
  if (opts.wrap) {
    argv = opts.wrap(argv, { root: opts.root, port });
    wrapped = runsInPidNamespace(argv);
  } else {
    const pidns = pidNamespacePrefix();
    if (pidns) argv = [...pidns, ...argv];
    // Without a pid namespace, a shell server gets a stdin lifeline like the .ts servers have.
    else if (cmd.kind === 'shell') argv = withShellWatchdog(argv);
    wrapped = Boolean(pidns) || cmd.kind === 'shell';
    lifeline ||= !pidns;
  }
  const contained = runsInPidNamespace(argv);
  const output = new Tail();
  // node:child_process rather than execa here: this is the one process the grader must start on
  // every run, and importing execa costs ~130 ms of the grader's ~350 ms start-up; all we need is a
  // detached spawn with pipes, which spawn() does directly.
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    // The grader's own environment (a class worker's is already the allowlist) without SOCKLAB_* internals.
    env: { ...learnerEnv(), ...opts.env, PORT: String(port), STATIC_DIR: opts.root, FORCE_COLOR: '0', NODE_NO_WARNINGS: '1' },
    detached: true, // own process group: teardown kills the group
    stdio: [lifeline ? 'pipe' : 'ignore', 'pipe', 'pipe'], // stdin is the watchdogs' lifeline (watchdog.mjs, the shell one)
  });
  child.stdout!.on('data', (c: Buffer) => output.push(c));
  child.stderr!.on('data', (c: Buffer) => output.push(c));
  child.stdin?.on('error', () => {}); // the server exiting closes the pipe; that is not news
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new ServerStartError('spawn-failed', t(`could not start ${argv[0]}: ${err.message}`, `无法启动 ${argv[0]}：${err.message}`), '');
  }
  child.on('error', () => {}); // e.g. a signal sent after exit; the 'exit' event tells us what we need
  track(pid, { port, contained, root: opts.root });
  const server = new RunningServer(child, pid, port, '127.0.0.1', output, 0, wrapped);
  server.limits = limited.limits;
  const bound = opts.listenTimeoutMs ?? 5000;
  const deadline = started + bound;
  // A server that listens on a port of its own (9000 written into the code) is told so at once,
  // not after the whole bound: once it has listened elsewhere, and not on PORT, for WRONG_PORT_MS.
  let elsewhereSince: number | undefined;
  let lastLook = 0;
  for (;;) {
    if (!server.alive) {
      // Let the last of stderr arrive before we read it.
      await sleep(20);
      await server.stop();
      throw explainEarlyExit(server, cmd, port);
    }
    const host = await whereListening(port);
    // Listening, but not our server: another grading's, on the same port. Ours will find the port
    // taken and exit (then we try another port); until then, nothing here is ours to talk to.
    if (host && !listenerIsForeign(port, pid, opts.root)) {
      server.host = host;
      (server as { startedInMs: number }).startedInMs = Date.now() - started;
      return server;
    }
    if (Date.now() - lastLook >= 100) {
      lastLook = Date.now();
      const elsewhere = portsListenedByGroup(pid).filter((p) => p !== port);
      elsewhereSince = elsewhere.length > 0 ? (elsewhereSince ?? Date.now()) : undefined;
    }
    const wrongPort = elsewhereSince !== undefined && Date.now() - elsewhereSince >= WRONG_PORT_MS;
    if (Date.now() > deadline || wrongPort) {
      const elsewhere = portsListenedByGroup(pid).filter((p) => p !== port);
      await server.stop();
      const tail = server.outputTail();
      if (elsewhere.length > 0) {
        const on = elsewhere.join(', ');
        throw new ServerStartError(
          'never-listened',
          t(
            `your server is listening on port ${on}, but the grader gave it PORT=${port} — listen on Number(process.env.PORT) instead of a fixed port`,
            `你的服务器在监听端口 ${on}，但评测器给的是 PORT=${port}——请用 Number(process.env.PORT) 而不是写死端口`,
          ),
          tail,
        );
      }
      throw new ServerStartError(
        'never-listened',
        t(
          `did not start listening on port ${port} within ${bound / 1000} s — does it read process.env.PORT and call server.listen()?`,
          `${bound / 1000} 秒内没有在端口 ${port} 上开始监听——它读取 process.env.PORT 并调用 server.listen() 了吗？`,
        ),
        tail,
      );
    }
    await sleep(10);
  }
}

/** Where a port is listening on loopback: from /proc on Linux (no connection needed), else by connecting. */
async function whereListening(port: number): Promise<string | undefined> {
  const host = listeningHost(port);
  if (host !== null) return host;
  for (const h of ['127.0.0.1', '::1']) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: h, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return h;
  }
  return undefined;
}

function explainEarlyExit(server: RunningServer, cmd: ServerCommand, port: number): ServerStartError {
  const out = server.outputTail(40);
  const exit = server.exitInfo!;
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const howZh = exit.signal ? `被信号 ${exit.signal} 终止` : `退出，退出码 ${exit.code}`;
  if (/EADDRINUSE|address already in use/i.test(out)) {
    const m = /address already in use\s+(?:\S*:)?(\d+)/i.exec(out);
    const used = m ? Number(m[1]) : port;
    return new ServerStartError(
      'port-in-use',
      used === port
        ? t(`port ${port} was already in use`, `端口 ${port} 已被占用`)
        : t(
            `your server tried to listen on port ${used}, which is already in use — listen on Number(process.env.PORT) (the grader set PORT=${port})`,
            `你的服务器试图监听端口 ${used}，但它已被占用——请监听 Number(process.env.PORT)（评测器设置了 PORT=${port}）`,
          ),
      tailLines(out, 12),
    );
  }
  const compile = describeCompileError(out, cmd);
  if (compile) return new ServerStartError('compile-error', compile.text, compile.frame);
  const shown = tailLines(stripNodeInternals(out), 12);
  if (exit.code === 0 && !exit.signal) {
    return new ServerStartError(
      'exited',
      t(
        `your server finished (exit code 0) without ever listening — a server stays running once it calls server.listen(Number(process.env.PORT)); is that call missing, or is server.close() called right away?`,
        `你的服务器没有监听就结束了（退出码 0）——调用了 server.listen(Number(process.env.PORT)) 的服务器会一直运行；是不是漏了这个调用，或者一开始就调用了 server.close()？`,
      ),
      shown,
    );
  }
  const error = firstError(out);
  if (error) {
    const at = error.where ? ` (${error.where})` : '';
    return new ServerStartError(
      'exited',
      t(
        `your server ${how} before it started listening: ${error.line}${at} — fix that and run again; its output is below`,
        `你的服务器在开始监听之前就${howZh}：${error.line}${at}——修好它再运行一次；完整输出见下`,
      ),
      shown,
    );
  }
  // Node's exit code 13: the main module's top-level await never settled, and nothing else was
  // left to run (a promise nobody resolves, an await on an event that never comes).
  if (exit.code === 13 && !exit.signal && /unsettled top-level await|^\s*$/i.test(out)) {
    return new ServerStartError(
      'exited',
      t(
        'your server never started listening: a top-level await waited for something that never happened, and Node gave up (exit code 13, "unsettled top-level await") — call server.listen() without awaiting anything that does not finish',
        '你的服务器一直没有开始监听：顶层的 await 在等一件永远不会发生的事，Node 只好放弃（退出码 13，"unsettled top-level await"）——调用 server.listen()，不要 await 永远不会完成的东西',
      ),
      shown,
    );
  }
  return new ServerStartError(
    'exited',
    shown.trim()
      ? t(`your server ${how} before it started listening — its output is below`, `你的服务器在开始监听之前就${howZh}——输出见下`)
      : t(`your server ${how} before it started listening, and printed nothing`, `你的服务器在开始监听之前就${howZh}，而且什么都没有输出`),
    shown,
  );
}

/** The error line of an uncaught exception ("TypeError: …") and where in the learner's code it was thrown. */
function firstError(out: string): { line: string; where?: string } | undefined {
  const m = /^(?:Uncaught )?((?:[A-Z]\w*)?(?:Error|Exception)(?: \[[A-Z_]+\])?: .+)$/m.exec(out);
  if (!m) return undefined;
  const frame = out
    .slice(m.index)
    .split('\n')
    .map((l) => /^\s+at (?:.*\()?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?$/.exec(l))
    .find((f) => f && !/node_modules|node:internal/.test(f[1]!));
  const line = m[1]!.length > 160 ? m[1]!.slice(0, 159) + '…' : m[1]!;
  if (!frame) return { line };
  const file = frame[1]!.replace(/^file:\/\//, '');
  return { line, where: `${path.relative(process.cwd(), file) || file}:${frame[2]}:${frame[3]}` };
}

/** Node's stack lines inside node:internal are noise for a learner. */
export function stripNodeInternals(out: string): string {
  return out
    .split('\n')
    .filter((l) => !/^\s+at .*(node:internal|node_modules[\\/](tsx|esbuild))/.test(l) && !/triggerUncaughtException|^\s*\^\s*$/.test(l))
    .join('\n');
}

/**
 * Turns esbuild's "Transform failed" (what tsx prints for a syntax error) or a SyntaxError into
 * `file:line:col: message` plus the offending source line with a caret.
 */
function describeCompileError(out: string, cmd: ServerCommand): { text: Text; frame: string } | undefined {
  const m = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(out);
  if (m && /Transform failed/.test(out)) {
    const [, file, line, col, msg] = m;
    const rel = path.relative(process.cwd(), file!) || file!;
    return {
      text: t(`${rel}:${line}:${col}: ${msg} (TypeScript could not parse your file)`, `${rel}:${line}:${col}: ${msg}（TypeScript 无法解析你的文件）`),
      frame: codeFrame(file!, Number(line), Number(col)),
    };
  }
  const s = /^(\/.+?):(\d+)\n(.*)\n(\s*\^+)\s*\n+SyntaxError: (.+)$/m.exec(out);
  if (s) {
    const rel = path.relative(process.cwd(), s[1]!) || s[1]!;
    return {
      text: t(`${rel}:${s[2]}: SyntaxError: ${s[5]}`, `${rel}:${s[2]}：语法错误：${s[5]}`),
      frame: `${s[3]}\n${s[4]}`,
    };
  }
  if (cmd.kind === 'file' && /ERR_MODULE_NOT_FOUND|Cannot find module/.test(out)) {
    const nf = /Cannot find (?:module|package) '([^']+)'/.exec(out);
    const what = nf ? nf[1] : 'a module';
    return {
      text: t(`your server imports ${what}, which cannot be found — learner servers use only node: built-ins (e.g. 'node:net')`, `你的服务器导入了找不到的 ${what}——练习只使用 node: 内置模块（例如 'node:net'）`),
      frame: tailLines(stripNodeInternals(out), 6),
    };
  }
  return undefined;
}

function codeFrame(file: string, line: number, col: number): string {
  try {
    const src = readFileSync(file, 'utf8').split('\n');
    const text = src[line - 1] ?? '';
    const gutter = `${line} | `;
    return `${gutter}${text}\n${' '.repeat(gutter.length + col)}^`;
  } catch {
    return '';
  }
}

/**
 * Starts a server on a free port and resolves once it listens. Retries on another port when the
 * port turned out to be taken (get-port cannot reserve a port across processes).
 */
export async function startServer(cmd: ServerCommand, opts: StartOptions): Promise<RunningServer> {
  if (cmd.kind === 'file' && !existsSync(cmd.file)) {
    throw new ServerStartError('spawn-failed', t(`file not found: ${cmd.file}`, `找不到文件：${cmd.file}`), '');
  }
  const attempts = opts.attempts ?? 3;
  let last: ServerStartError | undefined;
  const tried: number[] = [];
  for (let i = 0; i < attempts; i++) {
    // 9000 is the port learners use by hand; never hand it out, so "listens on 9000" is diagnosable.
    const port = await getPort({ exclude: [9000, ...tried] });
    tried.push(port);
    try {
      return await startOnce(cmd, port, opts);
    } catch (err) {
      if (!(err instanceof ServerStartError)) throw err;
      last = err;
      // Only "our" port being taken is worth a retry; a hard-coded busy port fails the same way again.
      if (err.kind !== 'port-in-use' || !err.text.en.startsWith(`port ${port} `)) throw err;
    }
  }
  throw last!;
}
