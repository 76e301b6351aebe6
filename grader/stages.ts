/**
 * The one list of stages: number, folder, title and checks. Everything else — the CLI, progress,
 * hints, the student edition — is derived from here. Adding a stage is one line below.
 */
import { t } from './i18n.ts';
import type { Stage } from './types.ts';
import { checks as tcpEcho } from './checks/01-tcp-echo.ts';

export const stages: Stage[] = [
  { number: 1, slug: '01-tcp-echo', title: t('TCP echo', 'TCP 回显'), checks: tcpEcho },
];

export function findStage(n: number): Stage | undefined {
  return stages.find((s) => s.number === n);
}
