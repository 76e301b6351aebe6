/**
 * The words every report shares: what kind of failure a check had and what each part of a failure
 * is called. One table, so the terminal, GitHub, Gradescope and the class report never disagree.
 */
import { isChinese, t, type Lang, type Text } from '../i18n.ts';
import type { FailureKind } from '../types.ts';

export const FAILURE_KIND_LABEL: Record<FailureKind, Text> = {
  wrong: t('wrong answer', '结果不对'),
  hung: t('hung', '卡住了'),
  crashed: t('crashed', '崩溃'),
  'closed-early': t('closed early', '过早关闭'),
  reset: t('connection reset', '连接被重置'),
  flooded: t('flooded', '数据泛滥'),
  'not-closed': t('never closed', '没有关闭'),
  'not-started': t('did not start', '没有启动'),
  'grader-error': t('grader error', '评测器错误'),
};

/** The parts of a failure, in the order every report shows them. */
export const SECTION_KEYS = ['happened', 'where', 'sent', 'received', 'difference', 'expected', 'output', 'hint', 'tryIt'] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];

export const SECTION_LABEL: Record<SectionKey, Text> = {
  happened: t('What happened', '发生了什么'),
  where: t('Where', '位置'),
  sent: t('Sent', '发送'),
  received: t('Received', '收到'),
  difference: t('Difference', '差异'),
  expected: t('Expected', '期望'),
  output: t('Server said', '服务器输出'),
  hint: t('Hint', '提示'),
  tryIt: t('Try it', '动手试试'),
};

/** Said before the reason when a stage's server never got to listen. */
export const SERVER_DID_NOT_START = t('The server did not start: ', '服务器没有启动：');

/** A label followed by the colon of its language: "Sent:", "发送：". */
export function withColon(label: string, lang: Lang): string {
  return label + (isChinese(lang) ? '：' : ':');
}

/** A label and what it introduces: "Hint: …", "提示：…" (a full-width colon needs no space). */
export function labelled(label: string, text: string, lang: Lang): string {
  return isChinese(lang) ? `${label}：${text}` : `${label}: ${text}`;
}
