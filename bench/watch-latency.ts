/**
 * Measures watch mode's save → result latency on the stage-1 model solution:
 * `npx tsx bench/watch-latency.ts [saves]`. Starts `npm run grade -- 1 --watch` on a temporary copy
 * of the solution, then saves it (appending a comment) `saves` times, timing each save until the
 * score line of the new run is printed. Prints each figure and the median.
 */
import { execa } from 'execa';
import { appendFileSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const saves = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(path.join(os.tmpdir(), 'socklab-watch-bench-'));
const file = path.join(dir, 'server.ts');
copyFileSync(path.join(root, 'solutions/01-tcp-echo/server.ts'), file);

const child = execa(process.execPath, [path.join(root, 'grader/bin.mjs'), '1', '--watch', '--file', file], {
  cwd: root,
  env: { NO_COLOR: '1', LANG: 'en_US.UTF-8' },
  stdin: 'pipe',
  buffer: false,
  reject: false,
});
let out = '';
child.stdout!.on('data', (c: Buffer) => (out += c.toString()));

async function until(re: RegExp, from: number): Promise<{ end: number; match: RegExpExecArray }> {
  const deadline = Date.now() + 30_000; // a benchmark waits, but not forever
  for (;;) {
    const m = re.exec(out.slice(from));
    if (m) return { end: from + m.index + m[0].length, match: m };
    if (Date.now() > deadline) {
      child.kill('SIGINT');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`watch mode printed nothing matching ${re} within 30 s; it printed:\n${out.slice(from)}`);
    }
    await sleep(2);
  }
}

let at = (await until(/score \d+\/\d+[^\n]*\n/, 0)).end;
const totals: number[] = [];
const grading: number[] = [];
const noticed: number[] = [];
const firsts: number[] = [];
for (let i = 1; i <= saves; i++) {
  await sleep(700); // a learner does not save twice within a debounce
  const t0 = performance.now();
  appendFileSync(file, `// save ${i}\n`);
  const header = await until(new RegExp(`run ${i + 1} · `), at);
  const toHeader = performance.now() - t0;
  const firstCheck = await until(/✔ 1\.1 /, header.end);
  const toFirst = performance.now() - t0;
  void firstCheck;
  const { end, match } = await until(/score (\d+)\/(\d+) · \d+ of \d+ checks passed · ([\d.]+) (ms|s)\n/, at);
  const ms = performance.now() - t0;
  at = end;
  totals.push(ms);
  noticed.push(toHeader);
  firsts.push(toFirst);
  grading.push(match[4] === 's' ? Number(match[3]) * 1000 : Number(match[3]));
  console.log(`save ${i}: noticed after ${toHeader.toFixed(0)} ms, first check ${toFirst.toFixed(0)} ms, result after ${ms.toFixed(0)} ms (grading itself ${grading[grading.length - 1]} ms, score ${match[1]}/${match[2]})`);
}
child.kill('SIGINT');
await child;
rmSync(dir, { recursive: true, force: true });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `median save → noticed ${median(noticed).toFixed(0)} ms → first check ${median(firsts).toFixed(0)} ms → result ${median(totals).toFixed(0)} ms ` +
    `(result min ${Math.min(...totals).toFixed(0)}, max ${Math.max(...totals).toFixed(0)}); median grading ${median(grading)} ms`,
);
