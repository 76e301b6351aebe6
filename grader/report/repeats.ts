/**
 * Failures that repeat one already told. A skeleton that hangs up on everybody fails ten checks for
 * one reason; telling that reason ten times buries the second one. The rule, for two failed checks
 * of one stage run, the later one "has the same cause as" the earlier one when they have the same
 * kind (closed early, hung, wrong…) and either
 *
 *   - the same summary once what is specific to the request is taken out: the part before the first
 *     ": " (what was asked: "the echo of 24 bytes", "the response to GET /x.css"), parenthesised
 *     remarks, quoted bytes and numbers ("waited for 24 bytes" = "waited for 1 byte"); or
 *   - the same bytes received (at least one), the same ending, and the same hint: the server gave
 *     the same wrong answer, and the grader said the same thing about it.
 *
 * The first of each cause is shown in full; the others point at it. Reports read this; it runs
 * nothing.
 */
import { say } from '../i18n.ts';
import type { CheckResult, Failure } from '../types.ts';

/** The summary with what is specific to one request taken out. */
export function causeOf(summary: string): string {
  let s = summary.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (let i = 0; i < 3; i++) s = s.replace(/\s*\([^()]*\)/g, '');
  const colon = s.indexOf(': ');
  if (colon >= 0) s = s.slice(colon + 2);
  return s
    .replace(/\d+(?:[.,:]\d+)*/g, '#')
    .replace(/#(\s+[a-z]+?)s\b/g, '#$1')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

function keys(f: Failure): string[] {
  const out = [`${f.kind}\n${causeOf(say(f.summary, 'en'))}`];
  const w = f.wire;
  if (w && w.receivedBytes > 0) out.push(`${f.kind}\n${w.receivedBytes}\n${w.receivedPreview}\n${w.ending ?? ''}\n${f.hint ? say(f.hint, 'en') : ''}`);
  return out;
}

/** Failed check id → the id of the earlier failed check with the same cause (only for repeats). */
export function repeatedCauses(checks: readonly CheckResult[]): Map<string, string> {
  const first = new Map<string, string>();
  const repeats = new Map<string, string>();
  for (const r of checks) {
    if (r.passed || !r.failure) continue;
    const ks = keys(r.failure);
    const earlier = ks.map((k) => first.get(k)).find((id) => id !== undefined);
    if (earlier !== undefined) {
      repeats.set(r.id, earlier);
      continue;
    }
    for (const k of ks) first.set(k, r.id);
  }
  return repeats;
}
