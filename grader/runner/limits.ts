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
 * Data segment (RLIMIT_DATA) per server: class mode's limit, generous for Node. RLIMIT_AS would
 * not do: V8 reserves gigabytes of address space at start and would die at once.
 */
export const DATA_BYTES = 512 * 2 ** 20;

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
 * process (prlimit may exist and still be refused, as by some seccomp profiles): one short exec.
 */
export function limitsPrefix(): { prefix: string[]; limits: ServerLimits } {
  const pretend = process.env.SOCKLAB_PRETEND_MISSING ?? '';
  if (probed && probedWith === pretend) return probed;
  probedWith = pretend;
  const openFiles = Math.min(OPEN_FILES, hardLimit('Max open files') ?? OPEN_FILES);
  const dataBytes = Math.min(DATA_BYTES, hardLimit('Max data size') ?? DATA_BYTES);
  const prlimit = pretendMissing('prlimit') ? undefined : findExecutable('prlimit');
  if (prlimit) {
    const prefix = [prlimit, `--nofile=${openFiles}`, `--data=${dataBytes}`, '--'];
    try {
      execFileSync(prefix[0]!, [...prefix.slice(1), '/bin/sh', '-c', 'exit 0'], { stdio: 'ignore', timeout: 5000 });
      return (probed = { prefix, limits: { openFiles, dataBytes, via: 'prlimit' } });
    } catch {
      /* the shell's ulimit then */
    }
  }
  // `ulimit` without -S or -H sets both, so the server cannot raise them again.
  const script = `ulimit -n ${openFiles} 2>/dev/null; ulimit -d ${Math.floor(dataBytes / 1024)} 2>/dev/null; exec "$@"`;
  return (probed = { prefix: ['/bin/sh', '-c', script, 'socklab-limits'], limits: { openFiles, dataBytes, via: 'ulimit' } });
}
