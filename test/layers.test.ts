/**
 * The grader's import graph: arrows go one way (entry points -> engine -> stages -> expect -> wire /
 * runner), so no import circles, no module importing from a layer above it, and no entry point
 * used as a library. Every import counts — static, `import type`, `export … from`, and `import()`
 * with a literal path — because a type-only circle is still two modules that cannot change apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.ts';

const graderDir = path.join(repoRoot, 'grader');

/** Every .ts / .mjs file under grader/, as a path relative to grader/ with forward slashes. */
function graderFiles(): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(graderDir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (/\.(ts|mjs)$/.test(e.name)) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** Module -> the grader modules it imports (packages and node: built-ins left out). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of graderFiles()) {
    const { importedFiles } = ts.preProcessFile(readFileSync(path.join(graderDir, file), 'utf8'), true, true);
    const targets = importedFiles
      .map((f) => f.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => path.posix.normalize(path.posix.join(path.posix.dirname(file), name)));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The import circles: strongly connected components of more than one module, or a module importing itself. */
function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

/**
 * Entry points: each carries out a plan (plan.ts) for one command. Only main.ts, which routes a
 * plan to its entry point, may import them; bin.mjs imports main.ts.
 */
const ENTRY_POINTS = [
  'cli.ts',
  'help.ts',
  'watch.ts',
  'hint.ts',
  'site/replay.ts',
  'class/cli.ts',
  'class/gradescope.ts',
  'kit/student-edition.ts',
  'kit/gradescope.ts',
];
const ROUTER = 'main.ts';
/** The entry layer: what only entry points (and the router) may import. */
const ENTRY_LAYER = [...ENTRY_POINTS, ROUTER, 'plan.ts'];

/** Layers below the entry points, which must never reach up into them. */
const LOWER = (m: string): boolean =>
  m === 'engine.ts' || m === 'failure.ts' || m === 'types.ts' || m === 'stages.ts' || m === 'stage.ts' || /^(runner|wire|expect|stages|report)\//.test(m);


interface Edge {
  from: string;
  to: string;
}

function edges(graph: Map<string, string[]>): Edge[] {
  return [...graph].flatMap(([from, tos]) => tos.map((to) => ({ from, to })));
}

/** The edges breaking a rule, minus the allowlist, as "from -> to" lines. */
function violations(graph: Map<string, string[]>, breaks: (e: Edge) => boolean): string[] {
  return edges(graph)
    .filter(breaks)
    .map((e) => `${e.from} -> ${e.to}`);
}

const stageFolder = (m: string): string | undefined => /^stages\/([^/]+)\//.exec(m)?.[1];

describe('the grader import graph', () => {
  const graph = importGraph();

  it('sees the whole grader (so the rules below cannot pass by finding nothing)', () => {
    expect(graph.size).toBeGreaterThan(40);
    expect(graph.get('bin.mjs')).toContain(ROUTER);
    expect(graph.get(ROUTER)).toEqual(expect.arrayContaining(ENTRY_POINTS.filter((e) => !e.startsWith('kit/') && e !== 'class/gradescope.ts')));
    expect(graph.get('failure.ts')).toContain('wire/escape.ts');
    for (const m of ENTRY_LAYER) expect(graph.has(m), m).toBe(true);
  });

  it('has no import circles', () => {
    expect(circles(graph).map((c) => c.join(' <-> '))).toEqual([]);
  });

  it('no module imports an entry point, except main.ts routing a plan to it (and bin.mjs loading main.ts)', () => {
    expect(violations(graph, (e) => ENTRY_POINTS.includes(e.to) && e.from !== ROUTER)).toEqual([]);
    expect(violations(graph, (e) => e.to === ROUTER && e.from !== 'bin.mjs')).toEqual([]);
  });

  it('engine, runner, wire, expect, stages and report never import the entry layer (entry points, main.ts, plan.ts)', () => {
    expect(violations(graph, (e) => LOWER(e.from) && ENTRY_LAYER.includes(e.to))).toEqual([]);
  });

  it('report/ does not import class/ (reports read results; class grading is above them)', () => {
    expect(violations(graph, (e) => e.from.startsWith('report/') && e.to.startsWith('class/'))).toEqual([]);
  });

  it('wire/ records facts: it imports neither the assertions in expect/ nor the stages', () => {
    expect(violations(graph, (e) => e.from.startsWith('wire/') && (e.to.startsWith('expect/') || e.to.startsWith('stages/') || e.to === 'stages.ts'))).toEqual([]);
  });

  it('no stage imports another stage', () => {
    expect(violations(graph, (e) => stageFolder(e.from) !== undefined && stageFolder(e.to) !== undefined && stageFolder(e.from) !== stageFolder(e.to))).toEqual([]);
  });

  it('only grader/kit/ imports grader/kit/ (the student edition leaves that folder out)', () => {
    expect(violations(graph, (e) => e.to.startsWith('kit/') && !e.from.startsWith('kit/'))).toEqual([]);
  });

  it('the rules catch what they are meant to (a circle, an entry point used as a library)', () => {
    const bad = new Map<string, string[]>([
      ['cli.ts', ['hint.ts']],
      ['hint.ts', ['cli.ts']],
      ['watch.ts', ['cli.ts']],
      ['report/html.ts', ['class/types.ts']],
    ]);
    expect(circles(bad)).toEqual([['cli.ts', 'hint.ts']]);
    expect(violations(bad, (e) => ENTRY_POINTS.includes(e.to) && e.from !== ROUTER)).toEqual(['cli.ts -> hint.ts', 'hint.ts -> cli.ts', 'watch.ts -> cli.ts']);
  });
});
