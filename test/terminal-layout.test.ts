/**
 * How the terminal report is laid out for a reader: lines wrap by display width (a Chinese
 * character is two columns), never start with closing punctuation, never break inside code, a
 * quoted byte string or a command; and a failure with the same cause as an earlier one is one line
 * pointing at it instead of the whole story again (real gradings of the stage 1 and 2 skeletons).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { t } from '../grader/i18n.ts';
import { causeOf, repeatedCauses } from '../grader/report/repeats.ts';
import { displayWidth, wrap } from '../grader/report/style.ts';
import { renderDetails, type TerminalOptions } from '../grader/report/terminal.ts';
import type { CheckResult, Failure, StageResult } from '../grader/types.ts';
import { exerciseFile, fixtureFile, grade } from './helpers.ts';

const NO_START = /^[。，、）：；！？」』]/;

const HINT_ZH =
  '先亲眼看看它哪里不对：在一个终端运行 PORT=9000 npx tsx exercises/01-tcp-echo/server.ts，在另一个终端运行 nc 127.0.0.1 9000，然后随便输入一行。骨架代码一连上就挂断了——要替换的就是那行 `socket.end()`。收到的是 "hello\\n"（6 字节），不是“hello”。';
const HINT_EN =
  'Look at it yourself first: run PORT=9000 npx tsx exercises/01-tcp-echo/server.ts in one terminal and nc 127.0.0.1 9000 in another, then type a line; the reply should be "hello\\n" and nothing else.';
const UNBREAKABLE = ['PORT=9000 npx tsx exercises/01-tcp-echo/server.ts', 'nc 127.0.0.1 9000', '`socket.end()`', '"hello\\n"'];

describe('wrap', () => {
  it('fits every line in the width, counting a Chinese character as two columns', () => {
    for (let width = 24; width <= 80; width += 7) {
      for (const line of wrap(HINT_ZH, width)) {
        // Only an unbreakable command longer than the line may stick out, and then it stands alone.
        if (displayWidth(line) > width) expect(UNBREAKABLE.some((u) => line.startsWith(u)), `${width}: ${line}`).toBe(true);
      }
    }
    // Nothing is lost or added but the breaks.
    expect(wrap(HINT_ZH, 30).join('').replace(/\s/g, '')).toBe(HINT_ZH.replace(/\s/g, ''));
  });

  it('never starts a line with 。，、）：；！？」』, and never leaves （「 at the end of one', () => {
    const text = '服务器关闭了连接（FIN）。客户端说：“我说完了”！为什么？因为「半关闭」之后，还可以继续发送数据，所以要等到客户端的 FIN，再关闭自己这一侧；对吧？';
    let tested = 0;
    for (let width = 6; width <= 40; width++) {
      const lines = wrap(text, width);
      for (const [i, line] of lines.entries()) {
        if (i > 0) expect(line, `width ${width}`).not.toMatch(NO_START);
        expect(line, `width ${width}`).not.toMatch(/[（「『]$/);
        tested++;
      }
    }
    expect(tested).toBeGreaterThan(100);
  });

  it('never breaks inside inline code, a quoted byte string or a command written in the text', () => {
    for (const text of [HINT_ZH, HINT_EN]) {
      for (let width = 20; width <= 90; width += 3) {
        const lines = wrap(text, width);
        for (const u of UNBREAKABLE) if (text.includes(u)) expect(lines.some((l) => l.includes(u)), `${width}: ${u}\n${lines.join('\n')}`).toBe(true);
      }
    }
    // An English command ends where the prose resumes: "in one terminal" is not part of it.
    expect(wrap(HINT_EN, 50)).toContain('PORT=9000 npx tsx exercises/01-tcp-echo/server.ts');
  });
});

const opts = (lang: TerminalOptions['lang'], width: number, extra: Partial<TerminalOptions> = {}): TerminalOptions => ({ lang, color: false, width, ...extra });

describe('a Chinese failure in the terminal', () => {
  let result: StageResult;
  beforeAll(async () => {
    result = await grade(1, fixtureFile('01-tcp-echo', 'adds-newline.ts'), 7, { only: ['1.1', '1.4'] });
  }, 120_000);

  it('keeps prose inside the terminal width whatever the labels are (measured in columns, not characters)', () => {
    expect(result.passed).toBe(false);
    for (const lang of ['zh-CN', 'zh-TW', 'en'] as const) {
      for (const width of [60, 80, 100, 120]) {
        const text = renderDetails(result, opts(lang, width, { verbose: true, runByHand: 'PORT=9000 npx tsx test/fixtures/01-tcp-echo/adds-newline.ts' }));
        for (const line of text.split('\n')) {
          // Code (Try it), escaped bytes and hex rows are never wrapped; everything else must fit.
          if (/PORT=9000|printf|node -e|^\s+"|"$|@\d+ /.test(line)) continue;
          expect(displayWidth(line), `${lang} ${width}: ${line}`).toBeLessThanOrEqual(width);
        }
        // …and no line is a stray word or digit on its own (what a too-wide line made of the next one).
        for (const line of text.split('\n')) expect(line, `${lang} ${width}`).not.toMatch(/^\s+\S{1,2}$/);
      }
    }
  });

  it('emits the "Try it" commands unbroken, each on one line', () => {
    const failures = result.checks.filter((c) => c.failure?.reproduce);
    expect(failures.length).toBeGreaterThan(0);
    const text = renderDetails(result, opts('zh-CN', 40, { verbose: true }));
    for (const c of failures) expect(text.split('\n').some((l) => l.trimEnd().endsWith(`  ${c.failure!.reproduce}`)), c.id).toBe(true);
  });
});

/** A failed check with just what the rule looks at. */
function failed(id: string, failure: Partial<Failure>): CheckResult {
  return { id, title: t(`check ${id}`, `检查 ${id}`), passed: false, points: 0, maxPoints: 1, durationMs: 1, failure: { kind: 'wrong', summary: t('', ''), ...failure } };
}

const wire = (received: string, receivedBytes = received.length) => ({
  label: 'client',
  writes: 1,
  writeSizes: [3],
  sentBytes: 3,
  sentPreview: '"abc"',
  sentPreviewBytes: 3,
  finSent: false,
  resetSent: false,
  receivedBytes,
  receivedPreview: `"${received}"`,
  receivedPreviewBytes: receivedBytes,
  elapsedMs: 5,
});

describe('the same cause', () => {
  it('is the same kind and the same summary without what is specific to one request', () => {
    expect(causeOf('the echo of 24 bytes: the server closed the connection while we waited for 24 bytes; nothing arrived')).toBe(
      causeOf('the echo to client 1 of 5: the server closed the connection while we waited for 1 byte; nothing arrived'),
    );
    const same = repeatedCauses([
      failed('1.1', { kind: 'closed-early', summary: t('the echo of 24 bytes: the server closed the connection', '…') }),
      failed('1.2', { kind: 'closed-early', summary: t('256 bytes, one of each value (shuffled): the server closed the connection', '…') }),
      failed('1.3', { kind: 'hung', summary: t('the echo of 24 bytes: the server closed the connection', '…') }),
      failed('1.4', { kind: 'closed-early', summary: t('the echo of 24 bytes: the server reset the connection', '…') }),
    ]);
    expect([...same]).toEqual([['1.2', '1.1']]);
  });

  it('or the same bytes received and the same hint; the same bytes with another hint is another cause', () => {
    const reply = wire('HTTP/1.0 200 OK\\r\\n\\r\\n');
    const same = repeatedCauses([
      failed('2.1', { summary: t('GET /: the status line says HTTP/1.0', '…'), wire: reply, hint: t('Answer HTTP/1.1.', '回应 HTTP/1.1。') }),
      failed('2.2', { summary: t('GET /a: no Content-Length', '…'), wire: reply, hint: t('Answer HTTP/1.1.', '回应 HTTP/1.1。') }),
      failed('2.3', { summary: t('GET /b: no Content-Type', '…'), wire: reply, hint: t('Send a Content-Type.', '发送 Content-Type。') }),
    ]);
    expect([...same]).toEqual([['2.2', '2.1']]);
  });

  describe('in a real grading of the stage 2 skeleton', () => {
    let result: StageResult;
    beforeAll(async () => {
      result = await grade(2, exerciseFile('02-fixed-page'), 3);
    }, 180_000);

    it('tells the cause once in full, and each repeat in one line that names the first', () => {
      const failures = result.checks.filter((c) => !c.passed);
      expect(failures.length).toBeGreaterThan(5);
      const text = renderDetails(result, opts('en', 100));
      const story = 'the server closed the connection without sending any response';
      expect(text.replace(/\s*\n\s+/g, ' ').split(story).length - 1, text).toBe(1);
      const first = failures.find((c) => c.failure!.summary.en.includes(story))!;
      const repeats = text.split('\n').filter((l) => / — same cause as /.test(l));
      expect(repeats.filter((l) => l.endsWith(`— same cause as ${first.id}`)).length).toBeGreaterThan(2);
      for (const line of repeats) expect(line).toMatch(/^✘ 2\.\d+ .+ {2}\(closed early\) — same cause as 2\.\d+$/);
      // Every failure is accounted for: in full, as a repeat, or in the "more failures" count.
      const inFull = (text.match(/^ {2}What happened/gm) ?? []).length;
      const more = Number(/\((\d+) more failures? above/.exec(text)?.[1] ?? 0);
      expect(inFull + repeats.length + more).toBe(failures.length);
      // --verbose still shows every one in full.
      expect((renderDetails(result, opts('en', 100, { verbose: true })).match(/^ {2}What happened/gm) ?? []).length).toBe(failures.length);
    });

    it('in Chinese, and in watch mode (one cause in full)', () => {
      const zh = renderDetails(result, opts('zh-CN', 100, { fullFailures: 1 }));
      expect((zh.match(/^ {2}发生了什么/gm) ?? []).length).toBe(1);
      expect(zh).toMatch(/^✘ 2\.\d+ .+——原因同 2\.\d+$/m);
      const tw = renderDetails(result, opts('zh-TW', 100, { fullFailures: 1 }));
      expect(tw).toMatch(/^✘ 2\.\d+ .+——原因同 2\.\d+$/m);
    });
  });
});
