/**
 * Every place a teacher deploys the kit runs the same, current Node: the one number in
 * grader/kit/deploy.ts. The templates hold it literally (a teacher reads and copies them as they
 * are); this test keeps them equal to it, and the kit builders refuse a template that differs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOY_NODE_MAJOR, nodePinProblem, pinnedNodeVersions } from '../grader/kit/deploy.ts';
import { repoRoot } from './helpers.ts';

const templates = (dir: string): string[] => readdirSync(path.join(repoRoot, 'templates', dir)).map((f) => `templates/${dir}/${f}`);

describe('the Node version of deployments', () => {
  it('is a current LTS line: even, and newer than Node 20 (end of life April 2026)', () => {
    expect(DEPLOY_NODE_MAJOR % 2).toBe(0);
    expect(DEPLOY_NODE_MAJOR).toBeGreaterThanOrEqual(24);
  });

  it('is the one every workflow template and the Gradescope setup pin', () => {
    const files = [...templates('github').filter((f) => f.endsWith('.yml')), 'templates/gradescope/setup.sh'];
    expect(files).toEqual(expect.arrayContaining(['templates/github/grade.yml', 'templates/github/class-shards.yml', 'templates/gradescope/setup.sh']));
    for (const f of files) {
      const text = readFileSync(path.join(repoRoot, f), 'utf8');
      expect(pinnedNodeVersions(text).length, f).toBeGreaterThan(0);
      expect(nodePinProblem(f, text), f).toBeUndefined();
      expect(text, f).not.toMatch(/node-version:\s*['"]?20\b|NODE_MAJOR="20"|__NODE_VERSION__/);
    }
  });

  it('catches a template that pins another version, or none', () => {
    expect(nodePinProblem('x.yml', '      - uses: actions/setup-node@v4\n        with:\n          node-version: 20\n')).toMatch(/pins Node 20; deployments run Node \d+/);
    expect(nodePinProblem('setup.sh', 'NODE_MAJOR="22"\n')).toMatch(/pins Node 22/);
    expect(nodePinProblem('x.yml', 'steps: []\n')).toMatch(/pins no Node version/);
  });
});
