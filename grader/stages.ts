/**
 * The one list of stages: number, folder, title and checks. Everything else — the CLI, progress,
 * hints, the student edition, class grading — is derived from here. A stage's checks, hints and
 * document root live in its checks module; adding a stage is one line below.
 */
import { t } from './i18n.ts';
import type { Stage } from './types.ts';
import * as tcpEcho from './checks/01-tcp-echo.ts';
import * as fixedPage from './checks/02-fixed-page.ts';
import * as routing from './checks/03-routing.ts';
import * as messageFraming from './checks/04-message-framing.ts';

export const stages: Stage[] = [
  { number: 1, slug: '01-tcp-echo', title: t('TCP echo', 'TCP 回显'), checks: tcpEcho.checks, hints: tcpEcho.hints },
  { number: 2, slug: '02-fixed-page', title: t('A fixed page over HTTP', '用 HTTP 返回固定页面'), checks: fixedPage.checks, hints: fixedPage.hints, prepareRoot: fixedPage.prepareRoot },
  { number: 3, slug: '03-routing', title: t('Routing: files by path, and 404', '路由：按路径返回文件，以及 404'), checks: routing.checks, hints: routing.hints, prepareRoot: routing.prepareRoot },
  { number: 4, slug: '04-message-framing', title: t('Message framing', '消息分帧'), checks: messageFraming.checks, hints: messageFraming.hints },
];

export function findStage(n: number): Stage | undefined {
  return stages.find((s) => s.number === n);
}
