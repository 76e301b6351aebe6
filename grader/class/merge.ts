/**
 * `--merge`: joins the results of a class graded in shards (`--shard i/n`, each part on its own
 * machine) into the result of the whole class — the same students in roster order with the same
 * seeds and scores, so the gradebooks and results.json are those of a whole run. What differs is
 * only what no two runs share: when grading started and how long it took. Reads results; grades
 * nothing.
 */
import { isDeepStrictEqual } from 'node:util';
import { t } from '../i18n.ts';
import type { ClassResult } from '../results.ts';
import { ClassInputError, rosterDigest } from './discover.ts';

export interface ShardResult {
  /** The folder as the teacher typed it, for messages. */
  shown: string;
  result: ClassResult;
}

const fail = (en: string, zh: string): never => {
  throw new ClassInputError(t(en, zh));
};

export function mergeShards(parts: readonly ShardResult[]): ClassResult {
  for (const p of parts) {
    if (!p.result.shard) {
      fail(
        `--merge ${p.shown}: these are a whole class's results, not a shard's — --merge joins the --out folders of --shard runs`,
        `--merge ${p.shown}：这是整个班级的结果，不是分片的——--merge 用于合并 --shard 评测写出的 --out 文件夹`,
      );
    }
  }
  const first = parts[0]!;
  const shard0 = first.result.shard!;
  const count = shard0.count;
  const same = (what: string, zh: string, get: (r: ClassResult) => unknown): void => {
    const odd = parts.find((p) => !isDeepStrictEqual(get(p.result), get(first.result)));
    if (odd) {
      fail(
        `--merge: ${odd.shown} and ${first.shown} differ in ${what} — they are not parts of one class run (grade every shard with the same roster, --stages and --seed)`,
        `--merge：${odd.shown} 和 ${first.shown} 的${zh}不同——它们不是同一次班级评测的分片（请用相同的名单、--stages 和 --seed 评测每个分片）`,
      );
    }
  };
  same('their number of shards', '分片总数', (r) => r.shard!.count);
  same('the class seed', '班级种子', (r) => r.classSeed);
  same('the roster', '名单', (r) => [r.shard!.rosterSize, r.shard!.rosterDigest]);
  same('the stages and checks', '关卡和检查项', (r) => r.stages);
  same('the roster columns', '名单的列', (r) => r.rosterColumns);
  same('the time and memory limits', '时间和内存上限', (r) => r.limits);
  const byIndex = new Map<number, ShardResult>();
  for (const p of parts) {
    const i = p.result.shard!.index;
    const twice = byIndex.get(i);
    if (twice) fail(`--merge: shard ${i}/${count} is given twice (${twice.shown} and ${p.shown})`, `--merge：第 ${i}/${count} 个分片给了两次（${twice.shown} 和 ${p.shown}）`);
    byIndex.set(i, p);
  }
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((i) => !byIndex.has(i));
  if (missing.length) {
    fail(`--merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing — merge all ${count} parts`, `--merge：缺少分片 ${missing.map((i) => `${i}/${count}`).join('、')}——请合并全部 ${count} 个分片`);
  }

  // Shard i holds roster positions i-1, i-1+n, i-1+2n, … (discover.ts shardOf): deal them back.
  const total = shard0.rosterSize;
  const students: ClassResult['students'] = [];
  for (let k = 0; k < total; k++) {
    const part = byIndex.get((k % count) + 1)!;
    const st = part.result.students[Math.floor(k / count)];
    if (!st) fail(`--merge: ${part.shown} holds fewer students than its share of the roster`, `--merge：${part.shown} 中的学生少于它在名单中应得的份额`);
    students.push(st!);
  }
  for (const p of parts) {
    const expected = Math.ceil((total - (p.result.shard!.index - 1)) / count);
    if (p.result.students.length !== expected) {
      fail(`--merge: ${p.shown} holds ${p.result.students.length} students, its share of the roster is ${expected}`, `--merge：${p.shown} 中有 ${p.result.students.length} 名学生，它在名单中应得的份额是 ${expected}`);
    }
  }
  if (rosterDigest(students.map((s) => s.id)) !== shard0.rosterDigest) {
    fail('--merge: the students of the shards, put back in order, are not the roster they were graded from', '--merge：各分片的学生按顺序放回后，与评测时的名单不一致');
  }

  const ordered = Array.from({ length: count }, (_, k) => byIndex.get(k + 1)!.result);
  const starts = ordered.map((r) => Date.parse(r.startedAt));
  const start = Math.min(...starts);
  const end = Math.max(...ordered.map((r, k) => starts[k]! + r.durationMs));
  // A part graded without the sandbox makes the whole class so: the report must not claim more.
  const sandbox = ordered.find((r) => r.sandbox.kind === 'none')?.sandbox ?? ordered[0]!.sandbox;
  const { shard: _shard, ...base } = ordered[0]!;
  return {
    ...base,
    startedAt: new Date(start).toISOString(),
    durationMs: end - start,
    jobs: Math.max(...ordered.map((r) => r.jobs)),
    sandbox,
    students,
  };
}
