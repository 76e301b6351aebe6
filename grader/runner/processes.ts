/**
 * Process groups the grader started, so that teardown — normal, on a crash, on Ctrl-C — kills every
 * process a server spawned, not only the direct child (execa kills only the direct child).
 */
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';

const live = new Set<number>();

export function track(pgid: number): void {
  live.add(pgid);
}

export function untrack(pgid: number): void {
  live.delete(pgid);
}

const tempDirs = new Set<string>();

/** Temporary folders (document roots) to remove even if the grader is interrupted. */
export function trackTempDir(dir: string): void {
  tempDirs.add(dir);
}

export function untrackTempDir(dir: string): void {
  tempDirs.delete(dir);
}

/** Kills every tracked group at once. Synchronous, so it is safe in 'exit' and signal handlers. */
export function killAllNow(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
}

let installed = false;

/**
 * On SIGINT / SIGTERM / SIGHUP: kill every server group, then exit with the conventional code
 * (128 + signal number). Installed once by the CLI and by anything else that starts servers.
 */
export function installCleanupHandlers(onSignal?: (signal: NodeJS.Signals) => void): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  const codes: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  for (const sig of Object.keys(codes) as NodeJS.Signals[]) {
    process.on(sig, () => {
      killAllNow();
      onSignal?.(sig);
      process.exit(codes[sig]);
    });
  }
}

interface ProcInfo {
  pid: number;
  pgid: number;
  state: string;
}

function readStat(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: rest[0]!, pgid: Number(rest[2]) };
  } catch {
    return undefined;
  }
}

const hasProc = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

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
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const info = readStat(pid);
    // Zombies have exited; they wait only for a parent to reap them and hold no sockets.
    if (info && info.pgid === pgid && info.state !== 'Z') out.push(pid);
  }
  return out;
}

/** Listening TCP sockets as `inode → port` from /proc/net/tcp and tcp6 (Linux). */
export function listeningSockets(): Map<string, { port: number; address: string }> | undefined {
  if (!hasProc) return undefined;
  const out = new Map<string, { port: number; address: string }>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [addrHex, portHex] = cols[1]!.split(':');
      out.set(cols[9]!, { port: parseInt(portHex!, 16), address: decodeAddress(addrHex!) });
    }
  }
  return out;
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

/** Ports that processes of this group listen on (to tell a learner "you listen on 9000, not PORT"). */
export function portsListenedByGroup(pgid: number): number[] {
  const sockets = listeningSockets();
  if (!sockets) return [];
  const ports = new Set<number>();
  for (const pid of groupMembers(pgid)) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSyncSafe(`/proc/${pid}/fd/${fd}`));
        const s = m && sockets.get(m[1]!);
        if (s) ports.add(s.port);
      } catch {
        /* fd closed meanwhile */
      }
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
