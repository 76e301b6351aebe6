/**
 * Finding English in a zh-CN report (test/zh-output.test.ts): render a result the way the terminal
 * shows it, take out what is the same in every language — escaped bytes in quotes, commands, the
 * server's own output, hex rows, file names, code and protocol tokens — and list the Latin-letter
 * words that are left.
 */
import { failureSections } from '../grader/report/sections.ts';
import { renderCheckLine, renderDetails, renderHeader, type TerminalOptions } from '../grader/report/terminal.ts';
import { stages } from '../grader/stages.ts';
import type { StageResult } from '../grader/types.ts';

const RUN_BY_HAND = 'PORT=9000 npx tsx exercises/NN/server.ts';

/**
 * Words that are the same in Chinese text, one group per reason. Anything else in Latin letters that
 * survives the stripping below is English that should have been translated.
 */
const ALLOWED = new Set([
  // TCP and HTTP: flags, methods, line endings, header names and values, encodings.
  ...['socklab', 'FIN', 'RST', 'ACK', 'TCP', 'HTTP', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'BREW', 'OK', 'CR', 'LF', 'CRLF'],
  ...['Content-Length', 'Content-Type', 'Allow', 'Host', 'Connection', 'Cookie', 'charset', 'keep-alive', 'Keep-alive', 'close', 'UTF', 'BE'],
  ...['Location', 'Transfer-Encoding', 'Expect', 'Last-Modified', 'ETag', 'Date', 'If-None-Match', 'If-Modified-Since', 'JSON', 'URL', 'ASCII', 'NUL', 'RFC', 'ISO', 'GMT', 'asctime', 'emoji'],
  // Units.
  ...['ms', 'KB', 'MB', 'GB', 'KiB', 'MiB', 'GiB', 'B', 'CPU'],
  // Names of programs, languages and APIs, and error codes a hint tells the learner to look for.
  ...['nginx', 'telnet', 'Windows', 'Node', 'JavaScript', 'TypeScript', 'Python', 'CSS', 'HTML', 'Buffer', 'Promise', 'Map', 'Set', 'ECONNRESET', 'EPIPE', 'ENOENT', 'EMFILE', 'EADDRINUSE', 'URIError', 'RangeError', 'decodeURIComponent', 'Ctrl-C'],
  // Identifiers in code that hints quote inline (socket.end(), const file = path.join(root, decoded),
  // length > MAX, buf += chunk, allowHalfOpen: true, accept/recv/open as system calls).
  ...['socket', 'sleep', 'accept', 'recv', 'open', 'const', 'file', 'root', 'decoded', 'length', 'MAX', 'buf', 'chunk', 'true', 'false', 'if', 'await', 'drain', 'destroy', 'null', 'new', 'stat', 'docs', 'while', 'for'],
]);

/** Lines shown exactly as they are (commands, server output, carets), which no language changes. */
function verbatimLines(r: StageResult): string[] {
  const out: string[] = [...(r.startError?.output.split('\n') ?? [])];
  for (const c of r.checks) {
    const v = failureSections(c, 'zh-CN', { runByHand: RUN_BY_HAND });
    for (const s of v?.sections ?? []) for (const l of s.lines) if (l.kind === 'code' && s.key !== 'difference') out.push(l.text);
  }
  return out.filter((l) => l.trim() !== '').sort((a, b) => b.length - a.length);
}

/** Everything a learner reads of this result in zh-CN, in the terminal: check lines, failures in full, and the grouped view. */
export function zhReport(r: StageResult): string {
  // Wide enough that nothing wraps: a word split from its file name or status by a line break is
  // still the same word (wrapping is tested in test/terminal-layout.test.ts).
  const opts: TerminalOptions = { lang: 'zh-CN', color: false, width: 10_000, runByHand: RUN_BY_HAND, rerun: 'npm run grade -- 1 --seed 42' };
  return [
    renderHeader({ number: r.stage, title: r.title }, r.seed, opts),
    ...r.checks.map((c) => renderCheckLine(c, 40, opts)),
    renderDetails(r, { ...opts, verbose: true }),
    renderDetails(r, opts),
  ].join('\n');
}

/** The Latin-letter words left in a zh-CN report once everything that is the same in every language is out. */
export function englishIn(r: StageResult): string[] {
  let text = zhReport(r);
  // What the grader's clients sent is data in any language: a chat member's name ("guoooq") is
  // quoted where it is sent, and may then stand in a sentence unquoted ("guoooq 已经在房间里了").
  // So is the name in a client's label ("客户端 3（tm-hr）"): one word, where a remark left in
  // English ("客户端 3（stops reading）") has several. Names may hold "-", so each value gives its
  // words both whole and split at "-".
  const values = [...text.matchAll(/"((?:[^"\\\n]|\\.)*)"/g), ...text.matchAll(/客户端 \d+（([^\s）]*)）/g)].map((m) => m[1]!);
  const data = new Set(values.flatMap((v) => [...v.split(/[^A-Za-z]+/), ...v.split(/[^A-Za-z-]+/)]).filter((w) => w.length > 0));
  for (const line of verbatimLines(r)) text = text.replaceAll(line, '\n');
  text = text
    // Commands written in a line (the "same inputs again" one, hints naming npm run hint).
    .replace(/\b(?:npm|npx|node|curl|nc) [^\n\u3000-\u9fff\uff00-\uffef]*/g, ' ')
    // HTTP dates, which are the same in every language: "Fri, 16 Mar 2012 11:04:30 GMT".
    .replace(/\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT/g, ' ')
    // Hex bytes, in the rows of a byte difference and in sentences ("ef bf bd（…）"), and offsets.
    .replace(/@\d+/g, ' ')
    .replace(/(?<=[\s[（(，。；：、]|^)(?:[0-9a-f]{2}|[0-9A-F]{2})(?=[\s\]）)，。；：、（]|$)/gm, ' ')
    // Calls in code, with their arguments: "map.set(name, value)".
    .replace(/\b\w+(?:\.\w+)+\([^()\n]*\)/g, ' ')
    // Header fields with their values, as requests are named: "GET /a (If-Modified-Since: Sat, 19 Mar 2033 00:10:58 GMT)".
    .replace(/\b[A-Z][A-Za-z]*(?:-[A-Z][A-Za-z]*)*: [^，。；：（）()\n\u3000-\u9fff]*/g, ' ')
    // A title cut short to fit its column ("Locati…").
    .replace(/[A-Za-z-]+…/g, ' ')
    // Escaped bytes and quoted code: "…", '…' (short, no Chinese in it), `…`.
    .replace(/"(?:[^"\\\n]|\\.)*"/g, ' ')
    .replace(/'[^'\n\u3000-\u9fff]{0,60}'/g, ' ')
    .replace(/`[^`\n]*`/g, ' ')
    // An HTTP status with its reason phrase: 404 Not Found, 405 Method Not Allowed.
    .replace(/\b[1-5]\d\d(?: [A-Z][A-Za-z-]*)+/g, ' ')
    // File names, which may hold spaces: "posts-ab/mols uklp 7.css".
    .replace(/(?:[\w%/.-]+ )*[\w%/.-]*\.(?:html|css|js|png|txt|svg|json|ico|jpg|gif|bin|ts)\b/g, ' ');
  const words: string[] = [];
  for (const raw of text.split(/[\s\u2000-\u206f\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+/)) {
    // Words in brackets or before a comma are words all the same: "(stops reading)".
    const run = raw.replace(/^[([{]+/, '').replace(/[)\]},;:!?]+$/, '');
    // Code, paths, versions and numbers: anything with punctuation or digits in it ("socket.end()",
    // "/tmp/x", "HTTP/1.1", "STATIC_DIR", "N").
    if (!/^[A-Za-z][A-Za-z-]*[A-Za-z]$/.test(run)) continue;
    if (!ALLOWED.has(run) && !data.has(run) && !/[a-z][A-Z]/.test(run)) words.push(run); // camelCase is an identifier
  }
  return words;
}

