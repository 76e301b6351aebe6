/**
 * Colors and line wrapping for terminal output. Colors only when stdout is a TTY, never with
 * NO_COLOR, always with FORCE_COLOR; text wraps to the terminal's width (CJK-aware).
 */
import pc from 'picocolors';

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


/** Colour codes take no room on screen. */
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * East Asian wide and fullwidth characters (CJK ideographs, kana, Hangul, CJK punctuation 。，、「」,
 * fullwidth forms （）：！) take two terminal columns; everything else here one.
 */
export function isWide(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return (
    (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) || (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** Terminal columns a string takes (wide characters two, colour codes none). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s.replace(ANSI, '')) w += isWide(ch) ? 2 : 1;
  return w;
}

/** Punctuation a line must not start with (kinsoku): it belongs to the text before it. */
const NO_START = new Set([...'。，、．）：；！？」』】》〉〕］｝…·—～%）)]},.:;!?']);
/** Punctuation a line must not end with: it belongs to the text after it. */
const NO_END = new Set([...'（「『【《〈〔［｛(']);

/** Words that start a command in prose, and words that may follow one as arguments. */
const COMMAND_START = /(?<![\w/.=-])(?:[A-Z][A-Z_]*=\S+ +)*(?:npm|npx|nc|printf|curl|node|sudo|ss|tcpdump|xxd|od|telnet|git|python3?)(?= )/g;
const COMMAND_WORDS = new Set(['npm', 'npx', 'nc', 'printf', 'curl', 'node', 'tsx', 'run', 'grade', 'hint', 'site', 'test', 'install', 'xxd', 'od', 'head', 'checkout', '|', '&&', '<', '>']);
/** An argument: a flag, a number, a path, an address, a quoted string, a pipe. */
const isArgument = (tok: string): boolean => COMMAND_WORDS.has(tok) || /^-|[\d/.=:'"|\\*]/.test(tok);

/**
 * Spans of a paragraph that must stay on one line: inline code (`…`), escaped byte strings ("…"),
 * and commands written in the text (`nc 127.0.0.1 9000`, `npm run grade -- 1 --watch`) — a break
 * inside one would change what gets pasted or what it shows.
 */
function unbreakableSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  for (const m of text.matchAll(/`[^`\n]*`|"(?:[^"\\\n]|\\.)*"/g)) spans.push([m.index!, m.index! + m[0].length]);
  for (const m of text.matchAll(COMMAND_START)) {
    let end = m.index! + m[0].length;
    for (;;) {
      const next = /^( +)('[^'\n]*'|[^\s]+)/.exec(text.slice(end));
      if (!next) break;
      // An argument ends where Chinese text resumes ("9000，然后…").
      let tok = next[2]!;
      const wide = [...tok].findIndex(isWide);
      if (wide >= 0) tok = [...tok].slice(0, wide).join('');
      if (!tok || !isArgument(tok)) break;
      end += next[1]!.length + tok.length;
      if (tok.length < next[2]!.length) break;
    }
    spans.push([m.index!, end]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span[0] < last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([...span]);
  }
  return merged;
}

/** A paragraph as tokens: unbreakable spans, single wide characters, words; `space` marks a gap before. */
function tokens(para: string): { text: string; space: boolean }[] {
  const out: { text: string; space: boolean }[] = [];
  let space = false;
  const plain = (s: string): void => {
    for (const m of s.matchAll(/\s+|[^\s]/gu)) {
      const ch = m[0];
      if (/^\s+$/.test(ch)) {
        space = true;
        continue;
      }
      const last = out[out.length - 1];
      // A word runs until a space or a wide character; every wide character is a token of its own.
      if (last && !space && !isWide(ch) && !isWide([...last.text].at(-1)!) && !last.text.startsWith('\u0000')) last.text += ch;
      else out.push({ text: ch, space });
      space = false;
    }
  };
  let at = 0;
  for (const [start, end] of unbreakableSpans(para)) {
    plain(para.slice(at, start));
    out.push({ text: '\u0000' + para.slice(start, end), space }); // marked: nothing joins it
    space = false;
    at = end;
  }
  plain(para.slice(at));
  return out.map((t) => ({ text: t.text.replace('\u0000', ''), space: t.space }));
}

/**
 * Wraps text to `width` display columns. Breaks at spaces, and between two characters where either
 * is wide (Chinese has no spaces); never before closing punctuation or after opening punctuation
 * (。，、）」 stay with the text before them, （「 with the text after); never inside inline code, an
 * escaped byte string or a command, which stay whole even if longer than the line.
 */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    // Glue tokens into units between which a line may break.
    const units: { text: string; space: boolean }[] = [];
    for (const tok of tokens(para)) {
      const last = units[units.length - 1];
      const first = [...tok.text][0]!;
      const canBreak =
        last !== undefined && !NO_START.has(first) && !NO_END.has([...last.text].at(-1)!) && (tok.space || isWide(first) || isWide([...last.text].at(-1)!));
      if (last && !canBreak) last.text += (tok.space ? ' ' : '') + tok.text;
      else units.push({ ...tok });
    }
    let line = '';
    let lineWidth = 0;
    for (const u of units) {
      const gap = u.space && line !== '' ? 1 : 0;
      const w = displayWidth(u.text);
      if (line !== '' && lineWidth + gap + w > width) {
        out.push(line);
        line = u.text;
        lineWidth = w;
      } else {
        line += (gap ? ' ' : '') + u.text;
        lineWidth += gap + w;
      }
    }
    out.push(line);
  }
  return out;
}

/** Pads to a display width (CJK characters count double). */
export function padEnd(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}
