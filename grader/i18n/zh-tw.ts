/**
 * Traditional Chinese with Taiwan usage, derived from the Simplified texts: OpenCC's s2twp
 * conversion (Simplified → Taiwan, with phrases: 服务器 → 伺服器, 默认 → 預設, 内存 → 記憶體), then
 * the few terms where a Taiwanese networking textbook says something else (OVERRIDES).
 *
 * The dictionaries are opencc-js's own; the matching is done here. opencc-js builds a trie of one
 * Map per node from its 50,000 phrases, twice (110–290 ms before the first word is converted, on a
 * loaded 2-core machine); flat Maps searched longest-first, each dictionary parsed once, give the
 * same output (test/i18n-zh-tw.test.ts compares the two over every Chinese line of the kit) in
 * 36–64 ms. Nothing is loaded until a zh-TW text is asked for, so English and Simplified Chinese
 * pay nothing.
 */
import { createRequire } from 'node:module';

/**
 * Where OpenCC's Taiwan conversion is not what a Taiwanese textbook on network programming says.
 * Keys are Simplified phrases as the zh-CN texts write them; a key wins over any OpenCC phrase it
 * overlaps at the same place (longest first) and its value is used as it is.
 */
export const OVERRIDES: Readonly<Record<string, string>> = {
  套接字: '通訊端', // OpenCC keeps 套接字; Taiwan's man pages and Microsoft's docs say 通訊端
  进程: '行程', // OpenCC: 程序, which a learner reads as 程式 (program); OS textbooks say 行程
  进程组: '行程群組',
  报文段: '區段', // a TCP segment
  协议: '協定',
  头部: '標頭', // an HTTP or frame header
  个头部: '個標頭', // OpenCC matches 个头 (個頭, one's height) first
  请求头: '請求標頭',
  响应头: '回應標頭',
  响应: '回應', // OpenCC: 響應; an HTTP response is a 回應
  帧: '訊框', // a frame of stage 4; 幀 is a video frame
  分帧: '訊框化',
  消息分帧: '訊息的訊框化',
  超时: '逾時',
  二进制: '二進位', // OpenCC: 二進位制
  回调: '回呼', // OpenCC: 回撥, which is calling back on the phone
  连接回调: '連線回呼',
  函数里: '函式裡',
  挂断: '掛斷', // OpenCC: 結束通話 (hanging up the phone)
  回环: '回送', // loopback: 回送位址, 回送介面
  地址: '位址',
  网卡: '網路卡',
  实现: '實作',
  返回: '回傳', // a function returns: 回傳
  数字节: '數位元組', // counting bytes; OpenCC reads 数字 (digits) first
  位整数: '位元整數', // a 32-bit integer
  笔记本: '筆電',
  驱动器: '磁碟機',
  前缀: '前綴', // OpenCC: 字首, the linguist's prefix
  反馈: '回饋',
  复现: '重現',
  复用: '重用',
  生成: '產生',
  在线路上: '在線路上', // on the wire; OpenCC reads 在线 (online) first
  信息: '訊息', // every 信息 in the kit is a message; OpenCC's 資訊 is information
  打印: '印出', // a program prints: 印出; 列印 is the printer's
  打印出: '印出',
  只打印: '只印出',
  示例: '範例',
  教程: '教學',
  脚本: '腳本', // OpenCC: 指令碼 (Microsoft's word); the web's scripts are 腳本
  仓库: '儲存庫', // a git repository, as GitHub's Taiwanese pages say
  文本: '文字',
  配置: '設定',
  类型: '類型', // a content type; a type in a program is 型別
  类型检查: '型別檢查',
  粘包: '黏包',
  安装依赖: '安裝相依套件',
  终端: '終端機',
  // 只 means "only" everywhere in the kit; OpenCC reads some as the measure word 隻.
  最多只: '最多只',
  这只: '這只',
  是只: '是只',
  换只: '換只',
  // Quotation marks: Taiwan writes 「」.
  '“': '「',
  '”': '」',
};

/** OpenCC's conversion config, as opencc-js ships it. */
interface OpenccConfig {
  normalizationChain: string[][];
  segmentation: string[];
  conversionChain: string[][];
}

/**
 * A dictionary: phrase → replacement, looked up in its sources in order (the first source that has
 * a phrase wins, as in OpenCC), and the length of its longest phrase.
 */
interface Dict {
  get(phrase: string): string | undefined;
  longest: number;
}

/** Each source parsed once: the segmentation and the first conversion step share the big one. */
const parsed = new Map<string, { map: Map<string, string>; longest: number }>();

function parse(source: string): { map: Map<string, string>; longest: number } {
  let hit = parsed.get(source);
  if (hit) return hit;
  const map = new Map<string, string>();
  let longest = 0;
  for (const entry of source.split('|')) {
    const space = entry.indexOf(' ');
    if (space <= 0) continue;
    const key = entry.slice(0, space);
    if (map.has(key)) continue;
    map.set(key, entry.slice(space + 1));
    if (key.length > longest) longest = key.length;
  }
  hit = { map, longest };
  parsed.set(source, hit);
  return hit;
}

function dictOf(sources: readonly string[]): Dict {
  const maps = sources.map(parse);
  return {
    get: (phrase) => {
      for (const m of maps) {
        const v = m.map.get(phrase);
        if (v !== undefined) return v;
      }
      return undefined;
    },
    longest: Math.max(0, ...maps.map((m) => m.longest)),
  };
}

/** The longest phrase of `dict` that starts at `i`, as its length (0: none). */
function longestMatch(dict: Dict, s: string, i: number): number {
  for (let len = Math.min(dict.longest, s.length - i); len > 0; len--) {
    if (dict.get(s.slice(i, i + len)) !== undefined) return len;
  }
  return 0;
}

/** Replaces the longest match at each place, left to right, as OpenCC's Trie.convert does. */
function convertWith(dict: Dict, s: string): string {
  let out = '';
  for (let i = 0; i < s.length; ) {
    const len = longestMatch(dict, s, i);
    if (len > 0) {
      out += dict.get(s.slice(i, i + len))!;
      i += len;
    } else {
      const step = s.codePointAt(i)! > 0xffff ? 2 : 1;
      out += s.slice(i, i + step);
      i += step;
    }
  }
  return out;
}

export interface Converter {
  (simplified: string): string;
}

/**
 * Builds the converter: normalise, cut into OpenCC's phrases (an override is a phrase of its own,
 * and is not converted further), convert each phrase to Traditional, then to Taiwan's words.
 */
export function buildConverter(overrides: Readonly<Record<string, string>> = OVERRIDES): Converter {
  const require = createRequire(import.meta.url);
  const opencc = require('opencc-js/cn2t') as { Locale: { configs: Record<string, OpenccConfig> } };
  const config = opencc.Locale.configs.s2twp!;
  const normalize = config.normalizationChain.map(dictOf);
  const segmentation = dictOf(config.segmentation);
  const chain = config.conversionChain.map(dictOf);
  const own = new Map(Object.entries(overrides));
  const fixed: Dict = { get: (phrase) => own.get(phrase), longest: Math.max(0, ...Object.keys(overrides).map((k) => k.length)) };
  return (simplified: string): string => {
    const s = normalize.reduce((acc, d) => convertWith(d, acc), simplified);
    let out = '';
    let run = ''; // text between two matched phrases: converted as one segment, as OpenCC does
    const flush = (): void => {
      if (run) out += chain.reduce((acc, d) => convertWith(d, acc), run);
      run = '';
    };
    for (let i = 0; i < s.length; ) {
      const mine = longestMatch(fixed, s, i);
      const phrase = longestMatch(segmentation, s, i);
      if (mine > 0 && mine >= phrase) {
        flush();
        out += own.get(s.slice(i, i + mine))!;
        i += mine;
      } else if (phrase > 0) {
        flush();
        run = s.slice(i, i + phrase);
        flush();
        i += phrase;
      } else {
        const step = s.codePointAt(i)! > 0xffff ? 2 : 1;
        run += s.slice(i, i + step);
        i += step;
      }
    }
    flush();
    return out;
  };
}

let converter: Converter | undefined;
const cache = new Map<string, string>();

/**
 * Bytes shown as they are — an escaped byte string in ASCII double quotes — are facts about the
 * wire: converting 发 to 發 inside one would show bytes that were never sent. Only the text around
 * them is converted. (Prose quotes with “” or 「」, which convert.)
 */
const BYTES = /"(?:[^"\\\n]|\\.)*"/g;

/** Documents come in three editions; in the Taiwan one, a pointer to a zh-CN document points to its zh-TW twin. */
const ZH_CN_DOC = /\.zh-CN\.md\b/g;

function convertProse(simplified: string): string {
  converter ??= buildConverter();
  let out = '';
  let last = 0;
  for (const m of simplified.matchAll(BYTES)) {
    out += converter(simplified.slice(last, m.index)) + m[0];
    last = m.index! + m[0].length;
  }
  return out + converter(simplified.slice(last));
}

/** A Simplified Chinese message in Traditional Chinese with Taiwan usage. */
export function toTaiwan(simplified: string): string {
  if (!/[\u2e80-\u9fff\u201c\u201d\u2018\u2019]/.test(simplified)) return simplified;
  const hit = cache.get(simplified);
  if (hit !== undefined) return hit;
  const out = convertProse(simplified).replace(ZH_CN_DOC, '.zh-TW.md');
  // Reports ask for the same texts again and again (titles, labels); numbers make the rest unique.
  if (cache.size > 5000) cache.clear();
  cache.set(simplified, out);
  return out;
}

/**
 * A whole Markdown document, text and code alike (the Chinese in a code block is comments and
 * sample output, which the reader's grader prints in Traditional too). Links to a zh-CN document
 * lead to its zh-TW twin, and the link to this edition becomes the link back to the Simplified one;
 * mentions of a file name in prose are left as written.
 */
export function markdownToTaiwan(simplified: string): string {
  const linked = simplified.replace(/\[([^\]\n]*)\]\(([^)\s]*)\.zh-CN\.md(#[^)\s]*)?\)/g, (_m, text: string, target: string, anchor = '') =>
    `[${text.replace(ZH_CN_DOC, '.zh-TW.md')}](${target}.zh-TW.md${anchor})`,
  );
  // The zh-CN edition's link to this one ("繁體中文") becomes this edition's link back to it.
  const switched = linked.replace(/\[繁體中文\]\(([^)\s]*)\.zh-TW\.md\)/g, '[简体中文]($1.zh-CN.md)');
  return convertProse(switched);
}
