/**
 * Hints and "Try it" lines in the learner's track: a check may give a hint per track, and the
 * engine picks the one for the server it grades — a file is TypeScript, a --cmd is any program.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeStage } from '../grader/engine.ts';
import { fail } from '../grader/failure.ts';
import { t } from '../grader/i18n.ts';
import { runByHand } from '../grader/plan.ts';
import type { ServerCommand } from '../grader/runner/server.ts';
import { findStage } from '../grader/stages.ts';
import { forTrack, trackOf } from '../grader/track.ts';
import type { Stage } from '../grader/types.ts';
import { newTag, processesTagged, repoRoot, solutionFile } from './helpers.ts';

const tsHint = t('handle the socket error event', '处理 socket 的 error 事件');
const anyHint = t('handle a connection error in your language', '用你的语言处理连接错误');

/** A one-check stage whose check always fails, with a hint per track. */
const stage: Stage = {
  number: 99,
  slug: '99-track',
  title: t('tracks', '路线'),
  checks: [{ id: '99.1', title: t('always fails', '总是失败'), points: 1, timeoutMs: 2000, run: async () => fail({ summary: t('no', '不'), hint: { typescript: tsHint, any: anyHint } }) }],
};

/** A server any track could have written: node, started as a shell command. */
const shellServer: ServerCommand = { kind: 'shell', command: `node -e "require('node:net').createServer((s) => s.end()).listen(Number(process.env.PORT))"` };

async function hintFor(server: ServerCommand, track?: 'typescript' | 'any'): Promise<string | undefined> {
  const tag = newTag();
  const r = await gradeStage(stage, { seed: 1, server, track, cwd: repoRoot, env: { SOCKLAB_TEST_TAG: tag } });
  expect(processesTagged(tag), 'processes left running').toEqual([]);
  expect(r.startError).toBeUndefined();
  return r.checks[0]!.failure?.hint?.en;
}

describe('a hint per track', () => {
  it('resolves to the track’s own text, else the TypeScript one; a plain text is every track’s', () => {
    expect(forTrack({ typescript: tsHint, any: anyHint }, 'any')).toEqual(anyHint);
    expect(forTrack({ typescript: tsHint, any: anyHint }, 'typescript')).toEqual(tsHint);
    expect(forTrack({ typescript: tsHint }, 'any')).toEqual(tsHint);
    expect(forTrack(anyHint, 'typescript')).toEqual(anyHint);
  });

  it('the engine picks it for the server it grades: a --cmd gets the any-language hint, a file the TypeScript one', async () => {
    expect(trackOf(shellServer)).toBe('any');
    expect(await hintFor(shellServer)).toBe(anyHint.en);
    expect(await hintFor({ kind: 'file', file: solutionFile('01-tcp-echo') })).toBe(tsHint.en);
    expect(await hintFor(shellServer, 'typescript')).toBe(tsHint.en);
  });
});

describe('"Try it", terminal 1', () => {
  it('a TypeScript file runs with npx tsx; a --cmd runs as typed, with PORT and STATIC_DIR', () => {
    const file = path.join(process.cwd(), 'exercises', '01-tcp-echo', 'server.ts');
    expect(runByHand({ stage: findStage(1)!, server: { kind: 'file', file }, track: 'typescript' }, 5)).toBe('PORT=9000 npx tsx exercises/01-tcp-echo/server.ts');
    expect(runByHand({ stage: findStage(1)!, server: { kind: 'shell', command: 'python3 server.py {port}' }, track: 'any' }, 5)).toBe('PORT=9000 STATIC_DIR=static python3 server.py 9000');
    expect(runByHand({ stage: findStage(3)!, server: { kind: 'file', file }, track: 'typescript' }, 5)).toBe('STATIC_DIR="$(npm run -s site -- 3 --seed 5)" PORT=9000 npx tsx exercises/01-tcp-echo/server.ts');
  });
});
