/**
 * POST /form: building urlencoded bodies field by field (each field chooses how it is written: "+"
 * or %20 for a space, upper- or lower-case hex, raw UTF-8), what their JSON answer must be, and
 * reading that answer in the order it was written.
 */
import { fail } from '../../failure.ts';
import { t, type Text } from '../../i18n.ts';
import type { Rng } from '../../rng.ts';
import { escapeBytes } from '../../wire/escape.ts';
import { parseMediaType } from '../../wire/http.ts';
import type { Exchange } from '../../expect/http.ts';
import { bodyRequest, jsonObjectMembers, type BodyRequest } from '../../expect/http-bodies.ts';

/** One name=value pair as it goes on the wire, and what it means. */
export interface FormPair {
  name: string;
  value: string;
  /** As written in the body. */
  wire: string;
}

export interface EncodeStyle {
  /** How a space is written: "+" (what browsers send) or "%20". */
  space: '+' | '%20';
  lowerHex?: boolean;
  /** Leave non-ASCII characters as raw UTF-8 bytes (what `curl --data` sends for typed text). */
  rawUtf8?: boolean;
}

/** Percent-encodes a name or a value for a form body. */
export function encodeFormPart(s: string, style: EncodeStyle): string {
  let out = '';
  for (const ch of s) {
    if (/[A-Za-z0-9*\-._]/.test(ch)) out += ch;
    else if (ch === ' ') out += style.space;
    else if (style.rawUtf8 && ch.codePointAt(0)! > 0x7f) out += ch;
    else for (const b of Buffer.from(ch)) out += '%' + (style.lowerHex ? b.toString(16).padStart(2, '0') : b.toString(16).toUpperCase().padStart(2, '0'));
  }
  return out;
}

export function pair(name: string, value: string, style: EncodeStyle, o: { noEquals?: boolean } = {}): FormPair {
  return { name, value, wire: o.noEquals ? encodeFormPart(name, style) : `${encodeFormPart(name, style)}=${encodeFormPart(value, style)}` };
}

/** The fields the server must answer: in order of first appearance, each with its last value. */
export function expectedFields(pairs: readonly FormPair[]): [string, string][] {
  const m = new Map<string, string>();
  for (const p of pairs) m.set(p.name, p.value);
  return [...m];
}

/** A name that no JavaScript object reorders: never all digits. */
export const fieldName = (rng: Rng): string => `${rng.word(2, 6)}${rng.pick(['', '_', '-', ' '])}${rng.word(1, 4)}`;

const PHRASES = ['你好 世界', '张三', '套接字 实验', '北京市海淀区', '一二三'];
export const fieldValue = (rng: Rng): string =>
  rng.pick([() => `${rng.word()} ${rng.word()}`, () => rng.pick(PHRASES), () => String(rng.int(0, 99999)), () => `${rng.word()}@${rng.word()}.cn`, () => `${rng.word()} ${rng.pick(PHRASES)}`])();

export const FORM_TYPES = ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=UTF-8', 'Application/X-WWW-Form-Urlencoded'];

export function formRequest(body: Buffer | string, o: { type?: string | false; target?: string; headers?: [string, string][]; contentLength?: string | false } = {}): BodyRequest {
  const headers: [string, string][] = [['User-Agent', 'socklab-grader (bodies)']];
  if (o.type !== false) headers.push(['Content-Type', o.type ?? FORM_TYPES[0]!]);
  return bodyRequest({
    method: 'POST',
    target: o.target ?? '/form',
    headers: [...headers, ...(o.headers ?? [])],
    body: Buffer.from(body),
    ...(o.contentLength !== undefined ? { contentLength: o.contentLength } : {}),
  });
}

const show = (fields: readonly (readonly [string, unknown])[]): string => `{${fields.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`;

export const HINT_FORM = t(
  'Split the body on "&" into pairs (skip empty ones), each pair on its first "=" (no "=" means an empty value); in each part turn "+" into a space, then percent-decode (decodeURIComponent) — in that order, so that %2B stays a plus. A repeated name keeps its first place and takes the last value (a Map does exactly that). Answer 200 with Content-Type: application/json; charset=utf-8 and the object built with JSON.stringify for each name and value.',
  '把正文按 "&" 切成若干对（跳过空的），每一对按第一个 "=" 切开（没有 "=" 就表示值为空）；每一部分先把 "+" 换成空格，再做百分号解码（decodeURIComponent）——顺序不能反，这样 %2B 才会保持为加号。重复的名字保留它第一次出现的位置，取最后一个值（Map 正好就是这样）。回应 200，Content-Type: application/json; charset=utf-8，对象里的每个名字和值都用 JSON.stringify 生成。',
);

/** The answer to a POST /form is 200, JSON (charset utf-8), with exactly these fields in this order. */
export function expectFormAnswer(x: Exchange, req: BodyRequest, want: readonly [string, string][], hint: Text = HINT_FORM): void {
  const sent = t(`the body was ${escapeBytes(req.body, 120)}`, `正文是 ${escapeBytes(req.body, 120)}`);
  if (x.res.status !== 200) {
    fail({
      summary: t(`${x.what.en}: the status is ${x.res.status} ${x.res.reason} (${sent.en})`, `${x.what.zh}：状态码是 ${x.res.status} ${x.res.reason}（${sent.zh}）`),
      expected: t(`200 OK and the JSON object ${show(want)}`, `200 OK 和 JSON 对象 ${show(want)}`),
      hint,
      conn: x.conn,
    });
  }
  const raw = x.res.header('content-type');
  const mt = parseMediaType(raw);
  if (mt?.type !== 'application/json' || mt.params.charset?.toLowerCase() !== 'utf-8') {
    fail({
      summary: t(`${x.what.en}: Content-Type is ${raw === undefined ? 'missing' : `"${raw}"`}`, `${x.what.zh}：Content-Type ${raw === undefined ? '缺失' : `是 "${raw}"`}`),
      expected: t('Content-Type: application/json; charset=utf-8', 'Content-Type: application/json; charset=utf-8'),
      hint: t('Say what the body is: JSON, in UTF-8 — so that a client decodes the Chinese in it right.', '说明正文是什么：JSON，UTF-8 编码——这样客户端才能正确解码其中的中文。'),
      conn: x.conn,
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(x.res.body);
  } catch {
    fail({
      summary: t(`${x.what.en}: the body is not valid UTF-8: ${escapeBytes(x.res.body, 80)}`, `${x.what.zh}：正文不是合法的 UTF-8：${escapeBytes(x.res.body, 80)}`),
      expected: t(`the JSON object ${show(want)}, encoded as UTF-8`, `JSON 对象 ${show(want)}，用 UTF-8 编码`),
      hint,
      conn: x.conn,
    });
  }
  const parsed = jsonObjectMembers(text);
  if (!parsed.ok) {
    fail({
      summary: t(`${x.what.en}: the body is not a JSON object (${sent.en})`, `${x.what.zh}：正文不是一个 JSON 对象（${sent.zh}）`),
      expected: t(`the JSON object ${show(want)}`, `JSON 对象 ${show(want)}`),
      caret: { data: x.res.body, offset: Buffer.byteLength(text.slice(0, parsed.offset)), note: parsed.why },
      hint: t('Build each member with JSON.stringify(name) + ":" + JSON.stringify(value): it adds the quotes and escapes ", \\, line breaks and control characters for you.', '每个成员都用 JSON.stringify(name) + ":" + JSON.stringify(value) 生成：它会替你加上引号，并转义 "、\\、换行和控制字符。'),
      conn: x.conn,
    });
  }
  const got = parsed.members;
  if (parsed.duplicates.length > 0) {
    const d = parsed.duplicates[0]!;
    fail({
      summary: t(`${x.what.en}: the name ${JSON.stringify(d)} appears more than once in the JSON: ${escapeBytes(x.res.body, 160)}`, `${x.what.zh}：名字 ${JSON.stringify(d)} 在 JSON 里出现了不止一次：${escapeBytes(x.res.body, 160)}`),
      expected: t(`each name once, with the last value sent for it: ${show(want)}`, `每个名字只出现一次，值取发送的最后一个：${show(want)}`),
      hint,
      conn: x.conn,
    });
  }
  const same = got.length === want.length && got.every(([k, v], i) => k === want[i]![0] && v === want[i]![1]);
  if (same) return;
  const wantMap = new Map(want);
  const gotMap = new Map(got);
  const sameSet = got.length === want.length && got.every(([k, v]) => wantMap.get(k) === v);
  let story: Text;
  let storyHint = hint;
  const wrong = want.find(([k, v]) => gotMap.has(k) && gotMap.get(k) !== v);
  const missing = want.find(([k]) => !gotMap.has(k));
  if (sameSet) {
    story = t(`the right fields in the wrong order: ${got.map(([k]) => JSON.stringify(k)).join(', ')} instead of ${want.map(([k]) => JSON.stringify(k)).join(', ')}`, `字段都对，顺序错了：${got.map(([k]) => JSON.stringify(k)).join('、')}，应该是 ${want.map(([k]) => JSON.stringify(k)).join('、')}`);
    storyHint = t(
      'The fields go in the order their names first appear in the body. A name sent twice keeps its first place and takes its last value: map.set(name, value) on a Map does that; deleting and re-adding moves it to the end.',
      '字段按名字在正文里第一次出现的顺序排列。发送了两次的名字保留第一次的位置、取最后一个值：Map 的 map.set(name, value) 正是这样；先删除再添加就会把它挪到最后。',
    );
  } else if (wrong) {
    const [k, v] = wrong;
    const gv = gotMap.get(k);
    story = t(`${JSON.stringify(k)} is ${JSON.stringify(gv)}, not ${JSON.stringify(v)}`, `${JSON.stringify(k)} 的值是 ${JSON.stringify(gv)}，不是 ${JSON.stringify(v)}`);
    if (typeof gv === 'string' && gv === v.replaceAll(' ', '+')) storyHint = t('"+" in a form body means a space: replace it before percent-decoding.', '表单正文里的 "+" 表示空格：在百分号解码之前先把它替换掉。');
    else if (typeof gv === 'string' && /%[0-9A-Fa-f]{2}/.test(gv)) storyHint = t('Percent-decode every name and value: %E4%BD%A0 is the three UTF-8 bytes of 你. decodeURIComponent does it (after "+" became a space).', '每个名字和值都要做百分号解码：%E4%BD%A0 是 "你" 的三个 UTF-8 字节。decodeURIComponent 就能做到（在 "+" 换成空格之后）。');
    else if (typeof gv === 'string' && v.includes('+') && gv === v.replaceAll('+', ' ')) storyHint = t('Turn "+" into a space before percent-decoding, not after: %2B is a real plus, and must stay one.', '要在百分号解码之前把 "+" 换成空格，而不是之后：%2B 是真正的加号，必须保持为加号。');
  } else if (missing) {
    story = t(`the field ${JSON.stringify(missing[0])} is missing`, `缺少字段 ${JSON.stringify(missing[0])}`);
  } else {
    const extra = got.find(([k]) => !wantMap.has(k))!;
    story = t(`there is a field ${JSON.stringify(extra[0])} that was not sent`, `多了一个没有发送过的字段 ${JSON.stringify(extra[0])}`);
  }
  fail({
    summary: t(`${x.what.en}: ${story.en} (${sent.en})`, `${x.what.zh}：${story.zh}（${sent.zh}）`),
    expected: t(`${show(want)}`, `${show(want)}`),
    diff: { expected: Buffer.from(show(want)), actual: Buffer.from(show(got)) },
    hint: storyHint,
    conn: x.conn,
  });
}
