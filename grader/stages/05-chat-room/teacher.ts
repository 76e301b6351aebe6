/**
 * Stage 5, teacher-only: runs in class mode and on Gradescope; the student edition leaves this file
 * out. A heavier room than 5.12 — twice the members, many more lines, finer cuts, several slow
 * readers — for the races a lighter load lets through (a buffer or a member shared by mistake, a
 * broadcast that loses a line when a write returns false).
 */
import { t } from '../../i18n.ts';
import type { Check } from '../../types.ts';
import { busyRoom, chat } from './room.ts';

export const checks: Check[] = [
  {
    id: '5.15',
    title: t('a crowded room: 40 members, 8 lines each, cut finely, 3 slow readers', '拥挤的房间：40 个成员，每人 8 行，切得很碎，3 个慢读者'),
    points: 2,
    timeoutMs: 20000,
    run: chat((room) => busyRoom(room, { members: 40, linesEach: 8, slowReaders: 3, pieces: [6, 16] })),
  },
];
