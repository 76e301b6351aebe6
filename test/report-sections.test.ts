/**
 * One failure model, many styles: a failure carrying every section is rendered by the terminal,
 * GitHub, Gradescope and HTML reports, in English and Chinese. Each must show every section's label
 * and content, the kind label from the one table, and wire facts in words — never the raw `fin` or
 * `reset` tokens of the transcript.
 */
import { describe, expect, it } from 'vitest';
import { say, t, type Lang } from '../grader/i18n.ts';
import { githubAnnotations, githubSummary } from '../grader/report/github.ts';
import { checkOutput } from '../grader/report/gradescope.ts';
import { classReportHtml } from '../grader/report/html.ts';
import { FAILURE_KIND_LABEL, SECTION_KEYS, SECTION_LABEL } from '../grader/report/labels.ts';
import { diffLines } from '../grader/report/sections.ts';
import { renderDetails } from '../grader/report/terminal.ts';
import type { ClassResult } from '../grader/results.ts';
import type { CheckResult, Failure, FailureKind, StageResult, WireSummary } from '../grader/types.ts';
import { byteDiff } from '../grader/wire/escape.ts';
import { nodeClient } from '../grader/wire/reproduce.ts';

const wire = (over: Partial<WireSummary>): WireSummary => ({
  label: 'client 1',
  writes: 2,
  sentBytes: 18,
  writeSizes: [9, 9],
  sentPreview: '"GET / HTTP/1.1\\r\\n\\r\\n"',
  sentPreviewBytes: 18,
  finSent: true,
  resetSent: false,
  receivedBytes: 17,
  receivedPreview: '"HTTP/1.1 200 OK\\n"',
  receivedPreviewBytes: 17,
  ending: 'fin',
  elapsedMs: 12,
  ...over,
});

/** Every section a failure can have, with content that is easy to find again in any format. */
const everything: Failure = {
  kind: 'wrong',
  summary: t('the status line ended in a bare LF', '状态行以单独的 LF 结尾'),
  caret: { line: '"HTTP/1.1 200 OK\\n"', caret: ' '.repeat(16) + '^', note: t('expected CRLF here', '这里应该是 CRLF') },
  wire: wire({}),
  diff: byteDiff(Buffer.from('HTTP/1.1 200 OK\r\n'), Buffer.from('HTTP/1.1 200 OK\n'))!,
  expected: t('a status line ending in CRLF', '以 CRLF 结尾的状态行'),
  serverOutput: 'listening on 9000\nError: boom\n    at handler (server.ts:3:9)',
  hint: t('End every head line with a CR LF pair', '每一行头部都要以 CR LF 结尾'),
  reproduce: nodeClient([Buffer.from('GET / HTTP/1.1\r\n\r\n')]),
};

const resetFailure: Failure = {
  kind: 'reset',
  summary: t('the connection was torn down mid-reply', '回复到一半连接被断开了'),
  wire: wire({ finSent: false, resetSent: true, ending: 'reset', receivedBytes: 4, receivedPreview: '"HTTP"', receivedPreviewBytes: 4 }),
};

const check = (id: string, failure: Failure): CheckResult => ({
  id,
  title: t(`check ${id} title`, `检查 ${id} 的标题`),
  passed: false,
  points: 0,
  maxPoints: 1,
  durationMs: 5,
  failure,
});

const checks = [check('1.2', everything), check('1.3', resetFailure)];
const stage: StageResult = {
  stage: 1,
  slug: '01-tcp-echo',
  title: t('TCP echo', 'TCP 回显'),
  seed: 7,
  score: 0,
  maxScore: 2,
  passed: false,
  checks,
  startMs: 10,
  durationMs: 100,
};
const classResult: ClassResult = {
  classSeed: 1,
  startedAt: new Date(0).toISOString(),
  durationMs: 1000,
  jobs: 1,
  limits: { stageMs: 20_000, studentMs: 45_000, memoryBytes: 1 << 28, listenMs: 6000 },
  sandbox: { kind: 'none', note: t('Not sandboxed: a test', '没有沙箱：测试') },
  stages: [{ number: 1, slug: stage.slug, title: stage.title, maxScore: 2, checks: checks.map((c) => ({ id: c.id, title: c.title, points: 1, teacherOnly: false })) }],
  students: [{ id: 'ana', repo: '/tmp/ana', seed: 7, status: 'ok', problems: [], stages: [stage], score: 0, maxScore: 2, durationMs: 100 }],
};

const RUN_BY_HAND = 'PORT=9000 npx tsx server.ts';

function unescapeHtml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

/** Each report, as the reader gets it (HTML with its escapes undone, so content can be found). */
function renderAll(lang: Lang): Record<string, string> {
  return {
    terminal: renderDetails(stage, { lang, color: false, width: 200, verbose: true, runByHand: RUN_BY_HAND }),
    github: githubSummary([stage], 7, lang),
    gradescope: checks.map((c) => checkOutput(c, lang)).join('\n\n'),
    html: unescapeHtml(classReportHtml(classResult, { lang })),
  };
}

/** What the reader must find for the failure with every section, besides the section labels. */
function contents(lang: Lang): string[] {
  const s = (x: Parameters<typeof say>[0]): string => say(x, lang);
  const f = everything;
  return [
    s(FAILURE_KIND_LABEL.wrong),
    s(FAILURE_KIND_LABEL.reset),
    s(f.summary),
    f.caret!.line,
    `^ ${s(f.caret!.note)}`,
    lang === 'en' ? 'client 1: 2 writes, 18 bytes (9, 9), then FIN (half-close)' : '客户端 1：2 次写入，共 18 字节（9, 9），然后发送 FIN（半关闭）',
    f.wire!.sentPreview,
    lang === 'en' ? '17 bytes, then the server closed the connection (FIN)' : '17 字节，然后服务器关闭了连接（FIN）',
    f.wire!.receivedPreview,
    lang === 'en' ? '4 bytes, then the server reset the connection (RST)' : '4 字节，然后服务器重置了连接（RST）',
    lang === 'en' ? ', then reset the connection (RST)' : '，然后重置了连接（RST）',
    ...diffLines(f.diff!, lang).map((l) => l.trim()),
    s(f.expected!),
    ...f.serverOutput!.split('\n').map((l) => l.trim()),
    s(f.hint!),
    f.reproduce!,
  ];
}

describe('one failure model, every style', () => {
  for (const lang of ['en', 'zh-CN'] as const) {
    const reports = renderAll(lang);
    for (const [format, text] of Object.entries(reports)) {
      it(`${format} (${lang}) shows every section's label and content`, () => {
        for (const key of SECTION_KEYS) expect(text, `${format} lacks the label of "${key}"`).toContain(say(SECTION_LABEL[key], lang));
        for (const piece of contents(lang)) expect(text, `${format} lacks ${piece}`).toContain(piece);
      });

      it(`${format} (${lang}) says how connections ended in words, never the raw tokens`, () => {
        expect(text).not.toMatch(/\bfin\b/);
        // "reset" only inside a phrase that says who reset what.
        const bare = text.replaceAll('reset the connection', '').replaceAll('connection reset', '');
        expect(bare).not.toMatch(/\breset\b/);
      });
    }

    it(`the annotations (${lang}) say what happened, what was expected and the hint`, () => {
      const a = githubAnnotations([stage], lang);
      for (const key of ['expected', 'hint'] as const) expect(a).toContain(say(SECTION_LABEL[key], lang));
      for (const x of [everything.summary, everything.expected!, everything.hint!]) expect(a).toContain(say(x, lang));
      expect(a).toContain(say(FAILURE_KIND_LABEL.wrong, lang));
    });
  }

  it('Chinese output carries no English words of its own: only bytes, commands and output it quotes', () => {
    const quoted = [...contents('zh-CN'), resetFailure.wire!.receivedPreview, RUN_BY_HAND, stage.slug, 'socklab', 'npm run grade -- --seed 7'];
    for (const [format, text] of Object.entries(renderAll('zh-CN'))) {
      if (format === 'html') continue; // its markup and stylesheet are English by nature
      let rest = text;
      for (const q of [...quoted].sort((a, b) => b.length - a.length)) rest = rest.replaceAll(q, '');
      // FIN and RST are the names of TCP's flags, ms a unit; text, details and summary are Markdown's.
      const words = (rest.match(/[A-Za-z]{2,}/g) ?? []).filter((w) => !['FIN', 'RST', 'TCP', 'ms', 'text', 'details', 'summary'].includes(w));
      expect(words, format).toEqual([]);
    }
  });

  it('every kind of failure is called by the one table\'s label, in the language asked for, in every format', () => {
    for (const kind of Object.keys(FAILURE_KIND_LABEL) as FailureKind[]) {
      const one = check('1.2', { kind, summary: t('something went wrong', '出了点问题') });
      const st: StageResult = { ...stage, checks: [one] };
      for (const lang of ['en', 'zh-CN'] as const) {
        const label = say(FAILURE_KIND_LABEL[kind], lang);
        const html = classReportHtml({ ...classResult, students: [{ ...classResult.students[0]!, stages: [st] }] }, { lang });
        const shown = {
          terminal: renderDetails(st, { lang, color: false, width: 200 }),
          github: githubSummary([st], 7, lang) + githubAnnotations([st], lang),
          gradescope: checkOutput(one, lang),
          html: unescapeHtml(html.slice(html.indexOf('<div class="failure"'))),
        };
        for (const [format, text] of Object.entries(shown)) expect(text, `${format} ${lang} ${kind}`).toContain(label);
      }
    }
  });
});
