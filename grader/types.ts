/**
 * The shapes every part of the grader agrees on: a stage is data (a list of checks), a check is a
 * function that drives connections and throws a `CheckFailure` saying what went wrong, and results
 * are plain serialisable data that reports turn into text.
 */
import type { Text } from './i18n.ts';
import type { Rng } from './rng.ts';
import type { SiteSpec } from './site/site.ts';
import type { TrackText } from './track.ts';
import type { Conn } from './wire/conn.ts';
import type { ByteDiff } from './wire/escape.ts';

export interface CheckContext {
  readonly seed: number;
  /** Seeded for this check alone (seed + check id). */
  readonly rng: Rng;
  readonly host: string;
  readonly port: number;
  /** The document root the grader prepared for this run (env STATIC_DIR of the server). */
  readonly root: string;
  /**
   * Opens a recorded connection to the server under test, named in reports by `label` (default
   * "client N", N counting this check's connections). Prefer t('client 2 (resets)', '客户端 2（重置连接）').
   */
  connect(label?: string | Text, options?: { maxBuffered?: number }): Promise<Conn>;
  /** Aborted when the check's time bound runs out; connections opened through `connect` close then. */
  readonly signal: AbortSignal;
  /** A pause that ends early (and throws) when the check is aborted. */
  sleep(ms: number): Promise<void>;
  /** Whether the server process is still running (a crash is reported as such). */
  serverAlive(): boolean;
  /** The server's last lines of output (stdout and stderr), to tell what it said went wrong (EMFILE). */
  serverOutput(): string;
  /** How many files the server holds open now, and its limit; undefined where that cannot be seen. */
  serverOpenFiles(): { open: number; limit: number } | undefined;
  /**
   * Stops the server's processes (SIGSTOP) until the function returned is called (SIGCONT): what
   * clients send meanwhile waits in the kernel, all of it, for when the server runs again — a
   * request and its FIN arrive as one. The engine lets the server run again when the check ends,
   * whatever happens. Undefined if the server cannot be stopped.
   */
  freezeServer(): Promise<(() => void) | undefined>;
}

export interface Check {
  /** "stage.n", stable across versions: gradebooks and Gradescope key on it. */
  id: string;
  title: Text;
  points: number;
  /** The most this check may take against a broken server; a passing server takes far less. */
  timeoutMs: number;
  /** Set for the checks of a stage's teacher.ts: they run in class mode and on Gradescope only. */
  teacherOnly?: boolean;
  /**
   * The check mostly waits (a client pausing for a second or more, a slow reader) and changes
   * nothing the other checks look at: it runs alongside them (see engine.ts, `alongside`).
   */
  background?: boolean;
  run(ctx: CheckContext): Promise<void>;
}

export interface Stage {
  number: number;
  /** Folder name under exercises/ and solutions/, e.g. "01-tcp-echo". */
  slug: string;
  title: Text;
  checks: Check[];
  /** The files of the seeded document root (stages that serve files); see site/site.ts. */
  site?: SiteSpec;
  /** Folders under STATIC_DIR the server writes to (created for it, writable in a sandbox). */
  writes?: readonly string[];
  /** Hints for `npm run hint N`, gentlest first: each one gives a little more away. */
  hints?: TrackText[];
}

/** What kind of thing went wrong, so reports and teachers can tell a hang from a wrong answer. */
export type FailureKind =
  | 'wrong' // answered, but not what was expected
  | 'hung' // stopped answering until the bound ran out
  | 'crashed' // the server process exited
  | 'closed-early' // closed the connection before it should
  | 'reset' // reset the connection
  | 'flooded' // sent far more than asked for
  | 'not-closed' // never closed when it should have
  | 'not-started' // the server never got to listen
  | 'grader-error'; // a bug in the grader itself

export interface WireSummary {
  /** The connection's name: a Text, or an English string reports translate (--json gives the reader's). */
  label: string | Text;
  writes: number;
  /** Every byte sent, however many the preview shows. */
  sentBytes: number;
  /** Sizes of the first writes, to show how the bytes were split. */
  writeSizes: number[];
  /** The first sent bytes, escaped and quoted: `"GET / HTTP/1.1\r\n"`. */
  sentPreview: string;
  /** How many bytes `sentPreview` shows; the report says how many more there were. */
  sentPreviewBytes: number;
  finSent: boolean;
  resetSent: boolean;
  /** Every byte received, however many the preview shows. */
  receivedBytes: number;
  receivedPreview: string;
  receivedPreviewBytes: number;
  /** How the server ended the connection, if it did. */
  ending?: 'fin' | 'reset' | 'flooded';
  /** Milliseconds from connect to the last event. */
  elapsedMs: number;
  /** What the client did beyond its bytes (stopped reading, paused), with when, in order. */
  notes?: { atMs: number; text: Text }[];
}

export interface Failure {
  kind: FailureKind;
  summary: Text;
  expected?: Text;
  hint?: Text;
  wire?: WireSummary;
  /** Where the bytes first differ: lengths, offset, hex window (reports word it; --json gives lines). */
  diff?: ByteDiff;
  /** A parse error pointed at the first bad byte. */
  caret?: { line: string; caret: string; note: Text };
  /** A client command that reproduces the exchange against a server run by hand on port 9000. */
  reproduce?: string;
  /** The server's last output lines, when it crashed. */
  serverOutput?: string;
}

export interface CheckResult {
  id: string;
  title: Text;
  passed: boolean;
  points: number;
  maxPoints: number;
  durationMs: number;
  teacherOnly?: boolean;
  failure?: Failure;
}

export interface StageResult {
  stage: number;
  slug: string;
  title: Text;
  seed: number;
  score: number;
  maxScore: number;
  passed: boolean;
  checks: CheckResult[];
  /** Set when the server could not be started at all. */
  startError?: { kind: string; text: Text; output: string };
  /**
   * How many checks failed because the server crashed (each crash is charged to one check, and a
   * crashed check never scores). Absent in results made before it was counted.
   */
  crashes?: number;
  /** The resource limits the server ran under (open files, data segment), and how they were set. */
  limits?: { openFiles: number; dataBytes: number; via: 'prlimit' | 'ulimit' };
  /** How long the server took to listen, and the whole stage took. */
  startMs: number;
  durationMs: number;
}
