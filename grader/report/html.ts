/**
 * report.html: one self-contained page (no network, no external files — it opens from disk or an
 * attachment) for the teacher. Top to bottom: how grading ran (sandboxed or not), the class at a
 * glance, which checks the class struggles with, a table of students, and each student's failures
 * with their wire transcripts — a repo nobody touched in one line, a failure the same as an earlier
 * one of that student as "same as 2.3". Works without JavaScript; a few lines of it add a filter
 * box and sortable columns (name, each stage, total, status, time).
 */
import { say, t, type Lang, type Text } from '../i18n.ts';
import type { ClassResult, StageInfo, StudentResult } from '../results.ts';
import type { CheckResult, FailureKind, StageResult } from '../types.ts';
import { formatMs } from '../wire/conn.ts';
import { withoutRunDetails } from './csv.ts';
import { FAILURE_KIND_LABEL } from './labels.ts';
import { failureSections, lineGroups, type FailureSections, type Section } from './sections.ts';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** An id attribute from a student id that may hold any character. */
function anchor(id: string): string {
  return 's-' + [...id].map((c) => (/[A-Za-z0-9_-]/.test(c) ? c : `.${c.codePointAt(0)!.toString(16)}`)).join('');
}

function pct(n: number, d: number): number {
  return d === 0 ? 0 : Math.round((100 * n) / d);
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function round1(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

/** Fraction of points → a class for colour: full, most, some, none. */
function band(score: number, max: number): string {
  if (max === 0) return 'none';
  const f = score / max;
  return f >= 1 ? 'full' : f >= 0.6 ? 'most' : f > 0 ? 'some' : 'none';
}

export interface HtmlOptions {
  lang: Lang;
  /** The command that regrades one student, shown in their details (the CLI knows how it was run). */
  regrade?: (studentId: string) => string;
}

export function classReportHtml(result: ClassResult, opts: HtmlOptions): string {
  const L = opts.lang;
  const s = (x: Text | string): string => esc(say(x, L));
  const tt = (en: string, zh: string): string => esc(say(t(en, zh), L));
  const students = result.students;
  const n = students.length;
  const totalMax = result.stages.reduce((a, x) => a + x.maxScore, 0);
  const totals = students.map((x) => x.score);
  const mean = n ? totals.reduce((a, b) => a + b, 0) / n : 0;
  const full = students.filter((x) => x.maxScore > 0 && x.score === x.maxScore).length;
  const count = (st: string): number => students.filter((x) => x.status === st).length;
  const date = new Date(result.startedAt);
  const when = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')} ${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;

  const out: string[] = [];
  out.push(`<!doctype html>
<html lang="${L}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${tt('socklab class report', 'socklab 班级评测报告')} · ${esc(when)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="top">
  <div class="wrap">
    <h1>${tt('socklab · class report', 'socklab · 班级评测报告')}</h1>
    <p class="meta">${esc(when)} · ${tt(`${n} students`, `${n} 名学生`)} · ${tt('stages', '关卡')} ${result.stages.map((x) => x.number).join(', ')} · ${tt('class seed', '班级种子')} <code>${result.classSeed}</code> · ${tt(`${result.jobs} in parallel`, `并行 ${result.jobs} 个`)} · ${tt('took', '用时')} ${esc(formatMs(result.durationMs))}</p>
  </div>
</header>
<main class="wrap">
<p class="sandbox ${result.sandbox.kind === 'bubblewrap' ? 'on' : 'off'}">${boldFirstSentence(say(result.sandbox.note, L))} ${tt(`Time limits: ${formatMs(result.limits.stageMs)} per stage, ${formatMs(result.limits.studentMs)} per student, and each check its own bound.`, `时间上限：每关 ${formatMs(result.limits.stageMs)}，每个学生 ${formatMs(result.limits.studentMs)}，每项检查另有各自的时限。`)}</p>
<section class="cards">
  <div class="card"><div class="big">${n}</div><div class="label">${tt('students', '名学生')}</div><div class="sub">${tt(`${count('ok')} ok · ${count('did-not-start')} did not start · ${count('error')} error · ${count('timeout')} timeout`, `正常 ${count('ok')} · 未启动 ${count('did-not-start')} · 出错 ${count('error')} · 超时 ${count('timeout')}`)}</div></div>
  <div class="card"><div class="big">${round1(mean)}<span class="of"> / ${totalMax}</span></div><div class="label">${tt('average score', '平均分')}</div><div class="sub">${pct(mean, totalMax)}%</div></div>
  <div class="card"><div class="big">${round1(median(totals))}<span class="of"> / ${totalMax}</span></div><div class="label">${tt('median score', '中位数')}</div><div class="sub">${tt(`lowest ${n ? Math.min(...totals) : 0}, highest ${n ? Math.max(...totals) : 0}`, `最低 ${n ? Math.min(...totals) : 0}，最高 ${n ? Math.max(...totals) : 0}`)}</div></div>
  <div class="card"><div class="big">${full}</div><div class="label">${tt('full marks', '满分人数')}</div><div class="sub">${pct(full, n)}% ${tt('of the class', '占全班')}</div></div>
</section>`);

  // Distribution of totals in tenths.
  const buckets = Array.from({ length: 11 }, () => 0);
  for (const x of students) buckets[x.maxScore ? Math.floor((10 * x.score) / x.maxScore) : 0]!++;
  const peak = Math.max(1, ...buckets);
  out.push(`<section><h2>${tt('Score distribution', '分数分布')}</h2><div class="hist">`);
  buckets.forEach((b, i) => {
    const label = i === 10 ? '100%' : `${i * 10}–${i * 10 + 9}%`;
    out.push(`<div class="col" title="${esc(label)}: ${b}"><div class="n">${b || ''}</div><div class="bar ${b === 0 ? 'empty' : i === 10 ? 'full' : i >= 6 ? 'most' : i > 0 ? 'some' : 'none'}" style="height:${Math.round((100 * b) / peak)}%"></div><div class="x">${esc(label)}</div></div>`);
  });
  out.push(`</div></section>`);

  // Stages.
  out.push(`<section><h2>${tt('Stages', '各关卡')}</h2><table class="grid"><thead><tr><th>${tt('stage', '关卡')}</th><th>${tt('max', '满分')}</th><th>${tt('average', '平均')}</th><th>${tt('full marks', '满分人数')}</th><th>${tt('server did not start', '服务器未启动')}</th></tr></thead><tbody>`);
  for (const st of result.stages) {
    const rs = students.map((x) => x.stages.find((y) => y.stage === st.number)).filter((x): x is StageResult => Boolean(x));
    const avg = rs.length ? rs.reduce((a, r) => a + r.score, 0) / rs.length : 0;
    const fullN = rs.filter((r) => r.maxScore > 0 && r.score === r.maxScore).length;
    const noStart = rs.filter((r) => r.startError).length;
    out.push(`<tr><td>${st.number} · ${s(st.title)}</td><td class="num">${st.maxScore}</td><td>${meter(avg, st.maxScore, `${round1(avg)}`)}</td><td class="num">${fullN} <span class="dim">(${pct(fullN, rs.length)}%)</span></td><td class="num">${noStart || '—'}</td></tr>`);
  }
  out.push(`</tbody></table></section>`);

  // Checks: pass rate and how they fail.
  const rows: { st: StageInfo; c: StageInfo['checks'][number]; passed: number; seen: number; kinds: Map<FailureKind, number> }[] = [];
  for (const st of result.stages) {
    for (const c of st.checks) {
      let passed = 0;
      let seen = 0;
      const kinds = new Map<FailureKind, number>();
      for (const x of students) {
        const r = x.stages.find((y) => y.stage === st.number)?.checks.find((y) => y.id === c.id);
        if (!r) continue;
        seen++;
        if (r.passed) passed++;
        else if (r.failure) kinds.set(r.failure.kind, (kinds.get(r.failure.kind) ?? 0) + 1);
      }
      rows.push({ st, c, passed, seen, kinds });
    }
  }
  const hardest = [...rows].filter((r) => r.seen > 0 && r.passed < r.seen).sort((a, b) => a.passed / a.seen - b.passed / b.seen).slice(0, 5);
  out.push(`<section><h2>${tt('Checks — what the class struggles with', '各项检查——全班的难点')}</h2>`);
  if (hardest.length) {
    out.push(`<p class="hardest">${tt('Hardest:', '最难：')} ${hardest.map((r) => `<span class="pill">${esc(r.c.id)} ${s(r.c.title)} — ${pct(r.passed, r.seen)}%</span>`).join(' ')}</p>`);
  }
  out.push(`<table class="grid checks"><thead><tr><th>${tt('check', '检查')}</th><th>${tt('points', '分值')}</th><th>${tt('pass rate', '通过率')}</th><th>${tt('how it fails', '失败方式')}</th></tr></thead><tbody>`);
  for (const r of rows) {
    const rate = pct(r.passed, r.seen);
    const kinds = [...r.kinds.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${s(FAILURE_KIND_LABEL[k])} ×${v}`).join(' · ');
    out.push(`<tr class="${rate < 50 ? 'low' : ''}"><td><code>${esc(r.c.id)}</code> ${s(r.c.title)}${r.c.teacherOnly ? ` <span class="tag">${tt('hidden', '隐藏')}</span>` : ''}</td><td class="num">${r.c.points}</td><td>${meter(r.passed, r.seen, `${rate}% <span class="dim">(${r.passed}/${r.seen})</span>`)}</td><td class="dim">${kinds || '—'}</td></tr>`);
  }
  out.push(`</tbody></table></section>`);

  // Students table: sortable by any column (a few lines of script; without it, roster order).
  const STATUS_ORDER: Record<StudentResult['status'], number> = { error: 0, timeout: 1, 'did-not-start': 2, ok: 3 };
  const sortable = (col: number, label: string): string => `<th data-col="${col}">${label}</th>`;
  out.push(`<section><h2>${tt('Students', '学生')}</h2>
<input id="filter" type="search" placeholder="${tt('Filter by name…', '按名字筛选…')}" hidden>
<table class="grid students"><thead><tr>${sortable(0, tt('student', '学生'))}${result.stages.map((x, i) => sortable(i + 1, `${tt(`stage ${x.number}`, `第 ${x.number} 关`)}<span class="dim"> /${x.maxScore}</span>`)).join('')}${sortable(result.stages.length + 1, `${tt('total', '总分')}<span class="dim"> /${totalMax}</span>`)}${sortable(result.stages.length + 2, tt('status', '状态'))}${sortable(result.stages.length + 3, tt('time', '用时'))}</tr></thead><tbody>`);
  for (const x of students) {
    const scores = result.stages.map((st) => x.stages.find((y) => y.stage === st.number)?.score ?? 0);
    const keys = [x.id.toLowerCase(), ...scores, x.score, STATUS_ORDER[x.status], x.durationMs];
    const cells = untouchedAll(x, result)
      ? `<td colspan="${result.stages.length}" class="untouched">${tt('skeleton, not started', '骨架未改动，尚未开始')}</td>`
      : result.stages
          .map((st, i) => {
            const fresh = x.untouched?.includes(st.number);
            return `<td class="num"><span class="chip ${fresh ? 'fresh' : band(scores[i]!, st.maxScore)}"${fresh ? ` title="${tt('skeleton, not started', '骨架未改动，尚未开始')}"` : ''}>${scores[i]}</span></td>`;
          })
          .join('');
    out.push(`<tr data-name="${esc(x.id.toLowerCase())}" data-sort="${esc(JSON.stringify(keys))}"><td><a href="#${anchor(x.id)}">${esc(x.id)}</a></td>${cells}<td class="num"><strong>${x.score}</strong> <span class="dim">${pct(x.score, x.maxScore)}%</span></td><td>${statusPill(x, L)}</td><td class="num dim">${esc(formatMs(x.durationMs))}</td></tr>`);
  }
  out.push(`</tbody></table></section>`);

  // Details: a repo nobody touched is one line; everyone else gets their failures.
  out.push(`<section><h2>${tt('Details', '详情')} <button id="expand" type="button" hidden>${tt('expand all', '全部展开')}</button></h2>`);
  for (const x of students) out.push(untouchedAll(x, result) ? untouchedLine(x, L) : studentDetails(x, result, opts));
  out.push(`</section>
</main>
<footer class="wrap dim">${tt('Generated by socklab. Student servers were graded on the wire with this kit\'s grader; nothing in a student\'s repo other than its server files was run.', '由 socklab 生成。学生的服务器由本套件的评测器在网络连接上评测；学生仓库中除服务器文件外的任何内容都没有被运行。')}</footer>
<script>${JS}</script>
</body>
</html>
`);
  return out.join('\n');
}

/** "Sandboxed with bubblewrap: …" → the part before the first colon in bold. */
function boldFirstSentence(text: string): string {
  const m = /^([^:：]+[:：])(.*)$/s.exec(text);
  return m ? `<strong>${esc(m[1]!)}</strong>${esc(m[2]!)}` : esc(text);
}

function meter(value: number, max: number, label: string): string {
  const p = max === 0 ? 0 : Math.max(0, Math.min(100, (100 * value) / max));
  const cls = p >= 100 ? 'full' : p >= 60 ? 'most' : p > 0 ? 'some' : 'none';
  return `<div class="meter"><div class="track"><div class="fill ${cls}" style="width:${p.toFixed(1)}%"></div></div><span>${label}</span></div>`;
}

const STATUS_LABEL: Record<StudentResult['status'], Text> = { ok: t('ok', '正常'), 'did-not-start': t('did not start', '未启动'), error: t('error', '出错'), timeout: t('timeout', '超时') };

function statusPill(x: StudentResult, lang: Lang): string {
  const label = STATUS_LABEL[x.status];
  const why = x.problems.map((p) => withoutRunDetails(say(p, lang), x.repo)).join('\n');
  return `<span class="status ${x.status}"${why ? ` title="${esc(why)}"` : ''}>${esc(say(label, lang))}</span>${x.problems.length ? `<div class="why">${esc(withoutRunDetails(say(x.problems[0]!, lang), x.repo))}${x.problems.length > 1 ? ' …' : ''}</div>` : ''}`;
}

/** Every graded stage is still the kit's skeleton (and the grader could grade it): nothing to show but that. */
function untouchedAll(x: StudentResult, result: ClassResult): boolean {
  return x.status !== 'error' && result.stages.length > 0 && result.stages.every((st) => x.untouched?.includes(st.number));
}

function untouchedLine(x: StudentResult, lang: Lang): string {
  return `<div class="student untouched" id="${anchor(x.id)}"><span class="name">${esc(x.id)}</span> <span class="chip none">${x.score}/${x.maxScore}</span> <span class="dim">${esc(say(t('skeleton, not started', '骨架未改动，尚未开始'), lang))} · ${esc(say(t('seed', '种子'), lang))} <code>${x.seed}</code></span></div>`;
}

function studentDetails(x: StudentResult, result: ClassResult, opts: HtmlOptions): string {
  const L = opts.lang;
  const s = (v: Text | string): string => esc(say(v, L));
  const tt = (en: string, zh: string): string => esc(say(t(en, zh), L));
  const out: string[] = [];
  const open = x.status !== 'ok' || x.score < x.maxScore;
  out.push(`<details class="student" id="${anchor(x.id)}"><summary><span class="name">${esc(x.id)}</span> <span class="chip ${band(x.score, x.maxScore)}">${x.score}/${x.maxScore}</span> ${statusPill(x, L)}${open ? '' : ` <span class="dim">${tt('every check passed', '全部检查通过')}</span>`}</summary>`);
  out.push(`<p class="dim small">${tt('repo', '仓库')} <code>${esc(x.repo)}</code> · ${tt('seed', '种子')} <code>${x.seed}</code> · ${tt('the student reproduces the inputs with', '学生可用此命令复现输入')} <code>npm run grade -- ${result.stages.length === 1 ? `${result.stages[0]!.number} ` : ''}--seed ${x.seed}</code>${opts.regrade ? ` · ${tt('regrade', '重新评测')} <code>${esc(opts.regrade(x.id))}</code>` : ''}</p>`);
  for (const p of x.problems) out.push(`<p class="problem">${esc(withoutRunDetails(say(p, L), x.repo))}</p>`);
  // A failure the same as an earlier one of this student says so, instead of repeating its transcript.
  const seen = new Map<string, string>();
  for (const r of x.stages) {
    const fresh = x.untouched?.includes(r.stage);
    out.push(`<h4>${tt(`Stage ${r.stage}`, `第 ${r.stage} 关`)} · ${s(r.title)} <span class="chip ${fresh ? 'fresh' : band(r.score, r.maxScore)}">${r.score}/${r.maxScore}</span>${r.cut ? ` <span class="status timeout">${tt('cut by time limit', '因时间上限被停止')}</span>` : ''}${fresh ? ` <span class="dim">${tt('skeleton, not started', '骨架未改动，尚未开始')}</span>` : ''}</h4>`);
    if (fresh) continue;
    if (r.startError?.output) out.push(`<pre class="output">${esc(r.startError.output)}</pre>`);
    out.push(`<ul class="checklist">${r.checks.map((c) => `<li class="${c.passed ? 'pass' : 'fail'}" title="${esc(say(c.title, L))}">${c.passed ? '✔' : '✘'} ${esc(c.id)}</li>`).join('')}</ul>`);
    const failures = r.checks.filter((c) => !c.passed);
    // When nothing started, the same reason on every check says nothing new.
    const shown = r.startError ? failures.slice(0, 1) : failures;
    for (const c of shown) {
      const view = failureSections(c, L);
      if (!view) continue;
      const key = sameFailureKey(view);
      const earlier = seen.get(key);
      if (earlier) out.push(sameAsLine(c, view, earlier, x, L));
      else {
        seen.set(key, c.id);
        out.push(failureBlock(c, view, x, L));
      }
    }
  }
  out.push(`</details>`);
  return out.join('\n');
}

/** Byte transcripts and server output get a coloured edge, so sent and received tell apart at a glance. */
const PRE_CLASS: Partial<Record<Section['key'], string>> = { sent: 'sent', received: 'recv', output: 'output' };

/**
 * Two failures are the same when the server did the same thing: it crashed, hung, closed or reset
 * the same way, with the same bytes back and the same output — whichever check's input provoked
 * it, and numbers aside (sizes and offsets differ from check to check while the fault is one). A
 * wrong answer is the same only when the account of what was wrong is too.
 */
function sameFailureKey(view: FailureSections): string {
  const keys: Section['key'][] = view.kind === 'wrong' || view.kind === 'not-closed' ? ['happened', 'received', 'difference', 'output'] : ['received', 'output'];
  const parts = view.sections.filter((x) => keys.includes(x.key)).map((x) => `${x.key}:${x.lines.map((l) => l.text).join('\n')}`);
  return `${view.kind}|${parts.join('|').replace(/\d+/g, '#')}`;
}

const failureAnchor = (student: StudentResult, id: string): string => `${anchor(student.id)}-${id.replace(/[^\w-]/g, '_')}`;

function sameAsLine(c: CheckResult, view: FailureSections, earlier: string, student: StudentResult, L: Lang): string {
  const hidden = c.teacherOnly ? ` <span class="tag">${esc(say(t('hidden', '隐藏'), L))}</span>` : '';
  return `<div class="failure same" id="${failureAnchor(student, c.id)}"><div class="ftitle">✘ <code>${esc(view.id)}</code> ${esc(view.title)} <span class="kind">${esc(view.kindLabel)}</span>${hidden} <span class="dim">— ${esc(say(t('same as', '同'), L))} <a href="#${failureAnchor(student, earlier)}">${esc(earlier)}</a></span></div></div>`;
}

function failureBlock(c: CheckResult, view: FailureSections, student: StudentResult, L: Lang): string {
  const rows = view.sections.map((section) => {
    const body = lineGroups(section.lines)
      .map((g) => (g.prose ? g.lines.map(esc).join('<br>') : `<pre${PRE_CLASS[section.key] ? ` class="${PRE_CLASS[section.key]}"` : ''}>${esc(g.lines.join('\n'))}</pre>`))
      .join('');
    return `<dt>${esc(section.label)}</dt><dd class="${section.key === 'hint' ? 'hint' : ''}">${body}</dd>`;
  });
  const hidden = c.teacherOnly ? ` <span class="tag">${esc(say(t('hidden', '隐藏'), L))}</span>` : '';
  return `<div class="failure" id="${failureAnchor(student, c.id)}"><div class="ftitle">✘ <code>${esc(view.id)}</code> ${esc(view.title)} <span class="kind">${esc(view.kindLabel)}</span>${hidden}</div><dl>${rows.join('')}</dl></div>`;
}

/**
 * CJK fonts common on each system, after the Latin ones: Windows (Microsoft YaHei, JhengHei),
 * macOS (PingFang, Hiragino Sans GB), Linux (Noto Sans CJK, Source Han Sans, WenQuanYi). A browser
 * falls back glyph by glyph along the list, so names in Chinese never render as boxes where any
 * of them is installed.
 */
const CJK_FONTS = ['"PingFang SC"', '"PingFang TC"', '"Hiragino Sans GB"', '"Microsoft YaHei"', '"Microsoft JhengHei"', '"Noto Sans CJK SC"', '"Noto Sans CJK TC"', '"Source Han Sans SC"', '"Source Han Sans TC"', '"WenQuanYi Micro Hei"'].join(',');

const CSS = `
:root{--sans:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",${CJK_FONTS},sans-serif;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono","Noto Sans Mono CJK SC",${CJK_FONTS},monospace;--ink:#1b2430;--dim:#667085;--line:#e4e7ec;--bg:#f6f7f9;--card:#fff;--head:#1f3b63;--full:#1a7f37;--full-bg:#dcf5e3;--most:#7a5a00;--most-bg:#fdf1c7;--some:#b54708;--some-bg:#fde4d0;--none:#b42318;--none-bg:#fde2e1;--accent:#2f6fde}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 var(--sans);color:var(--ink);background:var(--bg)}
.wrap{max-width:1180px;margin:0 auto;padding:0 24px}
header.top{background:var(--head);color:#fff;padding:18px 0 14px}
header.top h1{margin:0;font-size:22px;font-weight:650;letter-spacing:.2px}
header.top .meta{margin:4px 0 0;opacity:.85}
header.top code{background:rgba(255,255,255,.15);color:#fff}
h2{font-size:17px;margin:28px 0 10px}
h4{margin:16px 0 6px;font-size:14px}
code{font:12.5px/1.4 var(--mono);background:#eef1f5;padding:1px 5px;border-radius:4px}
pre{font:12px/1.45 var(--mono);background:#f2f4f7;border:1px solid var(--line);border-radius:6px;padding:6px 8px;margin:4px 0;white-space:pre-wrap;word-break:break-all;max-height:260px;overflow:auto}
pre.sent{border-left:3px solid #2f6fde}pre.recv{border-left:3px solid #9b51e0}pre.output{background:#1e1e1e;color:#e6e6e6;border-color:#1e1e1e}
.dim{color:var(--dim)}.small{font-size:12.5px}
.sandbox{margin:16px 0 0;padding:10px 14px;border-radius:8px;border:1px solid}
.sandbox.on{background:#ecf8f0;border-color:#b7e4c7}.sandbox.off{background:#fff6e5;border-color:#f5d28a}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-top:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px}
.card .big{font-size:28px;font-weight:650;line-height:1.2}.card .of{font-size:15px;color:var(--dim);font-weight:500}
.card .label{color:var(--dim);text-transform:uppercase;font-size:11.5px;letter-spacing:.6px}.card .sub{font-size:12.5px;color:var(--dim);margin-top:2px}
.hist{display:flex;gap:6px;align-items:flex-end;height:150px;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px 4px}
.hist .col{flex:1;display:flex;flex-direction:column;justify-content:flex-end;height:100%;text-align:center}
.hist .bar{border-radius:4px 4px 0 0;min-height:2px}.hist .bar.empty{background:#eceff3}.hist .n{font-size:12px;color:var(--dim)}.hist .x{font-size:10.5px;color:var(--dim);padding-top:3px;white-space:nowrap}
.bar.full,.fill.full{background:var(--full)}.bar.most,.fill.most{background:#d4a017}.bar.some,.fill.some{background:#e8793a}.bar.none,.fill.none{background:#d9d9d9}
table.grid{width:100%;border-collapse:separate;border-spacing:0;background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden}
table.grid th{background:var(--head);color:#fff;text-align:left;font-weight:600;padding:8px 10px;font-size:13px;position:sticky;top:0}
table.grid th .dim{color:#c9d4e5}
table.grid td{padding:6px 10px;border-top:1px solid var(--line);vertical-align:top}
table.grid tbody tr:nth-child(even) td{background:#fafbfc}
table.grid tr.low td{background:#fff4f2}
td.num{text-align:right;white-space:nowrap}
.meter{display:flex;align-items:center;gap:8px;min-width:200px}.meter .track{flex:1;height:9px;background:#eceff3;border-radius:5px;overflow:hidden;max-width:240px}.meter .fill{height:100%}
.chip{display:inline-block;min-width:34px;text-align:center;border-radius:10px;padding:0 7px;font-weight:600;font-variant-numeric:tabular-nums}
.chip.full{background:var(--full-bg);color:var(--full)}.chip.most{background:var(--most-bg);color:var(--most)}.chip.some{background:var(--some-bg);color:var(--some)}.chip.none{background:var(--none-bg);color:var(--none)}
.status{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.4px}
.status.ok{background:var(--full-bg);color:var(--full)}.status.error{background:var(--none-bg);color:var(--none)}.status.timeout{background:var(--most-bg);color:var(--most)}.status.did-not-start{background:#e9edf5;color:#344054}
.chip.fresh{background:#eef1f5;color:#98a2b3}
td.untouched{color:var(--dim);font-style:italic;text-align:center}
table.students th[data-col]{cursor:pointer;user-select:none;white-space:nowrap}
table.students th[data-col]:focus-visible{outline:2px solid #fff;outline-offset:-3px}
table.students th[aria-sort]::after{content:" ▾";opacity:.9}table.students th[aria-sort=ascending]::after{content:" ▴"}
div.student.untouched{background:var(--card);border:1px solid var(--line);border-radius:10px;margin:8px 0;padding:6px 14px 6px 28px}
.failure.same{border-left-color:#f3b8b3;padding:2px 0 2px 12px;margin:4px 0}
table.students.sortable th[data-col]:not([aria-sort])::after{content:" ↕";opacity:.45}.failure.same .ftitle{font-weight:500}
.why{font-size:12px;color:var(--dim);max-width:360px}
.pill{display:inline-block;background:#fff;border:1px solid var(--line);border-radius:12px;padding:1px 9px;margin:2px 2px;font-size:12.5px}
.tag{font-size:10.5px;text-transform:uppercase;letter-spacing:.5px;background:#ede9fe;color:#5b21b6;border-radius:4px;padding:0 5px;vertical-align:1px}
details.student{background:var(--card);border:1px solid var(--line);border-radius:10px;margin:8px 0;padding:6px 14px}
details.student>summary{cursor:pointer;padding:4px 0;list-style-position:outside}
.student .name{font-weight:600}
.problem{background:var(--none-bg);color:var(--none);border-radius:6px;padding:4px 10px;margin:6px 0}
ul.checklist{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px}
ul.checklist li{font:12px var(--mono);border-radius:4px;padding:0 6px}
ul.checklist li.pass{background:var(--full-bg);color:var(--full)}ul.checklist li.fail{background:var(--none-bg);color:var(--none)}
.failure{border-left:3px solid var(--none);padding:4px 0 4px 12px;margin:10px 0}
.failure .ftitle{font-weight:600}.failure .kind{font-size:12px;color:var(--none);font-weight:500}
.failure dl{display:grid;grid-template-columns:120px 1fr;gap:2px 12px;margin:6px 0 0}
.failure dt{color:var(--dim);font-size:12.5px}.failure dd{margin:0}.failure dd.hint{color:#7a5a00}
#filter{margin:0 0 8px;padding:6px 10px;border:1px solid var(--line);border-radius:6px;width:260px;font:inherit}
#expand{font:inherit;font-size:12px;margin-left:8px;border:1px solid var(--line);background:#fff;border-radius:6px;padding:2px 8px;cursor:pointer}
footer{margin:30px auto;font-size:12px}
@media (max-width:800px){.cards{grid-template-columns:repeat(2,1fr)}}
@media print{header.top{background:#fff;color:#000}details.student{break-inside:avoid}#filter,#expand{display:none}}
`;

const JS = `
(function(){
  var f=document.getElementById('filter'),e=document.getElementById('expand');
  f.hidden=false;e.hidden=false;
  f.addEventListener('input',function(){var q=f.value.toLowerCase();document.querySelectorAll('table.students tbody tr').forEach(function(r){r.style.display=r.dataset.name.indexOf(q)>=0?'':'none';});});
  var open=false;e.addEventListener('click',function(){open=!open;document.querySelectorAll('details.student').forEach(function(d){d.open=open;});});
  var t=document.querySelector('table.students'),b=t.tBodies[0],rows=[].slice.call(b.rows);
  t.classList.add('sortable');
  rows.forEach(function(r,i){r._k=JSON.parse(r.dataset.sort);r._i=i;});
  t.querySelectorAll('th[data-col]').forEach(function(th){
    var c=+th.dataset.col;th.tabIndex=0;
    function go(){
      var up=th.getAttribute('aria-sort')==='descending'||(c===0&&!th.hasAttribute('aria-sort')),d=up?1:-1;
      t.querySelectorAll('th[aria-sort]').forEach(function(h){h.removeAttribute('aria-sort');});
      th.setAttribute('aria-sort',up?'ascending':'descending');
      rows.slice().sort(function(x,y){var p=x._k[c],q=y._k[c];return (typeof p==='number'?p-q:String(p).localeCompare(String(q)))*d||x._i-y._i;}).forEach(function(r){b.appendChild(r);});
    }
    th.addEventListener('click',go);
    th.addEventListener('keydown',function(ev){if(ev.key==='Enter'||ev.key===' '){ev.preventDefault();go();}});
  });
})();
`;
