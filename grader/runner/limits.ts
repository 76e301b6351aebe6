/**
 * The resource limits every server runs under, in every mode (a learner's run, watch, class,
 * Gradescope): few open files, so a descriptor leak shows within a few hundred connections instead
 * of never, and a bounded heap, as class mode has always had. Limits are inherited across exec and
 * fork, so they are set directly around the server's own command, inside whatever confines it
 * (bubblewrap, the shell watchdog, a class sandbox with limits of its own).
 *
 * Through prlimit (util-linux) where it works; else through the shell's `ulimit`, which every
 * POSIX shell has. `SOCKLAB_PRETEND_MISSING=prlimit` takes the second path on a machine with both.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findExecutable, pretendMissing } from './contain.ts';

/** Open files (RLIMIT_NOFILE) per server: far more than any check holds open at once, far fewer than a leak needs. */
export const OPEN_FILES = 256;
/**
 * Data segment (RLIMIT_DATA) per server, class mode's too. RLIMIT_AS would not do: V8 reserves
 * gigabytes of address space at start and would die at once. Even RLIMIT_DATA counts some of V8's
 * start-up reservations: measured here, Node 20 and 22 start under 256 MiB, Node 24.22 and 26.12
 * need about 580 MiB (V8 dies with "Failed to reserve virtual memory for CodeRange"). 1 GiB leaves
 * a real heap above that, and the probe below raises it for a runtime that needs more.
 */
export const DATA_BYTES = 2 ** 30;

export interface ServerLimits {
  openFiles: number;
  dataBytes: number;
  via: 'prlimit' | 'ulimit';
}

/** A hard limit of the grader itself ("Max open files" in /proc/self/limits), when it can be read. */
function hardLimit(name: string): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(name));
    const hard = line?.slice(name.length).trim().split(/\s+/)[1];
    return hard && /^\d+$/.test(hard) ? Number(hard) : undefined;
  } catch {
    return undefined;
  }
}

let probed: { prefix: string[]; limits: ServerLimits } | undefined;
let probedWith: string | undefined;

/**
 * The argv prefix that runs a command under the limits, and what they are. A limit can only be
 * lowered: where the grader's own hard limit is already below one, that one stays. Probed once per
 * process (prlimit may exist and still be refused, as by some seccomp profiles): one short Node start
 * under the limits, more only where this Node needs a higher memory limit.
 */
export function limitsPrefix(): { prefix: string[]; limits: ServerLimits } {
  const pretend = process.env.SOCKLAB_PRETEND_MISSING ?? '';
  if (probed && probedWith === pretend) return probed;
  probedWith = pretend;
  const openFiles = Math.min(OPEN_FILES, hardLimit('Max open files') ?? OPEN_FILES);
  const hardData = hardLimit('Max data size');
  const prlimit = pretendMissing('prlimit') ? undefined : findExecutable('prlimit');
  const ways: Array<[ServerLimits['via'], (dataBytes: number) => string[]]> = [
    ['ulimit', (dataBytes) => {
      // `ulimit` without -S or -H sets both, so the server cannot raise them again.
      const script = `ulimit -n ${openFiles} 2>/dev/null; ulimit -d ${Math.floor(dataBytes / 1024)} 2>/dev/null; exec "$@"`;
      return ['/bin/sh', '-c', script, 'socklab-limits'];
    }],
  ];
  if (prlimit) ways.unshift(['prlimit', (dataBytes) => [prlimit, `--nofile=${openFiles}`, `--data=${dataBytes}`, '--']]);
  for (const [via, prefixFor] of ways) {
    // Node must start under the limit, with a second isolate as tsx's loader thread has: newer
    // V8s reserve more at start, so the limit grows for them, up to 4 GiB.
    for (const wanted of [DATA_BYTES, 2 * DATA_BYTES, 4 * DATA_BYTES]) {
      const dataBytes = Math.min(wanted, hardData ?? wanted);
      const prefix = prefixFor(dataBytes);
      if (startsUnder(prefix)) return (probed = { prefix, limits: { openFiles, dataBytes, via } });
    }
  }
  // Nothing started (then no server will either, and its start-up failure will say why).
  const dataBytes = Math.min(DATA_BYTES, hardData ?? DATA_BYTES);
  return (probed = { prefix: ways.at(-1)![1](dataBytes), limits: { openFiles, dataBytes, via: 'ulimit' } });
}

/** Whether this Node, with a worker thread, starts under a limits prefix (prlimit may also be refused outright). */
function startsUnder(prefix: string[]): boolean {
  const twoIsolates = "new (require('node:worker_threads').Worker)('', { eval: true })";
  try {
    execFileSync(prefix[0]!, [...prefix.slice(1), process.execPath, '-e', twoIsolates], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
