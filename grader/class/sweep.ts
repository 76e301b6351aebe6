/**
 * The last line of defence against leftovers: every server the class runner starts carries an
 * environment tag, and after a worker is killed (and at the very end) any process still carrying
 * the tag is killed. A server that left its process group (setsid) is still found this way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export const JOB_TAG = 'SOCKLAB_CLASS_JOB';

export function processesWithTag(prefix: string): number[] {
  const needle = `${JOB_TAG}=${prefix}`;
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out; // no /proc: process groups and the watchdog are all we have
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${name}/environ`, 'latin1').includes(needle)) out.push(Number(name));
    } catch {
      /* gone meanwhile, or not ours */
    }
  }
  return out;
}

/** SIGKILLs every process tagged with this prefix and waits (at most `boundMs`) until they are gone. */
export async function sweep(prefix: string, boundMs = 2000): Promise<number> {
  const deadline = Date.now() + boundMs;
  let killed = 0;
  for (;;) {
    const left = processesWithTag(prefix);
    if (left.length === 0 || Date.now() > deadline) return killed;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        /* already gone */
      }
    }
    await sleep(20);
  }
}
