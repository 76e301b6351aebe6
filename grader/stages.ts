/**
 * The one list of stages. Everything else — the CLI, progress, hints, the student edition, class
 * grading — is derived from it. A stage is a folder under stages/ (see docs/adding-a-stage.md);
 * adding one is one import and one entry below.
 */
import { withTeacherChecks } from './stage.ts';
import type { Stage } from './types.ts';
import tcpEcho from './stages/01-tcp-echo/index.ts';
import fixedPage from './stages/02-fixed-page/index.ts';
import routing from './stages/03-routing/index.ts';
import messageFraming from './stages/04-message-framing/index.ts';
import chatRoom from './stages/05-chat-room/index.ts';
import keepAlive from './stages/06-keep-alive/index.ts';
import requestBodies from './stages/07-request-bodies/index.ts';
import redirectsCaching from './stages/08-redirects-caching/index.ts';

export const stages: readonly Stage[] = await withTeacherChecks([
  tcpEcho,
  fixedPage,
  routing,
  messageFraming,
  chatRoom,
  keepAlive,
  requestBodies,
  redirectsCaching,
]);

export function findStage(n: number): Stage | undefined {
  return stages.find((s) => s.number === n);
}
