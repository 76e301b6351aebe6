/**
 * Keeping every process a server starts inside what the grader can end. A process group is not
 * enough: a child started with `detached: true`, or a daemon that calls setsid (mini_httpd), leaves
 * it. Where bubblewrap works, each server therefore runs in its own pid namespace with
 * --die-with-parent: when the namespace's first process dies — killed by teardown, or because the
 * grader itself died, even by SIGKILL — the kernel kills everything in it. Where it does not, a
 * `--cmd` server runs under a small shell watchdog that kills its group when the grader's pipe
 * closes (the `.ts` servers have watchdog.mjs for that), and teardown also hunts descendants and
 * whoever holds the server's port (processes.ts).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `SOCKLAB_PRETEND_MISSING=bwrap,netns,prlimit,cgroup`: behave as on a machine without these (the
 * tests prove each fallback this way on a machine that has everything).
 */
export function pretendMissing(what: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.SOCKLAB_PRETEND_MISSING ?? '').split(',').map((s) => s.trim()).includes(what);
}

export function findExecutable(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** bubblewrap, when it is installed, usable here, and not pretended away. */
export function findBwrap(): string | undefined {
  if (pretendMissing('bwrap')) return undefined;
  return findExecutable('bwrap');
}

let probed: string[] | null | undefined;
let probedWith: string | undefined;

/**
 * The argv prefix that runs a command in its own pid namespace, dying with its parent; null where
 * bubblewrap is missing or cannot run (a container without user namespaces). Probed once per
 * process: bubblewrap may be installed and still refuse. It costs one bwrap start (~8 ms).
 */
export function pidNamespacePrefix(): string[] | null {
  const pretend = process.env.SOCKLAB_PRETEND_MISSING ?? '';
  if (probed !== undefined && probedWith === pretend) return probed;
  probedWith = pretend;
  const bwrap = findBwrap();
  probed = null;
  if (!bwrap) return probed;
  const prefix = [bwrap, '--dev-bind', '/', '/', '--unshare-pid', '--die-with-parent', '--'];
  try {
    execFileSync(prefix[0]!, [...prefix.slice(1), '/bin/sh', '-c', 'exit 0'], { stdio: 'ignore', timeout: 5000 });
    probed = prefix;
  } catch {
    /* stays null */
  }
  return probed;
}

/** Whether an argv runs its command under bubblewrap in a pid namespace that dies with the grader. */
export function runsInPidNamespace(argv: string[]): boolean {
  const at = argv.findIndex((a) => path.basename(a) === 'bwrap');
  if (at < 0) return false;
  const own = argv.slice(at, argv.indexOf('--', at) >>> 0);
  return own.includes('--unshare-pid') && own.includes('--die-with-parent');
}

/**
 * A shell that runs `"$@"` (stdin /dev/null) and waits for it, exiting with its status, while a
 * subshell reads the grader's pipe on fd 3: at end of file — the grader is gone, however it died —
 * it kills the whole process group.
 */
const SHELL_WATCHDOG = [
  'exec 3<&0 </dev/null',
  '"$@" 3<&- & server=$!',
  '( read -r _ <&3; kill -KILL 0 ) & watch=$!',
  'exec 3<&-',
  'wait $server; status=$?',
  'kill $watch 2>/dev/null',
  'exit $status',
].join('\n');

export function withShellWatchdog(argv: string[]): string[] {
  return ['/bin/sh', '-c', SHELL_WATCHDOG, 'socklab-watchdog', ...argv];
}

/**
 * bubblewrap and the shell watchdog report a command killed by signal N as exit code 128 + N: turn
 * that back into the signal, so "killed by SIGSEGV" still reads as such.
 */
export function signalFromStatus(code: number | null): NodeJS.Signals | undefined {
  if (code === null || code <= 128 || code >= 128 + 65) return undefined;
  const entry = Object.entries(os.constants.signals).find(([, v]) => v === code - 128);
  return entry?.[0] as NodeJS.Signals | undefined;
}
