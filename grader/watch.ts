/**
 * `npm run grade -- 3 --watch`: re-grade each time something in the exercise's folder changes.
 *
 * Why fs.watch and not chokidar: chokidar 4 is fs.watch underneath on Linux and macOS; what it adds
 * (event normalisation, atomic-save handling) we get from watching the folder rather than the file
 * (an editor's save-by-rename shows up as an event on the folder) and from comparing a fingerprint
 * of the folder (names, sizes, mtimes) before grading, which also drops duplicate events and editor
 * swap files. Where events never arrive (network drives, some containers), a cheap poll of that
 * same fingerprint catches the save a second later, and Enter re-grades at once.
 *
 * A save while a grade is running cancels it: the server under test is killed so the check in
 * flight ends at once, and the next check boundary abandons the run (its results describe code
 * that no longer exists). Ctrl-C kills every server and removes every temporary folder.
 */
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { EXIT } from './exit-codes.ts';
import { checksToRun, gradeStage } from './engine.ts';
import { say, t, type Text } from './i18n.ts';
import { readmeFile } from './layout.ts';
import { rerunCommand, runByHand, type WatchPlan } from './plan.ts';
import { colors, terminalWidth, wantColor, wrap } from './report/style.ts';
import { renderCheckLine, renderDetails, renderHeader, titleColumn, type TerminalOptions } from './report/terminal.ts';
import { installCleanupHandlers, killAllNow } from './runner/processes.ts';
import { afterHint, noHints, renderHint } from './stage-hints.ts';
import { findStage } from './stages.ts';

/**
 * Quiet time after the last file event before grading: editors write a file in several steps. Short,
 * because a run started on a half-written file is cancelled by the next event anyway.
 */
const DEBOUNCE_MS = 50;
/** How often the folder's fingerprint is compared anyway, for file systems that send no events. */
const POLL_MS = 1000;

class Cancelled extends Error {}

/** Editor droppings that are not a save: swap files, backups, lock files, vim's write test. */
function ignored(name: string): boolean {
  return name.startsWith('.') || name.startsWith('#') || name.endsWith('~') || /\.(swp|swo|swx|tmp|bak)$/i.test(name) || name === '4913' || name === 'node_modules';
}

/** Names, sizes and mtimes of what is in the folder (two levels deep): changes when a file is saved. */
function fingerprint(dir: string, depth = 2): string {
  const parts: string[] = [];
  const walk = (d: string, level: number): void => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      parts.push(`${d}: missing`);
      return;
    }
    for (const name of names) {
      if (ignored(name)) continue;
      const full = path.join(d, name);
      try {
        const st = statSync(full);
        if (st.isDirectory()) {
          if (level < depth) walk(full, level + 1);
        } else parts.push(`${path.relative(dir, full)} ${st.size} ${st.mtimeMs}`);
      } catch {
        /* removed meanwhile */
      }
    }
  };
  walk(dir, 1);
  return parts.join('\n');
}

export async function watchMain(plan: WatchPlan): Promise<number> {
  const { target, lang, seed, only } = plan;
  const { stage, server: command } = target;
  const s = (x: Text): string => say(x, lang);
  const out = process.stdout;
  const tty = Boolean(out.isTTY) && process.env.TERM !== 'dumb';
  const color = wantColor();
  const c = colors(color);
  const dir = path.dirname(command.file);
  const shownDir = (path.relative(process.cwd(), dir) || '.') + path.sep;

  let pending: string | undefined = s(t('first run', '首次运行'));
  let running = false;
  let cancelRequested = false;
  let wake: (() => void) | undefined;
  let lastPrint = fingerprint(dir);
  let runNumber = 0;
  let hintsShown = 0;
  let lastCode: number = EXIT.failed;

  const request = (reason: string): void => {
    pending = reason;
    if (running && !cancelRequested) {
      cancelRequested = true;
      killAllNow(); // the server under test: the check in flight ends now instead of at its bound
    }
    wake?.();
  };

  /** Grade again if the folder differs from when we last looked. */
  const compare = (why: string): void => {
    const now = fingerprint(dir);
    if (now === lastPrint) return;
    lastPrint = now;
    request(why);
  };

  installCleanupHandlers((signal) => {
    if (signal === 'SIGINT') out.write('\n' + c.dim(s(t('Stopped watching. Nothing is left running.', '已停止监视，没有留下任何运行中的进程。'))) + '\n');
  });

  // File events, debounced. The folder, not the file: saving by rename replaces the file's inode.
  let debounce: NodeJS.Timeout | undefined;
  let lastEvent = '';
  let watcher: FSWatcher | undefined;
  const startWatcher = (): void => {
    try {
      watcher = watch(dir, (_event, name) => {
        if (name && ignored(path.basename(name.toString()))) return;
        lastEvent = name ? name.toString() : '';
        clearTimeout(debounce);
        debounce = setTimeout(() => compare(lastEvent ? s(t(`${lastEvent} changed`, `${lastEvent} 有改动`)) : s(t('a file changed', '有文件改动'))), DEBOUNCE_MS);
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined; // e.g. the folder was replaced; the poll below re-creates the watcher
      });
    } catch {
      watcher = undefined;
    }
  };
  startWatcher();
  const poll = setInterval(() => {
    if (!watcher) startWatcher();
    compare(s(t('a change was found by polling', '轮询发现了改动')));
  }, POLL_MS);
  poll.unref();

  // Keys, in line mode (Ctrl-C stays a plain SIGINT): Enter grades again, h Enter a hint, q Enter quits.
  let quitRequested = false;
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const key = line.trim().toLowerCase();
    if (key === 'q' || key === 'quit') {
      quitRequested = true;
      request(s(t('quitting', '正在退出')));
    } else if (key === 'h' || key === 'hint') {
      showHint();
    } else {
      lastPrint = fingerprint(dir);
      request(s(t('Enter pressed', '按下了回车')));
    }
  });
  rl.on('close', () => {
    /* stdin ended (not a terminal): keep watching files */
  });

  const showHint = (): void => {
    const total = stage.hints?.length ?? 0;
    const width = terminalWidth();
    if (total === 0) {
      out.write('\n' + s(noHints(stage)) + '\n');
      return;
    }
    hintsShown = Math.min(hintsShown + 1, total);
    out.write('\n' + renderHint(stage, hintsShown, { lang, track: target.track, color: color, width }));
    out.write(c.dim(hintsShown < total ? s(t('(h Enter for the next hint)', '（输入 h 回车看下一条提示）')) : s(afterHint(stage, total))) + '\n');
  };

  const footer = (passed: boolean): string => {
    const lines: string[] = [''];
    if (passed) {
      const next = findStage(stage.number + 1);
      if (next) lines.push(c.green(s(t(`Next: stage ${next.number}, ${next.title.en} — ${readmeFile(next.slug, 'en')}, then npm run grade -- ${next.number} --watch`, `下一步：第 ${next.number} 关「${next.title.zh}」——先读 ${readmeFile(next.slug, 'zh-CN')}，然后运行 npm run grade -- ${next.number} --watch`))));
    }
    lines.push(
      c.dim(s(t(
        `Watching ${shownDir} — save to grade again · Enter: grade now (if a save shows nothing) · h Enter: a hint · Ctrl-C: stop`,
        `正在监视 ${shownDir}——保存即重新评测 · 回车：立即评测（保存后没反应时用） · h 回车：看提示 · Ctrl-C：退出`,
      ))),
    );
    return lines.flatMap((l) => wrap(l, terminalWidth())).join('\n') + '\n';
  };

  const runOnce = async (reason: string): Promise<void> => {
    runNumber++;
    cancelRequested = false;
    const term: TerminalOptions = {
      lang,
      color: color,
      width: terminalWidth(),
      verbose: plan.verbose,
      fullFailures: 1,
      runByHand: runByHand(target, seed),
      rerun: rerunCommand(stage, seed, plan.flags),
    };
    // Clear the screen (and scrollback) on a terminal; in a log, a rule between runs instead.
    out.write(tty ? '\x1b[2J\x1b[3J\x1b[H' : (runNumber > 1 ? '\n' + '─'.repeat(Math.min(60, term.width)) + '\n' : ''));
    const clock = new Date().toTimeString().slice(0, 8);
    out.write(renderHeader(stage, seed, term));
    out.write(c.dim(s(t(`run ${runNumber} · ${clock} · ${reason}`, `第 ${runNumber} 次 · ${clock} · ${reason}`))) + '\n');
    const width = titleColumn(checksToRun(stage, { only }).map((x) => x.title), lang);
    const notRun: string[] = [];
    running = true;
    try {
      const result = await gradeStage(stage, {
        seed,
        server: command,
        track: target.track,
        cwd: process.cwd(),
        only,
        // Throwing here is how a run is abandoned: the engine's finally stops the server and
        // removes its temporary folder before the error reaches us.
        onCheck: (r) => {
          if (cancelRequested) throw new Cancelled();
          if (r.failure?.kind === 'not-started') notRun.push(renderCheckLine(r, width, term));
          else out.write(renderCheckLine(r, width, term));
        },
      });
      if (cancelRequested) return;
      lastCode = result.startError ? EXIT.serverDidNotStart : result.passed ? EXIT.passed : EXIT.failed;
      out.write((result.startError ? '' : notRun.join('')) + renderDetails(result, term) + footer(result.passed));
    } catch (err) {
      if (!cancelRequested) throw err;
    } finally {
      running = false;
    }
  };

  try {
    for (;;) {
      if (quitRequested) break;
      if (pending === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const reason = pending;
      pending = undefined;
      await runOnce(reason);
    }
  } finally {
    clearInterval(poll);
    clearTimeout(debounce);
    watcher?.close();
    rl.close();
  }
  return lastCode;
}
