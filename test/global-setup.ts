/**
 * Runs once around the whole test run: afterwards, no server, grader or helper process started
 * from this checkout may still be alive. (Each grading also checks its own processes.)
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

// Workers inherit this, so every tag of this run shares a prefix no other run has.
const run = (process.env.SOCKLAB_TEST_RUN = randomUUID().slice(0, 8));

function tagged(): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').includes(`SOCKLAB_TEST_TAG=${run}-`)) {
        out.push(`${name}: ${readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ')}`);
      }
    } catch {
      /* gone, or not readable */
    }
  }
  return out;
}

export function teardown(): void {
  const left = tagged();
  if (left.length > 0) {
    throw new Error(`processes started by the tests are still running:\n${left.join('\n')}`);
  }
}
