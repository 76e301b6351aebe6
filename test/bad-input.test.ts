/**
 * Bad input gets one clear line and the documented exit code, never a stack trace: a server.ts that
 * is a folder, a negative or over-long --seed, a top-level await that never settles.
 */
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newTag, processesTagged, repoRoot } from './helpers.ts';

const bin = path.join(repoRoot, 'grader', 'bin.mjs');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'socklab-bad-input-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function grade(args: string[], lang = 'C.UTF-8') {
  const tag = newTag();
  const r = await execa(process.execPath, [bin, ...args], { cwd: repoRoot, env: { LANG: lang, NO_COLOR: '1', SOCKLAB_TEST_TAG: tag }, reject: false, stdin: 'ignore', timeout: 60_000 });
  expect(processesTagged(tag)).toEqual([]);
  expect(`${r.stdout}\n${r.stderr}`, 'a stack trace of the grader').not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  return r;
}

describe('bad input', () => {
  it('a server.ts that is a folder: one line, exit 2', async () => {
    const dir = path.join(tmp, 'exercise', 'server.ts');
    mkdirSync(dir, { recursive: true });
    const r = await grade(['1', '--file', dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/server\.ts is a folder, not a file/);
  });

  it('--seed -5 and a seed of 16 digits are refused with the range, in both languages', async () => {
    for (const [args, says] of [
      [['1', '--seed', '-5'], /--seed takes a whole number from 0 to 999999999999999, got '-5'$/],
      [['1', '--seed=-5'], /got '-5'$/],
      [['1', '--seed', '1234567890123456'], /got '1234567890123456' \(that is more than 15 digits\)$/],
    ] as const) {
      const r = await grade([...args]);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr.trim()).toMatch(says);
    }
    const zh = await grade(['1', '--seed', '-5'], 'zh_CN.UTF-8');
    expect(zh.stderr.trim()).toBe("socklab: --seed 需要 0 到 999999999999999 之间的整数，收到的是 '-5'");
  });

  it('a top-level await that never settles is named as such, not "its output is below" with nothing below', async () => {
    // In a folder with a package.json of type module, as the exercises are, so the await is legal.
    const dir = path.join(tmp, 'tla');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(path.join(dir, 'server.ts'), 'await new Promise(() => {});\n');
    const r = await grade(['1', '--file', path.join(dir, 'server.ts')]);
    expect(r.exitCode).toBe(3);
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/a top-level await waited for something that never happened.*exit code 13/);
    expect(r.stdout).not.toMatch(/output is below/);
  });
});
