/**
 * A failure, told once: labelled sections in the reader's language (what happened, where, sent,
 * received, difference, expected, server said, hint, try it). Wire facts become words here — a
 * `fin` ending is "the server closed the connection (FIN)" — so every report says the same thing;
 * the terminal, GitHub, Gradescope and HTML reports only style these sections. Reads results; runs
 * nothing.
 */
import { say, t, type Lang, type Text } from '../i18n.ts';
import type { CheckResult, FailureKind, WireSummary } from '../types.ts';
import { formatMs } from '../wire/conn.ts';
import type { ByteDiff } from '../wire/escape.ts';
import { connectionText } from '../wire/labels.ts';
import { FAILURE_KIND_LABEL, SECTION_LABEL, type SectionKey } from './labels.ts';
import { displayWidth } from './style.ts';

/**
 * How a line may be shown. prose: sentences, a report may wrap them · bytes: escaped byte strings,
 * which may break only between quoted strings (never inside one) · code: commands, program output,
 * hex rows and carets, shown exactly as they are.
 */
export type LineKind = 'prose' | 'bytes' | 'code';

export interface SectionLine {
  kind: LineKind;
  text: string;
}

export interface Section {
  key: SectionKey;
  /** The section's name in the reader's language. */
  label: string;
  lines: SectionLine[];
}

export interface FailureSections {
  id: string;
  title: string;
  kind: FailureKind;
  kindLabel: string;
  sections: Section[];
}

export interface SectionOptions {
  /** How the learner runs this server by hand: "Try it" then shows it as terminal 1, the client as terminal 2. */
  runByHand?: string;
  /** Output to show under "Server said" when the failure carries none (a server that never started). */
  serverOutput?: string;
}

/** How the server ended a connection, said after what it sent. */
const ENDING: Record<NonNullable<WireSummary['ending']>, Text> = {
  fin: t(', then the server closed the connection (FIN)', '，然后服务器关闭了连接（FIN）'),
  reset: t(', then the server reset the connection (RST)', '，然后服务器重置了连接（RST）'),
  flooded: t(', and it kept sending: the grader stopped reading (flooded)', '，而且还在不停地发送：评测器停止了读取（数据泛滥）'),
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A connection's name in the reader's language (the --json report gives this too). */
export function connectionName(label: string | Text, lang: Lang): string {
  return say(connectionText(label), lang);
}

/** An escaped preview and, when it shows only the first bytes, how many more there were in all. */
export function previewLine(preview: string, shown: number, total: number, lang: Lang): string {
  const rest = total - shown;
  if (rest <= 0) return preview;
  return preview + say(t(` … (+${plural(rest, 'more byte')})`, ` …（后面还有 ${rest} 字节）`), lang);
}

/**
 * The difference between expected and received bytes, worded: what differs, then two hex rows that
 * line up byte by byte under their labels.
 */
export function diffLines(d: ByteDiff, lang: Lang): string[] {
  const s = (x: Text): string => say(x, lang);
  const expectedLabel = s(t('expected', '期望'));
  const receivedLabel = s(t('received', '收到'));
  const width = Math.max(displayWidth(expectedLabel), displayWidth(receivedLabel));
  const pad = (label: string): string => label + ' '.repeat(width - displayWidth(label));
  const offsetLabel = `@${d.windowStart}`.padEnd(8);
  const ends = s(t(' (ends here)', '（到此结束）'));
  return [
    s(t(
      `expected ${plural(d.expectedLength, 'byte')}, received ${d.receivedLength}; first difference at offset ${d.offset}`,
      `期望 ${d.expectedLength} 字节，收到 ${d.receivedLength} 字节；第一处不同在偏移 ${d.offset}`,
    )),
    `  ${pad(expectedLabel)} ${offsetLabel}${d.expectedRow}${d.expectedEnds ? ends : ''}`,
    `  ${pad(receivedLabel)} ${offsetLabel}${d.receivedRow}${d.receivedEnds ? ends : ''}`,
  ];
}

/** "client 1: 3 writes, 12 bytes (4, 4, 4), then FIN (half-close)". */
function describeSent(w: WireSummary): Text {
  const name = connectionText(w.label);
  const list = w.writes <= 1 ? '' : `${w.writeSizes.join(', ')}${w.writes > w.writeSizes.length ? ', …' : ''}`;
  const after = w.resetSent
    ? t(', then reset the connection (RST)', '，然后重置了连接（RST）')
    : w.finSent
      ? t(', then FIN (half-close)', '，然后发送 FIN（半关闭）')
      : t('', '');
  return t(
    `${name.en}: ${plural(w.writes, 'write')}, ${plural(w.sentBytes, 'byte')}${list ? ` (${list})` : ''}${after.en}`,
    `${name.zh}：${w.writes} 次写入，共 ${w.sentBytes} 字节${list ? `（${list}）` : ''}${after.zh}`,
  );
}

/** "12 bytes, then the server closed the connection (FIN)", or "nothing". */
function describeReceived(w: WireSummary): Text {
  const end = w.ending ? ENDING[w.ending] : t('', '');
  if (w.receivedBytes === 0) return t(`nothing${end.en}`, `什么也没有${end.zh}`);
  return t(`${plural(w.receivedBytes, 'byte')}${end.en}`, `${w.receivedBytes} 字节${end.zh}`);
}

/** A check's failure as sections, in the order every report shows them; undefined for a pass. */
export function failureSections(r: CheckResult, lang: Lang, opts: SectionOptions = {}): FailureSections | undefined {
  const f = r.failure;
  if (!f) return undefined;
  const s = (x: Text): string => say(x, lang);
  const prose = (text: string): SectionLine => ({ kind: 'prose', text });
  const code = (text: string): SectionLine => ({ kind: 'code', text });
  const sections: Section[] = [];
  const add = (key: SectionKey, lines: SectionLine[]): void => {
    sections.push({ key, label: s(SECTION_LABEL[key]), lines });
  };

  add('happened', [prose(s(f.summary))]);
  if (f.caret) add('where', [code(f.caret.line), code(`${f.caret.caret} ${s(f.caret.note)}`)]);
  if (f.wire) {
    const w = f.wire;
    add('sent', [
      prose(s(describeSent(w))),
      ...(w.notes ?? []).map((n) => prose(`${formatMs(n.atMs)}: ${s(n.text)}`)),
      ...(w.sentBytes > 0 ? [{ kind: 'bytes' as const, text: previewLine(w.sentPreview, w.sentPreviewBytes, w.sentBytes, lang) }] : []),
    ]);
    const received = previewLine(w.receivedPreview, w.receivedPreviewBytes, w.receivedBytes, lang);
    add('received', [prose(s(describeReceived(w))), ...(w.receivedBytes > 0 ? [{ kind: 'bytes' as const, text: received }] : [])]);
  }
  // The first line says what differs; the rows under it line up byte by byte.
  if (f.diff) {
    const [what, ...rows] = diffLines(f.diff, lang);
    add('difference', [prose(what!), ...rows.map(code)]);
  }
  if (f.expected) add('expected', [prose(s(f.expected))]);
  const output = (f.serverOutput ?? opts.serverOutput ?? '').replace(/\n+$/, '');
  if (output) add('output', output.split('\n').map(code));
  if (f.hint) add('hint', [prose(s(f.hint))]);
  if (f.reproduce) {
    add(
      'tryIt',
      opts.runByHand
        ? [code(`${opts.runByHand}   ${s(t('# terminal 1', '# 终端 1'))}`), code(`${f.reproduce}   ${s(t('# terminal 2', '# 终端 2'))}`)]
        : [code(f.reproduce)],
    );
  }
  return { id: r.id, title: s(r.title), kind: f.kind, kindLabel: s(FAILURE_KIND_LABEL[f.kind]), sections };
}

/** Runs of prose and of verbatim lines (bytes, code), so a report can make paragraphs and code blocks. */
export function lineGroups(lines: readonly SectionLine[]): { prose: boolean; lines: string[] }[] {
  const groups: { prose: boolean; lines: string[] }[] = [];
  for (const l of lines) {
    const prose = l.kind === 'prose';
    const last = groups[groups.length - 1];
    if (last && last.prose === prose) last.lines.push(l.text);
    else groups.push({ prose, lines: [l.text] });
  }
  return groups;
}
