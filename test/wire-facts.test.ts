/**
 * Every number a learner reads about the wire is true, in the reader's language: a transcript keeps
 * only the first 64 KiB of each direction, but previews say how many bytes really went beyond what
 * they show; byte differences are facts that the report words; connection names are translated.
 */
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeWire } from '../grader/failure.ts';
import { t } from '../grader/i18n.ts';
import { connectionName, diffLines, failureSections, previewLine } from '../grader/report/sections.ts';
import { renderDetails } from '../grader/report/terminal.ts';
import type { CheckResult, Failure, StageResult } from '../grader/types.ts';
import { Conn, type WireEvent } from '../grader/wire/conn.ts';
import { byteDiff, escapeBytes, escapePreview } from '../grader/wire/escape.ts';
import { grade, repoRoot } from './helpers.ts';

/** A Conn as summarizeWire sees it: events as the transcript keeps them, and exact totals. */
function fakeConn(o: { events: (WireEvent extends infer E ? (E extends WireEvent ? Omit<E, 'at'> : never) : never)[]; sentTotal: number; receivedTotal: number; label?: string }): Conn {
  return { events: o.events.map((e, i) => ({ ...e, at: i })), sentTotal: o.sentTotal, receivedTotal: o.receivedTotal, labelText: o.label ?? 'client 1', label: o.label ?? 'client 1' } as unknown as Conn;
}

const KEPT = 64 * 1024;

/** The sections of a failure carrying this wire summary, one string per line. */
function sectionText(failure: Failure, lang: 'en' | 'zh-CN'): string {
  const r: CheckResult = { id: '9.9', title: t('a check', '一项检查'), passed: false, points: 0, maxPoints: 1, durationMs: 1, failure };
  return failureSections(r, lang)!.sections.flatMap((s) => [s.label, ...s.lines.map((l) => l.text)]).join('\n');
}

describe('previews count what really went over the wire', () => {
  it('an 8 MiB echo whose transcript kept 64 KiB says how many bytes were not shown, in both languages', () => {
    const size = 8 * 1024 * 1024 + 1234;
    const received = 15_214_576;
    const conn = fakeConn({
      events: [
        { kind: 'connect' },
        { kind: 'send', bytes: Buffer.alloc(KEPT, 0x61), size },
        { kind: 'fin-sent' },
        { kind: 'recv', bytes: Buffer.alloc(KEPT, 0x62) },
        { kind: 'fin-received' },
      ],
      sentTotal: size,
      receivedTotal: received,
    });
    const w = summarizeWire(conn);
    expect(w.sentBytes).toBe(size);
    expect(w.receivedBytes).toBe(received);
    expect(w.sentPreviewBytes).toBe(160);
    expect(w.sentPreview).toBe(`"${'a'.repeat(160)}"`);
    const en = sectionText({ kind: 'wrong', summary: t('x', 'x'), wire: w }, 'en');
    expect(en).toContain(`client 1: 1 write, ${size} bytes, then FIN (half-close)`);
    expect(en).toContain(`"${'a'.repeat(160)}" … (+${size - 160} more bytes)`);
    expect(en).toContain(`${received} bytes, then the server closed the connection (FIN)`);
    expect(en).toContain(`"${'b'.repeat(160)}" … (+${received - 160} more bytes)`);
    // The count of what the transcript happened to keep is nowhere.
    expect(en).not.toContain(String(KEPT - 160));
    const zh = sectionText({ kind: 'wrong', summary: t('x', 'x'), wire: w }, 'zh-CN');
    expect(zh).toContain(`客户端 1：1 次写入，共 ${size} 字节，然后发送 FIN（半关闭）`);
    expect(zh).toContain(`"${'a'.repeat(160)}" …（后面还有 ${size - 160} 字节）`);
    expect(zh).toContain(`"${'b'.repeat(160)}" …（后面还有 ${received - 160} 字节）`);
    expect(zh).not.toMatch(/more|bytes/);
  });

  it('a preview that shows everything says nothing more; one byte more is "1 more byte"', () => {
    expect(previewLine('"abc"', 3, 3, 'en')).toBe('"abc"');
    expect(previewLine('"abc"', 3, 4, 'en')).toBe('"abc" … (+1 more byte)');
    expect(previewLine('"abc"', 3, 4, 'zh-CN')).toBe('"abc" …（后面还有 1 字节）');
  });

  it('a preview never cuts a UTF-8 character in half, and counts in bytes', () => {
    const text = Buffer.from('你好'.repeat(100)); // 600 bytes, 3 per character
    const p = escapePreview(text, 160);
    expect(p.bytes).toBe(159);
    expect(p.text).toBe(`"${'你好'.repeat(26)}你"`);
    expect(escapeBytes(text, 160)).toBe(`"${'你好'.repeat(26)}你" … (+441 B)`);
  });

  it('a real connection that gets back a large stream, mangled and longer than what was sent, is summed exactly', async () => {
    // Doubles every byte: 1 MiB + 7 sent, twice that back, far beyond what a transcript keeps.
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      s.on('data', (d: Buffer) => s.write(Buffer.concat([d, d])));
      s.on('end', () => s.end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const conn = await Conn.open({ host: '127.0.0.1', port, label: 'client 3 (resets)' });
      // The name a check can write into its own messages, in both languages.
      expect(conn.name).toEqual(t('client 3 (resets)', '客户端 3（会重置连接）'));
      const size = 1024 * 1024 + 7;
      await conn.send(Buffer.alloc(size, 0x7a));
      conn.end();
      const { data, how } = await conn.readToEnd(10_000);
      expect(how).toBe('fin');
      expect(data.length).toBe(2 * size);
      const w = summarizeWire(conn);
      expect([w.sentBytes, w.receivedBytes]).toEqual([size, 2 * size]);
      const en = sectionText({ kind: 'wrong', summary: t('x', 'x'), wire: w }, 'en');
      expect(en).toContain(`client 3 (resets): 1 write, ${size} bytes, then FIN (half-close)`);
      expect(en).toContain(`(+${size - 160} more bytes)`);
      expect(en).toContain(`(+${2 * size - 160} more bytes)`);
      const zh = sectionText({ kind: 'wrong', summary: t('x', 'x'), wire: w }, 'zh-CN');
      expect(zh).toContain(`客户端 3（会重置连接）：1 次写入，共 ${size} 字节`);
      expect(zh).toContain(`（后面还有 ${2 * size - 160} 字节）`);
    } finally {
      server.close();
    }
  });
});

describe('a byte difference is facts, worded by the report', () => {
  it('gives lengths, the offset and aligned hex rows; the wording follows the language', () => {
    const d = byteDiff(Buffer.from('HTTP/1.1 200 OK\r\n'), Buffer.from('HTTP/1.1 200 OK\n'))!;
    expect(d).toMatchObject({ expectedLength: 17, receivedLength: 16, offset: 15, windowStart: 11, expectedEnds: false, receivedEnds: false });
    expect(diffLines(d, 'en')).toEqual([
      'expected 17 bytes, received 16; first difference at offset 15',
      '  expected @11      30  20  4f  4b [0d] 0a',
      '  received @11      30  20  4f  4b [0a]',
    ]);
    const zh = diffLines(d, 'zh-CN');
    expect(zh[0]).toBe('期望 17 字节，收到 16 字节；第一处不同在偏移 15');
    expect(zh[1]).toMatch(/^ {2}期望 @11 +.*\[0d\] 0a$/);
    expect(zh[2]).toMatch(/^ {2}收到 @11 +.*\[0a\]$/);
    // The rows line up byte by byte: the bracketed cells start in the same column.
    expect(zh[1]!.indexOf('[')).toBe(zh[2]!.indexOf('['));
    expect(diffLines(d, 'en')[1]!.indexOf('[')).toBe(diffLines(d, 'en')[2]!.indexOf('['));
  });

  it('says where one side ended, in the reader\'s language', () => {
    const d = byteDiff(Buffer.from('hello\n'), Buffer.from('hel'))!;
    expect(d).toMatchObject({ offset: 3, receivedEnds: true, expectedEnds: false });
    expect(diffLines(d, 'en')[2]).toMatch(/ \(ends here\)$/);
    expect(diffLines(d, 'zh-CN')[2]).toMatch(/（到此结束）$/);
    expect(byteDiff(Buffer.from('same'), Buffer.from('same'))).toBeUndefined();
  });
});

describe('connection names', () => {
  it('are translated from the English shapes checks pass, remarks only when known', () => {
    const zh = (label: string): string => connectionName(label, 'zh-CN');
    expect(zh('client')).toBe('客户端');
    expect(zh('client 2')).toBe('客户端 2');
    expect(zh('client 3 of 8')).toBe('客户端 3/8');
    expect(zh('client 1 (over-long request line)')).toBe('客户端 1（请求行过长）');
    expect(zh('client (GET /a.txt)')).toBe('客户端（GET /a.txt）');
    expect(zh('client 2 (HTTP/1.0)')).toBe('客户端 2（HTTP/1.0）');
    expect(zh('client 4 (also Ann)')).toBe('客户端 4（也叫 Ann）');
    // Unknown remarks and other shapes are left as the check wrote them.
    expect(zh('client 5 (something new)')).toBe('客户端 5（something new）');
    expect(zh('watcher')).toBe('watcher');
    expect(connectionName('client 1 (resets)', 'en')).toBe('client 1 (resets)');
    expect(connectionName('client 1 (resets)', 'zh-TW')).toBe('客戶端 1（會重置連線）');
    expect(connectionName(t('the slow one', '慢的那个'), 'zh-CN')).toBe('慢的那个');
  });
});

describe('check 1.9 against real servers that mangle a big echo', () => {
  const fixture = path.join(repoRoot, 'test', 'fixtures', 'wire', 'mangles-and-stays-open.ts');

  /** The terminal report of one stage result, in one language. */
  const report = (r: StageResult, lang: 'en' | 'zh-CN'): string => renderDetails(r, { lang, color: false, width: 200, verbose: true });

  it('as many bytes back as were sent, none right, connection left open: not "echoed all"', async () => {
    const r = await grade(1, fixture, 3, { only: ['1.9'] });
    const f = r.checks[0]!.failure!;
    const w = f.wire!;
    expect(w.receivedBytes).toBe(w.sentBytes);
    expect(w.sentBytes).toBeGreaterThan(8 * 1024 * 1024);
    expect(f.kind).toBe('wrong');
    expect(f.summary.en).toBe(`the ${w.receivedBytes} bytes that came back are not the ${w.sentBytes} we sent, and 3 s after our FIN the connection was still open`);
    expect(f.summary.zh).toBe(`返回的 ${w.receivedBytes} 字节和我们发送的 ${w.sentBytes} 字节不一样，而且我们发出 FIN 3 秒后连接仍然开着`);
    expect(f.summary.en).not.toMatch(/\ball\b/);
    expect(f.summary.zh).not.toContain('全部');
    expect(f.diff).toMatchObject({ expectedLength: w.sentBytes, receivedLength: w.receivedBytes, offset: 0 });
    const en = report(r, 'en');
    expect(en).toContain(`(+${w.sentBytes - w.sentPreviewBytes} more bytes)`);
    expect(en).toContain(`(+${w.receivedBytes - w.receivedPreviewBytes} more bytes)`);
    expect(en).toContain(`expected ${w.sentBytes} bytes, received ${w.receivedBytes}; first difference at offset 0`);
    const zh = report(r, 'zh-CN');
    expect(zh).toContain(`（后面还有 ${w.receivedBytes - w.receivedPreviewBytes} 字节）`);
    expect(zh).toContain(`期望 ${w.sentBytes} 字节，收到 ${w.receivedBytes} 字节；第一处不同在偏移 0`);
  });

  it('a server that decodes the echo as text sends back far more than it got, and is told so with true counts', async () => {
    const r = await grade(1, path.join(repoRoot, 'test', 'fixtures', '01-tcp-echo', 'decodes-as-text.ts'), 3, { only: ['1.9'] });
    const f = r.checks[0]!.failure!;
    const w = f.wire!;
    expect(w.receivedBytes).toBeGreaterThan(w.sentBytes); // U+FFFD is 3 bytes for each bad one
    expect(f.kind).toBe('wrong');
    expect(f.summary.en).toMatch(new RegExp(`^the ${w.receivedBytes} bytes that came back are not the ${w.sentBytes} we sent, then the server closed the connection$`));
    expect(f.summary.en).not.toMatch(/\ball\b|echoing \d+ of/);
    const en = report(r, 'en');
    expect(en).toContain(`${w.receivedBytes} bytes, then the server closed the connection (FIN)`);
    expect(en).toContain(`(+${w.receivedBytes - w.receivedPreviewBytes} more bytes)`);
    expect(en).not.toContain(`(+${KEPT - w.receivedPreviewBytes} more bytes)`);
  });
});
