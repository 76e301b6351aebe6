/**
 * Verdict snapshot: grades every stage's solution, untouched skeleton and broken fixtures over
 * several seeds and prints, per server and seed, each check's id, points, pass and failure kind.
 * Two snapshots taken before and after a change must be equal when the change keeps behaviour:
 *
 *   node --import tsx bench/verdicts.ts --seeds 1-3 --runs 1 > before.json
 *   … change …
 *   node --import tsx bench/verdicts.ts --seeds 1-3 --runs 1 > after.json && diff before.json after.json
 *
 * With --runs N each (server, seed) is graded N times and a verdict that differs between runs is
 * reported as a flake on stderr (exit 1). `--stage 1,4` and `--only solution,waits-for` narrow it.
 * `--one-at-a-time` runs every check on its own (no background checks): the verdicts must be the
 * same both ways, which is how running checks alongside each other is shown to keep grading power.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gradeStage } from '../grader/engine.ts';
import { stages } from '../grader/stages.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { seeds: { type: 'string', default: '1-2' }, runs: { type: 'string', default: '1' }, stage: { type: 'string' }, only: { type: 'string' }, jobs: { type: 'string', default: '2' }, 'one-at-a-time': { type: 'boolean' } } });
const [lo, hi] = values.seeds!.split('-').map(Number) as [number, number?];
const seeds = Array.from({ length: (hi ?? lo) - lo + 1 }, (_, i) => lo + i);
const runs = Number(values.runs);

interface Job { stage: (typeof stages)[number]; name: string; file: string; seed: number }
const jobs: Job[] = [];
for (const stage of stages) {
  if (values.stage && !values.stage.split(',').includes(String(stage.number))) continue;
  const files: [string, string][] = [
    ['solution', path.join(root, 'solutions', stage.slug, 'server.ts')],
    ['skeleton', path.join(root, 'exercises', stage.slug, 'server.ts')],
  ];
  const dir = path.join(root, 'test', 'fixtures', stage.slug);
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) files.push([`fixture ${f}`, path.join(dir, f)]);
  const only = values.only?.split(',');
  for (const [name, file] of files) {
    if (only && !only.some((o) => name.includes(o))) continue;
    for (const seed of seeds) jobs.push({ stage, name, file, seed });
  }
}

const out: Record<string, string[]> = {};
/**
 * What each fixture's header says catches it ("// catches: 1.8 hung"), and on how many of the
 * gradings that check failed that way: the power of the grader, seed by seed.
 */
const declared = new Map<string, { check: string; kind: string; caught: number; of: number }>();
function declaredOf(file: string): { check: string; kind: string } | undefined {
  const m = /catches:\s*(\d+\.\d+)\s+(\S+)/.exec(readFileSync(file, 'utf8').slice(0, 2000));
  return m ? { check: m[1]!, kind: m[2]! } : undefined;
}
/** Grading times of each (stage, server), in ms, for the summary on stderr. */
const times = new Map<string, number[]>();
let flakes = 0;
let next = 0;
/** One check's verdict: "2.10 0/2 hung". */
const verdictOf = (c: Awaited<ReturnType<typeof gradeStage>>['checks'][number]): string => `${c.id} ${c.points}/${c.maxPoints} ${c.passed ? 'pass' : c.failure?.kind}`;
async function worker(): Promise<void> {
  while (next < jobs.length) {
    const job = jobs[next++]!;
    const seen = new Set<string>();
    // What each check said, per verdict: a flake is reported with the words of both sides.
    const said = new Map<string, string>();
    let verdict: string[] = [];
    for (let run = 0; run < runs; run++) {
      const t0 = Date.now();
      const grading = (): ReturnType<typeof gradeStage> => gradeStage(job.stage, { seed: job.seed, server: { kind: 'file', file: job.file }, cwd: root, includeTeacherOnly: true, oneAtATime: values['one-at-a-time'] });
      const r = fixedPort(job.file) ? await oneAtATime(grading) : await grading();
      verdict = r.checks.map(verdictOf);
      if (r.startError) verdict.unshift(`start-error ${r.startError.kind}`);
      seen.add(JSON.stringify(verdict));
      for (const c of r.checks) said.set(verdictOf(c), c.failure?.summary.en ?? '');
      const want = job.name.startsWith('fixture ') ? declaredOf(job.file) : undefined;
      if (want) {
        const d = declared.get(`stage ${job.stage.number} ${job.name}`) ?? { ...want, caught: 0, of: 0 };
        const c = r.checks.find((x) => x.id === want.check);
        d.of++;
        if (c && !c.passed && want.kind.split('|').includes(c.failure?.kind ?? '')) d.caught++;
        declared.set(`stage ${job.stage.number} ${job.name}`, d);
      }
      const key = `stage ${job.stage.number} ${job.name}`;
      times.set(key, [...(times.get(key) ?? []), Date.now() - t0]);
    }
    if (seen.size > 1) {
      flakes++;
      process.stderr.write(`FLAKE stage ${job.stage.number} ${job.name} seed ${job.seed}:\n  ${[...seen].join('\n  ')}\n`);
      const verdicts = [...seen].map((v) => JSON.parse(v) as string[]);
      for (const v of new Set(verdicts.flat())) {
        if (!verdicts.every((x) => x.includes(v))) process.stderr.write(`    ${v}: ${said.get(v)?.slice(0, 600) ?? ''}\n`);
      }
    }
    out[`${job.stage.number} ${job.name} seed ${job.seed}`] = verdict;
    process.stderr.write('.');
  }
}
/**
 * A fixture that listens on a port of its own (ignores-port.ts) cannot run beside a copy of
 * itself: the second would find the port taken. Such gradings take turns.
 */
const fixedPort = (file: string): boolean => /\.listen\(\s*\d{2,5}\s*[,)]/.test(readFileSync(file, 'utf8'));
let turn: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(f: () => Promise<T>): Promise<T> {
  const mine = turn.then(f);
  turn = mine.catch(() => undefined);
  return mine;
}
const started = Date.now();
await Promise.all(Array.from({ length: Number(values.jobs) }, worker));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [key, xs] of times) if (/ (solution|skeleton)$/.test(key)) process.stderr.write(`${key}: median ${median(xs)} ms over ${xs.length} gradings\n`);
const missed = [...declared].filter(([, d]) => d.caught < d.of);
for (const [key, d] of missed) process.stderr.write(`NOT ALWAYS CAUGHT ${key}: ${d.check} ${d.kind} on ${d.caught} of ${d.of} gradings\n`);
process.stderr.write(`${declared.size} fixtures: ${declared.size - missed.length} caught by their declared check on every grading\n`);
process.stderr.write(`\n${jobs.length} gradings × ${runs} runs in ${((Date.now() - started) / 1000).toFixed(0)} s, ${flakes} flaky\n`);
const sorted = Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
process.stdout.write(JSON.stringify(sorted, null, 1) + '\n');
process.exitCode = flakes ? 1 : 0;
