/**
 * Connection names in every language. Checks name their connections ("client 2 (resets)") for the
 * transcript; many still pass English strings, so the common shapes are translated here, once, for
 * the report (report/sections.ts) and for checks that write a name into a message (`Conn.name`).
 */
import { t, type Text } from '../i18n.ts';

/**
 * What a client is doing, as the checks name it in "client N (…)" labels given as English strings.
 * Built from the labels the stages pass today; a label not in here keeps its English remark, so a
 * stage should rather pass a Text: ctx.connect(t('client 2 (resets)', '客户端 2（重置连接）')).
 */
const CLIENT_REMARKS: Record<string, string> = {
  'stays connected': '一直连着',
  resets: '会重置连接',
  'sends nothing': '什么也不发',
  'stalls mid-head': '请求头发到一半就停下',
  'sends nothing, closes': '什么也不发就关闭',
  'sends nothing, resets': '什么也不发就重置连接',
  'sends nothing, closes later': '什么也不发，稍后关闭',
  'after the malformed ones': '在那些格式错误的请求之后',
  'quiet after a response': '收到响应后不再说话',
  'connects, sends nothing': '连上后什么也不发',
  'stops half-way through a head': '请求头发到一半就停下',
  'pauses inside a head': '在请求头中间停顿',
  'over-long request line': '请求行过长',
  'oversized headers': '头部过大',
  slow: '慢速',
  fast: '快速',
  'reads slowly': '读得很慢',
  'invalid name': '名字不合法',
  'never names itself': '始终不报名字',
  'sends half a name': '只发半个名字',
  'resets before naming itself': '报名字之前就重置连接',
  'pauses inside its head': '在请求头中间停顿',
  'pauses inside a header': '在帧头中间停顿',
  'pauses inside a payload': '在消息体中间停顿',
  'quiet before its request': '发请求之前一直不说话',
  'quiet between frames': '在两帧之间不说话',
  'stops reading': '不再读取',
  'stops reading, then reads slowly': '先停止读取，再慢慢读',
  'after the bad forms': '在那些错误的表单之后',
  afterwards: '之后',
  'byte by byte': '逐字节发送',
  'conditional requests, while client 1 reads nothing': '发条件请求，同时客户端 1 什么也不读',
  'during the pause': '在停顿期间',
  new: '新来的',
  'sends the body without waiting': '不等待就发送正文',
  'the same Content-Length twice': '两次相同的 Content-Length',
  'unusual but valid lengths': '少见但合法的长度',
  'uploads the first version': '上传第一个版本',
  'waits for 100 Continue': '等待 100 Continue',
  'while 1 and 2 pause': '在 1 和 2 停顿期间',
};

/** Remarks with a name or a request in them: "also Ann", "Ann, stops reading", "GET /a.txt". */
function remarkInChinese(remark: string): string | undefined {
  if (CLIENT_REMARKS[remark] !== undefined) return CLIENT_REMARKS[remark];
  // An HTTP request or version is the same in every language.
  if (/^(?:[A-Z]+ \/\S*|HTTP\/\d\.\d)$/.test(remark)) return remark;
  const also = /^also (\S+)$/.exec(remark);
  if (also) return `也叫 ${also[1]}`;
  const deaf = /^(\S+), stops reading$/.exec(remark);
  if (deaf) return `${deaf[1]}，不再读取`;
  const idle = /^idle for (\S+ m?s)$/.exec(remark);
  if (idle) return `空闲 ${idle[1]}`;
  const announces = /^announces (\d+) bytes$/.exec(remark);
  if (announces) return `声明 ${announces[1]} 字节`;
  const head = /^a (\d+)-byte browser head$/.exec(remark);
  if (head) return `${head[1]} 字节的浏览器式请求头`;
  const midBody = /^pauses (\S+ m?s) mid-body$/.exec(remark);
  if (midBody) return `在正文中途停顿 ${midBody[1]}`;
  // Header lines are the same in every language: "Content-Length: 5 / 6".
  if (/^Content-Length: [^()]*$/.test(remark)) return remark;
  const noLength = /^([A-Z]+ \/\S*), no Content-Length$/.exec(remark);
  if (noLength) return `${noLength[1]}，没有 Content-Length`;
  return undefined;
}

/**
 * A connection's name in every language. Labels given as Text are used as they are; English strings
 * of the shapes "client", "client 3", "client 3 of 8", "client 3 (remark)" and "client (remark)"
 * are translated, the remark only when it is known (CLIENT_REMARKS); anything else stays as given.
 * Reports call this when they show a transcript; `Conn.name` holds it for a check's own messages.
 */
export function connectionText(label: string | Text): Text {
  if (typeof label !== 'string') return label;
  const m = /^client(?: (\d+)(?: of (\d+))?)?(?: \((.+)\))?$/.exec(label);
  if (!m) return t(label, label);
  const [, n, of, remark] = m;
  const who = `客户端${n ? ` ${n}` : ''}${of ? `/${of}` : ''}`;
  if (remark === undefined) return t(label, who);
  const zh = remarkInChinese(remark);
  return t(label, zh === undefined ? `${who}（${remark}）` : `${who}（${zh}）`);
}
