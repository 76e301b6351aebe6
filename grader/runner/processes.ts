/**
 * Everything the grader started, so that teardown — normal, on a crash, on Ctrl-C, when the grader's
 * parent goes away — ends every process a server spawned, not only the direct child (execa kills
 * only the direct child), and removes every temporary folder; and what a killed grader could not
 * remove is swept by the next one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pretendMissing } from './contain.ts';

interface Tracked {
  /** The port the server was given: whoever holds a listening socket on it is the server's. */
  port?: number;
  /** In its own pid namespace: killing the group's leader ends every process in it. */
  contained: boolean;
  /** Its document root (STATIC_DIR): a port holder started with another is another grading's server. */
  root?: string;
}

const live = new Map<number, Tracked>();

/** A server's process group (its leader's pid); `port` and `contained` sharpen what teardown looks for. */
export function track(pgid: number, info: Partial<Tracked> = {}): void {
  live.set(pgid, { contained: false, ...info });
}

export function untrack(pgid: number): void {
  live.delete(pgid);
}

const tempDirs = new Set<string>();

/**
 * Next to each temporary folder, a hidden `.<folder>.owner` names the grader that made it (pid,
 * start time and pid namespace), so a later grader can tell a dead grader's leftovers from a live
 * one's folder. The namespace matters: a grader inside a sandbox (a class lane's worker) cannot see
 * the processes outside it, and must not take a live grader's folder there for a dead one's.
 */
const pidNamespace = (pid: number | 'self'): string => readlinkSyncSafe(`/proc/${pid}/ns/pid`);
const ownerRecord = (dir: string): string => path.join(path.dirname(dir), `.${path.basename(dir)}.owner`);

/** Temporary folders (document roots) to remove even if the grader is interrupted. */
export function trackTempDir(dir: string): void {
  tempDirs.add(dir);
  try {
    writeFileSync(ownerRecord(dir), `${process.pid} ${startTime(process.pid) ?? 0} ${pidNamespace('self') || '-'}\n`);
  } catch {
    /* a read-only parent: the folder is then not ours to sweep later either */
  }
}

export function untrackTempDir(dir: string): void {
  tempDirs.delete(dir);
  rmSync(ownerRecord(dir), { force: true });
}

/**
 * Every process that belongs to a tracked server: its group, its descendants (a child that called
 * setsid is still a descendant while its parent lives) and, for a server outside a pid namespace,
 * whoever holds a listening socket on its port (a daemon that forked, left its session and lost its
 * parent). Synchronous: used from 'exit' and signal handlers.
 */
function membersOf(pgid: number, info: Tracked, table = processTable()): number[] {
  const out = new Set<number>();
  for (const p of table.values()) if (p.pgid === pgid && p.state !== 'Z') out.add(p.pid);
  for (const pid of descendantsIn(table, pgid)) out.add(pid);
  if (!info.contained && info.port !== undefined) {
    for (const pid of holdersOfPort(info.port)) {
      const dir = info.root === undefined ? undefined : staticDirOf(pid);
      if (dir === undefined || dir === info.root) out.add(pid);
    }
  }
  out.delete(process.pid);
  return [...out];
}

/** Kills every tracked server and removes every temporary folder at once. Synchronous. */
export function killAllNow(): void {
  for (const dir of tempDirs) {
    rmSync(dir, { recursive: true, force: true });
    rmSync(ownerRecord(dir), { force: true });
  }
  tempDirs.clear();
  const table = hasProc ? processTable() : new Map<number, ProcInfo>();
  const killed: number[] = [];
  for (const [pgid, info] of live) {
    const members = hasProc ? membersOf(pgid, info, table) : [];
    signalAll(members, 'SIGKILL');
    killed.push(...members);
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
  // SIGKILL is delivered at once but takes effect a moment later (a pid namespace's init waits for
  // its members): wait, briefly, so that whoever sees us exit sees nothing of ours still running.
  const deadline = Date.now() + 1000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (killed.some(isAlive) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 5);
}

function signalAll(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone meanwhile */
    }
  }
}

/**
 * Stops every process of a group (SIGSTOP) and returns what lets them run again (SIGCONT), or
 * undefined if they cannot be stopped. A stopped server cannot notice that its grader died (its
 * watchdog reads a pipe), so a guard is started first: a shell that waits on a pipe from us and,
 * when that closes — the grader was killed, even with SIGKILL — lets the group run again, which
 * then ends itself as any orphaned server does. Letting it run kills the guard.
 */
export async function freezeGroup(pgid: number): Promise<(() => void) | undefined> {
  let guard: ChildProcess;
  try {
    guard = spawn('/bin/sh', ['-c', `read _ ; kill -s CONT -- -${pgid}`], { stdio: ['pipe', 'ignore', 'ignore'] });
  } catch {
    return undefined;
  }
  guard.on('error', () => {});
  guard.stdin?.on('error', () => {});
  const release = (): void => {
    try {
      process.kill(-pgid, 'SIGCONT');
    } catch {
      // gone already
    }
    guard.kill('SIGKILL');
  };
  if (guard.pid === undefined) return undefined;
  try {
    process.kill(-pgid, 'SIGSTOP');
  } catch {
    guard.kill('SIGKILL');
    return undefined;
  }
  // A signal takes effect a moment after kill() returns: wait (bounded) until every member is stopped.
  const stopped = (): boolean => groupMembers(pgid).every((pid) => /^[tT]$/.test(readStat(pid)?.state ?? 'T'));
  for (const deadline = Date.now() + FREEZE_WAIT_MS; hasProc && !stopped() && Date.now() < deadline; ) await sleep(2);
  if (!hasProc) await sleep(20);
  return release;
}

/** The most freezeGroup waits for a group to be stopped. */
const FREEZE_WAIT_MS = 500;

/**
 * Stops one server: SIGTERM to its group, SIGKILL to everything of it after `graceMs`, and waits
 * (bounded) until every process found is gone.
 */
export async function stopTree(pgid: number, graceMs: number): Promise<void> {
  const info = live.get(pgid) ?? { contained: false };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, sig);
    } catch {
      /* group already gone */
    }
  };
  // Who belongs to it is decided once, before anything dies: a descendant whose parent is killed
  // first is re-parented and would no longer be found as one.
  const members = hasProc ? membersOf(pgid, info) : [];
  const alive = (): boolean => (hasProc ? members.some(isAlive) || groupMembers(pgid).length > 0 : groupMembers(pgid).length > 0);
  if (!alive()) return;
  signalGroup('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (groupMembers(pgid).length === 0) break;
    await sleep(10);
  }
  signalGroup('SIGKILL');
  signalAll(members.filter(isAlive), 'SIGKILL');
  const hard = Date.now() + 2000;
  while (Date.now() < hard && alive()) await sleep(10);
}

let installed = false;

/**
 * On SIGINT / SIGTERM / SIGHUP: kill every server, then exit with the conventional code (128 +
 * signal number). The same when the grader's parent goes away (npm killed by a CI runner or by
 * `timeout`: they signal npm, not us). Installed once by every entry point that starts servers;
 * also sweeps what graders killed outright left in the temp folder.
 */
export function installCleanupHandlers(onSignal?: (signal: NodeJS.Signals) => void): void {
  if (installed) return;
  installed = true;
  sweepStaleTempDirs();
  process.on('exit', killAllNow);
  const codes: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  for (const sig of Object.keys(codes) as NodeJS.Signals[]) {
    process.on(sig, () => {
      killAllNow();
      onSignal?.(sig);
      process.exit(codes[sig]);
    });
  }
  watchParent(() => {
    killAllNow();
    onSignal?.('SIGHUP');
    process.exit(codes.SIGHUP);
  });
}

/** How often the grader looks whether its parent is still there. */
export const PARENT_POLL_MS = 200;

/**
 * Calls `gone` once the process that started us has exited: we are then re-parented (to init or a
 * subreaper), and our ppid changes. A grader started directly by init has no parent to lose.
 */
export function watchParent(gone: () => void): void {
  const first = process.ppid;
  if (first <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid !== first) {
      clearInterval(timer);
      gone();
    }
  }, PARENT_POLL_MS);
  timer.unref();
}

/**
 * Removes the temporary folders of graders that are gone (killed outright, so nothing of theirs
 * could run). A folder is removed only when its owner record names a process that no longer runs
 * (or a pid now used by a process started at another time); never one of a live grader.
 */
export function sweepStaleTempDirs(dir = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith('.socklab-') || !name.endsWith('.owner')) continue;
    const record = path.join(dir, name);
    let fields: string[];
    try {
      fields = readFileSync(record, 'utf8').trim().split(' ');
    } catch {
      continue;
    }
    const [pid, started] = fields.slice(0, 2).map(Number) as [number, number];
    if (!Number.isInteger(pid) || pid <= 0) continue;
    // Made in another pid namespace: its grader may live where this one cannot see it.
    if ((fields[2] ?? '-') !== (pidNamespace('self') || '-')) continue;
    const now = startTime(pid);
    // Its grader still runs: the same process, or a live pid whose start this grader cannot see
    // (no /proc, or SOCKLAB_PRETEND_MISSING=proc) — never sweep a folder that may be in use.
    if (now !== undefined && (started === 0 || now === 0 || now === started)) continue;
    const folder = path.join(dir, name.slice(1, -'.owner'.length));
    try {
      rmSync(folder, { recursive: true, force: true });
      rmSync(record, { force: true });
      removed.push(folder);
    } catch {
      /* another user's, or gone meanwhile */
    }
  }
  return removed;
}

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  start: number;
}

function readStat(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: rest[0]!, ppid: Number(rest[1]), pgid: Number(rest[2]), start: Number(rest[19]) };
  } catch {
    return undefined;
  }
}

/** When a process started (clock ticks since boot), or undefined when it does not run. */
function startTime(pid: number): number | undefined {
  if (!hasProc) {
    try {
      process.kill(pid, 0);
      return 0;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM' ? 0 : undefined;
    }
  }
  const s = readStat(pid);
  return s && s.state !== 'Z' ? s.start : undefined;
}

function isAlive(pid: number): boolean {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z';
}

/**
 * Linux answers "who is in this group, what listens where" from /proc; elsewhere (macOS) the runner
 * connects to find a listening port and asks the kernel with signal 0 whether a group lives.
 * `SOCKLAB_PRETEND_MISSING=proc` takes the second way on Linux, so the tests exercise it.
 */
const hasProc = !pretendMissing('proc') && (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

function processTable(): Map<number, ProcInfo> {
  const table = new Map<number, ProcInfo>();
  if (!hasProc) return table;
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const info = readStat(pid);
    if (info) table.set(pid, info);
  }
  return table;
}

/** Live descendants of `pid` (children, their children, … — also those that left the group). */
export function descendants(pid: number): number[] {
  return descendantsIn(processTable(), pid);
}

function descendantsIn(table: Map<number, ProcInfo>, pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of table.values()) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid)!.push(p.pid);
  }
  const out: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length) {
    const next = queue.shift()!;
    if (table.get(next)?.state !== 'Z') out.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return out;
}

/** The live processes of a group, and every process below them (which may have left the group). */
function groupAndDescendants(pgid: number): Set<number> {
  const table = processTable();
  return new Set([...[...table.values()].filter((p) => p.pgid === pgid && p.state !== 'Z').map((p) => p.pid), ...descendantsIn(table, pgid)]);
}

/**
 * The most files any process of a server holds open (its group and descendants: the server itself
 * may sit under bubblewrap or a shell), or undefined where /proc cannot tell (another user's, or no
 * /proc at all).
 */
export function openFilesOf(pgid: number): number | undefined {
  if (!hasProc) return undefined;
  const pids = groupAndDescendants(pgid);
  let most: number | undefined;
  for (const pid of pids) {
    try {
      most = Math.max(most ?? 0, readdirSync(`/proc/${pid}/fd`).length);
    } catch {
      /* gone, or not ours to look into */
    }
  }
  return most;
}

/**
 * The CPU time a server's processes have used or waited for (run time plus run-queue wait, over
 * all their threads, in ns; /proc/PID/task/TID/schedstat): a figure that grows while the server
 * works, and stands still while it sleeps, waiting for something. Undefined without /proc.
 */
export function cpuTimeOf(pgid: number): number | undefined {
  if (!hasProc) return undefined;
  const pids = groupAndDescendants(pgid);
  let ns = 0;
  for (const pid of pids) {
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        ns += (run ?? 0) + (wait ?? 0);
      }
    } catch {
      /* gone, or a kernel without schedstat: then this process counts as still */
    }
  }
  return ns;
}

/** Live (non-zombie) processes of a group. Without /proc, asks the kernel whether the group exists. */
export function groupMembers(pgid: number): number[] {
  if (!hasProc) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const out: number[] = [];
  for (const info of processTable().values()) {
    // Zombies have exited; they wait only for a parent to reap them and hold no sockets.
    if (info.pgid === pgid && info.state !== 'Z') out.push(info.pid);
  }
  return out;
}

/** Listening TCP sockets as `inode → port` from /proc/net/tcp and tcp6 (Linux). */
export function listeningSockets(): Map<string, { port: number; address: string }> | undefined {
  if (!hasProc) return undefined;
  const out = new Map<string, { port: number; address: string }>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const cols of listenRows(file)) {
      const [addrHex, portHex] = cols[1]!.split(':');
      out.set(cols[9]!, { port: parseInt(portHex!, 16), address: decodeAddress(addrHex!) });
    }
  }
  return out;
}

/**
 * The LISTEN rows of /proc/net/tcp or tcp6, split into columns. The kernel writes listening sockets
 * first and every other socket of the machine after them; on a busy machine (thousands in
 * TIME_WAIT) reading the whole file takes ~100 ms, the listening part ~1 ms, and this is read every
 * 10 ms while a server starts and after checks. So reading stops at the first row of another
 * state (SYN_RECV, 03, may sit among listeners on old kernels: it does not stop the reading).
 */
function listenRows(file: string): string[][] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  const rows: string[][] = [];
  try {
    const buf = Buffer.alloc(16 * 1024);
    let rest = '';
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      const lines = (rest + buf.toString('latin1', 0, n)).split('\n');
      rest = n === 0 ? '' : lines.pop()!;
      for (const line of lines) {
        const cols = line.trim().split(/\s+/);
        if (cols.length < 10 || cols[0] === 'sl') continue;
        if (cols[3] === '0A') rows.push(cols);
        else if (cols[3] !== '03') return rows;
      }
      if (n === 0) return rows;
    }
  } catch {
    return rows;
  } finally {
    closeSync(fd);
  }
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    const n = parseInt(hex, 16);
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
  }
  if (/^0+$/.test(hex)) return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  if (/^0000000000000000FFFF0000/i.test(hex)) return '::ffff:' + decodeAddress(hex.slice(24));
  return hex;
}

/** Socket inodes each of these processes holds open. */
function socketInodes(pid: number): string[] {
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const fd of fds) {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSyncSafe(`/proc/${pid}/fd/${fd}`));
    if (m) out.push(m[1]!);
  }
  return out;
}

/** The inodes of the sockets listening on this port (none where /proc cannot tell). */
function listeningInodes(port: number): Set<string> {
  return new Set([...(listeningSockets() ?? [])].filter(([, s]) => s.port === port).map(([inode]) => inode));
}

/** Processes (of any group or session) holding a socket that listens on this port. */
export function holdersOfPort(port: number, inodes = listeningInodes(port)): number[] {
  if (inodes.size === 0) return [];
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (socketInodes(pid).some((i) => inodes.has(i))) out.push(pid);
  }
  return out;
}

/**
 * Whether the socket listening on `port` belongs to another grading's server: one that got the same
 * port (get-port cannot reserve a port across processes) and listened first. Its holders are then
 * outside this server's group and descendants, and were started with another document root
 * (STATIC_DIR, a fresh folder per grading): a daemon this server forked, which left the group,
 * inherited ours. False when the port is ours, and whenever /proc cannot tell.
 */
export function listenerIsForeign(port: number, pgid: number, root: string): boolean {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return false;
  const ours = groupAndDescendants(pgid);
  for (const pid of ours) if (socketInodes(pid).some((i) => inodes.has(i))) return false;
  const others = holdersOfPort(port, inodes).filter((pid) => !ours.has(pid));
  return others.length > 0 && others.every((pid) => {
    const dir = staticDirOf(pid);
    return dir !== undefined && dir !== root;
  });
}

/** The STATIC_DIR a process was started with, if /proc shows it. */
function staticDirOf(pid: number): string | undefined {
  try {
    const entry = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith('STATIC_DIR='));
    return entry?.slice('STATIC_DIR='.length);
  } catch {
    return undefined;
  }
}

/** Ports that processes of this group listen on (to tell a learner "you listen on 9000, not PORT"). */
export function portsListenedByGroup(pgid: number): number[] {
  const sockets = listeningSockets();
  if (!sockets) return [];
  const ports = new Set<number>();
  for (const pid of groupMembers(pgid)) {
    for (const inode of socketInodes(pid)) {
      const s = sockets.get(inode);
      if (s) ports.add(s.port);
    }
  }
  return [...ports];
}

function readlinkSyncSafe(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return '';
  }
}

/** Which loopback address a port listens on, if any: '127.0.0.1', '::1', or undefined. */
export function listeningHost(port: number): string | undefined | null {
  const sockets = listeningSockets();
  if (!sockets) return null; // cannot tell on this platform
  let v6 = false;
  for (const s of sockets.values()) {
    if (s.port !== port) continue;
    if (s.address === '0.0.0.0' || s.address === '127.0.0.1' || s.address.startsWith('::ffff:')) return '127.0.0.1';
    if (s.address === '::') return '127.0.0.1'; // dual-stack wildcard accepts IPv4 too
    if (s.address === '::1') v6 = true;
  }
  return v6 ? '::1' : undefined;
}
