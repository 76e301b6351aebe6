/**
 * Colors and line wrapping for terminal output. Colors only when stdout is a TTY, never with
 * NO_COLOR, always with FORCE_COLOR; text wraps to the terminal's width (CJK-aware).
 */
import pc from 'picocolors';
import { displayWidth } from '../wire/escape.ts';

export type Colors = ReturnType<typeof pc.createColors>;

export function wantColor(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if ('NO_COLOR' in env && env.NO_COLOR !== '') return false;
  if ('FORCE_COLOR' in env && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export function colors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}

/** Terminal width to wrap at: the TTY's, clamped to something readable; 100 when not a TTY. */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number {
  const cols = stream.isTTY ? stream.columns : undefined;
  return Math.max(40, Math.min(cols ?? 100, 120));
}


/**
 * Wraps text to `width` columns. Breaks at spaces, or between CJK characters (Chinese has no
 * spaces); never breaks inside an escaped byte string, which would change what it shows.
 */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    let lineWidth = 0;
    const tokens = para.match(/"(?:[^"\\]|\\.)*"|[^\s\u2e80-\u9fff\uac00-\ud7a3\uff00-\uffef]+|[\u2e80-\u9fff\uac00-\ud7a3\uff00-\uffef]|\s+/g) ?? [''];
    for (const tok of tokens) {
      const w = displayWidth(tok);
      if (/^\s+$/.test(tok)) {
        if (line !== '') {
          line += ' ';
          lineWidth += 1;
        }
        continue;
      }
      if (lineWidth + w > width && line.trim() !== '') {
        out.push(line.trimEnd());
        line = '';
        lineWidth = 0;
      }
      line += tok;
      lineWidth += w;
    }
    out.push(line.trimEnd());
  }
  return out;
}

/** Pads to a display width (CJK characters count double). */
export function padEnd(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}
