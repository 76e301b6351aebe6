/** Words shared by every report: what kind of failure a check had. */
import { t, type Text } from '../i18n.ts';
import type { FailureKind } from '../types.ts';

export const FAILURE_KIND_LABEL: Record<FailureKind, Text> = {
  wrong: t('wrong answer', '结果不对'),
  hung: t('hung', '卡住了'),
  crashed: t('crashed', '崩溃'),
  'closed-early': t('closed early', '过早关闭'),
  reset: t('reset', '连接被重置'),
  flooded: t('flooded', '数据泛滥'),
  'not-closed': t('never closed', '没有关闭'),
  'not-started': t('did not start', '没有启动'),
  'grader-error': t('grader error', '评测器错误'),
};
