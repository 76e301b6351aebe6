/**
 * What a teacher sees while a class is graded. On a terminal: one line redrawn in place — done of
 * total, failures so far, an estimate of the time left, who is being graded. Otherwise (a log, CI):
 * one plain line per student as they finish, so the log reads top to bottom.
 */
import { say, t, type Lang } from '../i18n.ts';
import { formatMs } from '../wire/conn.ts';
import type { StudentResult } from '../results.ts';

export interface ProgressOptions {
  total: number;
  jobs: number;
  lang: Lang;
  stream: NodeJS.WriteStream;
  /** Redraw one line in place (a TTY) or print a line per student. */
  live: boolean;
}

export class Progress {
  private done = 0;
  private failing = 0;
  private readonly running = new Set<string>();
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private lastWidth = 0;

  constructor(private readonly opts: ProgressOptions) {
    if (opts.live) {
      this.timer = setInterval(() => this.draw(), 500);
      this.timer.unref();
    }
  }

  start(id: string): void {
    this.running.add(id);
    if (this.opts.live) this.draw();
  }

  finish(r: StudentResult): void {
    this.running.delete(r.id);
    this.done++;
    if (r.status !== 'ok' || r.score < r.maxScore) this.failing++;
    if (this.opts.live) this.draw();
    else {
      const status = r.status === 'ok' ? '' : `  ${r.status}: ${say(r.problems[0] ?? t('', ''), this.opts.lang)}`;
      this.opts.stream.write(`[${this.done}/${this.opts.total}] ${r.id}  ${r.score}/${r.maxScore}  ${formatMs(r.durationMs)}${status}\n`);
    }
  }

  /** The estimate: time per student so far, spread over the parallel lanes, for those left. */
  eta(): number | undefined {
    if (this.done === 0) return undefined;
    const elapsed = Date.now() - this.started;
    const left = this.opts.total - this.done;
    return (elapsed / this.done) * left;
  }

  line(): string {
    const s = (en: string, zh: string): string => say(t(en, zh), this.opts.lang);
    const eta = this.eta();
    const parts = [
      s(`grading ${this.done}/${this.opts.total}`, `评测中 ${this.done}/${this.opts.total}`),
      s(`${this.failing} not full marks`, `${this.failing} 人未满分`),
      eta === undefined ? s('ETA …', '剩余 …') : s(`ETA ${formatMs(Math.round(eta / 1000) * 1000)}`, `剩余约 ${formatMs(Math.round(eta / 1000) * 1000)}`),
    ];
    const now = [...this.running].slice(0, 4).join(', ');
    if (now) parts.push(s(`now: ${now}`, `正在评：${now}`));
    return parts.join(' · ');
  }

  private draw(): void {
    const cols = this.opts.stream.columns ?? 100;
    let text = this.line();
    if (text.length > cols - 1) text = text.slice(0, cols - 2) + '…';
    this.opts.stream.write('\r' + text + ' '.repeat(Math.max(0, this.lastWidth - text.length)));
    this.lastWidth = text.length;
  }

  end(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.opts.live && this.lastWidth > 0) this.opts.stream.write('\r' + ' '.repeat(this.lastWidth) + '\r');
  }
}
