/**
 * The finder behind "Chinese output holds no English of its own": test/stages.test.ts renders the
 * zh-CN report of every fixture of every stage it grades (report/terminal.ts) and asserts that what
 * is left once the things that are the same in every language are taken out (test/zh-words.ts) is
 * Chinese. Here: that the finder finds English, and lets the rest pass.
 */
import { describe, expect, it } from 'vitest';
import { t } from '../grader/i18n.ts';
import type { StageResult } from '../grader/types.ts';
import { englishIn } from './zh-words.ts';

describe('the English finder', () => {
  it('finds English in a Chinese message, and lets bytes, commands, files and protocol tokens pass', () => {
    const result = (summary: string): StageResult => ({
      stage: 2, slug: '02-fixed-page', title: t('a page', '一个网页'), seed: 1, score: 0, maxScore: 1, passed: false, startMs: 1, durationMs: 1,
      checks: [{ id: '2.1', title: t('GET /', 'GET /'), passed: false, points: 0, maxPoints: 1, durationMs: 1, failure: { kind: 'wrong', summary: t('x', summary), reproduce: 'node -e \'s.end("GET / HTTP/1.1")\'' } }],
    });
    expect(englishIn(result('GET /index.html 的响应：状态码是 404 Not Found，"HTTP/1.1 404\\r\\n" 用 socket.end() 关闭，等了 2.5 s、4 MiB'))).toEqual([]);
    expect([...new Set(englishIn(result('服务器 closed the connection，应该是 200 or 204')))]).toEqual(['closed', 'the', 'connection', 'or']);
    // A header with its value is protocol; a connection's English name is not.
    expect(englishIn(result('GET /a (If-Modified-Since: Sat, 19 Mar 2033 00:10:58 GMT) 的响应：状态码是 200 OK'))).toEqual([]);
    expect([...new Set(englishIn(result('client 3 (stops reading) 发送了 5 字节')))]).toEqual(['client', 'stops', 'reading']);
    // A chat name the grader sent, quoted once, may stand unquoted later, "-" and all; other words may not.
    expect(englishIn(result('客户端 1（tm-hr） 发送名字 "tm-hr\\n" 之后：服务器把 tm-hr 断开了'))).toEqual([]);
    expect(englishIn(result('客户端 3（tm-hr） 的第 2/12 条消息：tm-hr 只发了 4 行'))).toEqual([]);
    expect([...new Set(englishIn(result('客户端 3（stops reading） 发送了 5 字节')))]).toEqual(['stops', 'reading']);
    expect([...new Set(englishIn(result('客户端 1 发送名字 "tm-hr\\n" 之后：服务器把 tm-ab 断开了')))]).toEqual(['tm-ab']);
  });
});
