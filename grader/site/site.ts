/**
 * A fresh document root for every run of the file-serving stages, generated from the seed: random
 * names and contents — HTML with Chinese text, CSS, JS, JSON, binary images, nested folders, a name
 * with a space, a name in Chinese — so a server that hard-codes the kit's static/ folder fails, and
 * `--seed N` rebuilds exactly the same site.
 *
 * Layout of the folder the engine hands to `prepareRoot`:
 *
 *   <dir>/site.json                   what was generated (read by the checks, never served)
 *   <dir>/secret-<word>.txt           outside the document root: must never come back
 *   <dir>/<root>/                     the document root (STATIC_DIR)
 *   <dir>/<root>-private/secret-….txt a sibling whose name starts with the root's: catches
 *                                     `resolved.startsWith(root)` without a trailing separator
 *
 * A stage says which files its site holds with a `SiteSpec`; `npm run site -- 3 --seed N` rebuilds
 * the site of a grading run to replay a failure by hand (grader/kit/site.ts).
 */
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRng, type Rng } from '../rng.ts';

/** Media types a server may send for each extension: what nginx, Python and the IANA list use. */
export const TYPES_BY_EXTENSION: Record<string, readonly string[]> = {
  html: ['text/html'],
  css: ['text/css'],
  js: ['text/javascript', 'application/javascript', 'application/x-javascript'],
  json: ['application/json'],
  txt: ['text/plain'],
  svg: ['image/svg+xml'],
  png: ['image/png'],
  jpg: ['image/jpeg'],
  jpeg: ['image/jpeg'],
  gif: ['image/gif'],
  ico: ['image/x-icon', 'image/vnd.microsoft.icon'],
};
export const OCTET_STREAM = ['application/octet-stream'] as const;

export function typesFor(file: string): readonly string[] {
  const ext = path.extname(file).slice(1).toLowerCase();
  return TYPES_BY_EXTENSION[ext] ?? OCTET_STREAM;
}

export type FileRole = 'index' | 'error' | 'text' | 'binary' | 'large' | 'huge' | 'unknown-type' | 'nested' | 'dir-index' | 'spaced' | 'unicode' | 'odd';

/**
 * What makes an odd name odd (role 'odd'): each is a way real servers mangle a legal name.
 *   plus        '+' sent as is: in a path it is a plus, not a space (that is form encoding)
 *   sub-delims  & = ; ' ( ) ! ~ , @ sent as is: legal in a path, no special meaning there
 *   percent     a literal "%41" and a lone "%" (sent as %2541 and %25): decoded once, not twice
 *   hash-query  '#' and '?' in the name (sent as %23 and %3F): not a fragment, not a query
 *   long        a name of 240–255 bytes, most of it Chinese (a request line of ~800 bytes)
 *   dotfile     a name starting with "."
 *   dots        "..name" and "name..": they contain "..", yet are no way out of the root
 *   any         a name drawn from every printable character a file system allows
 */
export type Oddity = 'plus' | 'sub-delims' | 'percent' | 'hash-query' | 'long' | 'dotfile' | 'dots' | 'any';

export interface SiteFile {
  /** Path under the document root, with "/" separators, as on disk. */
  file: string;
  /** The request-target that names it, percent-encoded where needed. */
  url: string;
  role: FileRole;
  /** For role 'odd': what is odd about the name. */
  oddity?: Oddity;
}

export interface Site {
  /** The document root (absolute). */
  root: string;
  files: SiteFile[];
  /** Request targets naming nothing in the root. */
  missing: string[];
  /** A real folder inside the root (for `/dir/../../secret` attempts). */
  someDir: string;
  /** Absolute paths of files outside the root whose contents must never be served. */
  secrets: string[];
}

const MANIFEST = 'site.json';

/** The site the checks of the stage that owns `root` can rely on (written by `prepareSite`). */
export function loadSite(root: string): Site {
  return JSON.parse(readFileSync(path.join(path.dirname(root), MANIFEST), 'utf8')) as Site;
}

/** Reads a file of the site as it is on disk now. */
export function readSiteFile(site: Site, f: SiteFile | string): Buffer {
  return readFileSync(path.join(site.root, typeof f === 'string' ? f : f.file));
}

const PHRASES = [
  '你好，世界',
  '欢迎来到套接字实验室',
  '字节不是字符',
  '请求头以一个空行结束',
  'Content-Length 按字节计算',
  '网络会把数据切成碎片',
  '一个客户端不能拖垮整个服务器',
  '路径要先解码再检查',
  '状态码告诉客户端发生了什么',
  '静态文件服务器',
  '今天也要好好写代码',
  '慢慢来，比较快',
];
const EMOJI = ['🚀', '🐢', '✅', '📦', '🔌', '🌏'];
const DIR_NAMES = ['docs', 'assets', 'blog', 'img', 'notes', 'lib', 'posts', 'media'];
const CHINESE_NAMES = ['笔记', '文档', '说明', '报告', '图片', '草稿'];

const words = (rng: Rng, n: number): string => Array.from({ length: n }, () => rng.word()).join(' ');
const phrase = (rng: Rng): string => `${rng.pick(PHRASES)}${rng.pick(['。', '！', '～', ''])} ${rng.pick(EMOJI)} ${rng.word()}`;
const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const encodePath = (file: string): string => '/' + file.split('/').map(encodeURIComponent).join('/');

// pchar (RFC 3986 §3.3): what a path segment may carry unencoded. encodeURIComponent encodes the
// sub-delims and ":" "@" too; a browser does not, so neither do the odd names' URLs: a '+' or a ';'
// arrives at the server as it is in the name.
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;
/** A request-target for `file` that percent-encodes only what a path segment cannot carry. */
export function encodePathAsBrowser(file: string): string {
  const segment = (s: string): string =>
    [...Buffer.from(s, 'utf8')].map((b) => (b < 0x80 && PCHAR.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
  return '/' + file.split('/').map(segment).join('/');
}

/** Every printable ASCII character a file name may hold (all but "/"; "\\" left out, as Windows reads it as "/"), and some Chinese. */
const ANY_NAME_CHARS = [...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).filter((c) => c !== '/' && c !== '\\'), '笔', '记', '文', '档', '中'];

/** Cuts `s` to at most `max` UTF-8 bytes without splitting a character. */
function cutToBytes(s: string, max: number): string {
  let out = '';
  for (const c of s) {
    if (Buffer.byteLength(out + c) > max) break;
    out += c;
  }
  return out;
}

function html(rng: Rng, title: string, links: readonly string[] = []): string {
  const paragraphs = Array.from({ length: rng.int(2, 6) }, () => `  <p>${escapeHtml(phrase(rng))} ${words(rng, rng.int(3, 12))}</p>`);
  const list = links.length ? [`  <ul>`, ...links.map((l) => `    <li><a href="${l}">${l}</a></li>`), `  </ul>`] : [];
  return [
    '<!doctype html>',
    '<html lang="zh-CN">',
    '<head>',
    '  <meta charset="utf-8">',
    `  <title>${escapeHtml(title)}</title>`,
    '</head>',
    '<body>',
    `  <h1>${escapeHtml(title)}</h1>`,
    ...paragraphs,
    ...list,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Random bytes behind a real file signature: every byte value, CR LF pairs, invalid UTF-8. */
function binary(rng: Rng, signature: readonly number[], size: number): Buffer {
  const body = rng.bytes(size);
  Buffer.from(signature).copy(body, 0);
  // Make sure the bytes that text handling mangles are there whatever the dice say.
  Buffer.from([0x0d, 0x0a, 0x00, 0xff, 0xc3, 0x28, 0x0a, 0x80]).copy(body, signature.length);
  return body;
}

/**
 * Like `binary`, for files of megabytes: random bytes in a block of a prime length, repeated. Cheap
 * to make (a few ms, where 6 MB of dice take ~70 ms that a grader running checks beside it feels),
 * and no 64 KiB chunk of it equals another at a different offset, so a lost, doubled or reordered
 * chunk still shows.
 */
function bigBinary(rng: Rng, signature: readonly number[], size: number): Buffer {
  const block = binary(rng, signature, 1_000_003);
  const body = Buffer.allocUnsafe(size);
  for (let off = 0; off < size; off += block.length) block.copy(body, off, 0, Math.min(block.length, size - off));
  return body;
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46];
const GIF = [...Buffer.from('GIF89a')];
const ICO = [0x00, 0x00, 0x01, 0x00, 0x01, 0x00];

/**
 * What a stage's document root holds beyond index.html, error.html, a stylesheet, a script and a
 * text file in a folder (which every site has). Each feature adds files with their roles:
 *   media-types   one file of each type the stage labels (json, txt, svg, html)   role text
 *   binary        png, jpeg, gif and ico files full of bytes text handling mangles  role binary
 *   large         a file too big for one write (1.2–1.6 MB)                        role large
 *   huge          a file bigger than every socket buffer on the way (6–7 MB)        role huge
 *   unknown-type  files with an unknown extension, and none at all               role unknown-type
 *   folder-index  folders two deep, each with an index.html                       role dir-index
 *   nested        pages and stylesheets inside those folders                       role nested
 *   spaced        names with spaces                                                role spaced
 *   unicode       names in Chinese                                                 role unicode
 *   odd-names     names with every character a file system allows (see Oddity)    role odd
 * index.html links to the nested, folder, spaced and unicode pages a site has.
 */
export type SiteFeature = 'media-types' | 'binary' | 'large' | 'huge' | 'unknown-type' | 'folder-index' | 'nested' | 'spaced' | 'unicode' | 'odd-names' | RedirectsFeature;

export interface SiteSpec {
  features: readonly SiteFeature[];
}

/** The label the seeded generator is keyed on, so `--seed N` rebuilds the same site anywhere. */
export const siteRng = (seed: number, slug: string): Rng => createRng(seed, `${slug}/root`);

/** Writes a seeded site under `dir` as `spec` says and returns the document root to serve. */
export async function buildSite(dir: string, rng: Rng, spec: SiteSpec): Promise<string> {
  const has = (f: SiteFeature): boolean => spec.features.includes(f);
  const rootName = `${rng.word(4, 7)}-site`;
  const root = path.join(dir, rootName);
  const files: SiteFile[] = [];
  const write = (file: string, data: string | Buffer, role: FileRole, oddity?: Oddity): SiteFile => {
    const abs = path.join(root, file);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, data);
    const entry: SiteFile = oddity ? { file, url: encodePathAsBrowser(file), role, oddity } : { file, url: encodePath(file), role };
    files.push(entry);
    return entry;
  };

  const name = (ext: string): string => `${rng.word(3, 7)}-${rng.int(1, 99)}.${ext}`;
  const css = name('css');
  const js = name('js');
  write(css, `body { color: #${rng.bytes(3).toString('hex')}; margin: ${rng.int(0, 40)}px; }\n/* ${words(rng, 3)} */\n`, 'text');
  write(js, `// ${rng.pick(PHRASES)}\nconsole.log(${JSON.stringify(rng.word())}, ${rng.int(0, 9999)});\n`, 'text');
  const dirA = `${rng.pick(DIR_NAMES)}-${rng.word(2, 4)}`;
  const dirB = rng.word(3, 6);
  const nestedPage = `${dirA}/${dirB}/${rng.word()}.html`;
  const spaced = `${rng.word(3, 6)} ${rng.word(3, 6)}.html`;
  const unicode = `${rng.pick(CHINESE_NAMES)}-${rng.word(3, 5)}.txt`;
  const links = [
    ...(has('nested') ? [encodePath(nestedPage)] : []),
    ...(has('folder-index') ? [`/${dirA}/`] : []),
    ...(has('spaced') ? [encodePath(spaced)] : []),
    ...(has('unicode') ? [encodePath(unicode)] : []),
  ];
  write('index.html', html(rng, `${rng.pick(PHRASES)} · ${rng.word()}`, links), 'index');
  write('error.html', html(rng, `404 · ${rng.pick(['找不到这个页面', '页面不存在', '这里什么也没有'])} · ${rng.word()}`), 'error');
  write(`${dirA}/${rng.word()}.txt`, `${phrase(rng)}\n`, 'nested');

  // The order of the writes below is the order of the dice: keep it, or old seeds change meaning.
  if (has('media-types')) {
    write(name('json'), JSON.stringify({ name: rng.word(), count: rng.int(0, 1000), note: phrase(rng), tags: [rng.word(), rng.word()] }, null, 2) + '\n', 'text');
    write(name('txt'), `${phrase(rng)}\n${words(rng, rng.int(5, 30))}\n`, 'text');
    write(name('svg'), `<svg xmlns="http://www.w3.org/2000/svg" width="${rng.int(8, 64)}" height="${rng.int(8, 64)}"><circle cx="8" cy="8" r="${rng.int(2, 8)}" fill="#${rng.bytes(3).toString('hex')}"/></svg>\n`, 'text');
    write(name('html'), html(rng, rng.pick(PHRASES)), 'text');
  }
  if (has('binary')) {
    write(name('png'), binary(rng, PNG, rng.int(2000, 9000)), 'binary');
    write(name(rng.pick(['jpg', 'jpeg'])), binary(rng, JPEG, rng.int(1000, 6000)), 'binary');
    write(name('gif'), binary(rng, GIF, rng.int(300, 2000)), 'binary');
    write(name('ico'), binary(rng, ICO, rng.int(300, 1500)), 'binary');
  }
  // Big enough that it cannot go out in one write: streaming and backpressure matter.
  if (has('large')) write(`${dirA}/${name('png')}`, binary(rng, PNG, rng.int(1_200_000, 1_600_000)), 'large');
  if (has('unknown-type')) {
    write(`${rng.word(4, 8)}.sock${rng.word(2, 3)}`, binary(rng, [], rng.int(100, 900)), 'unknown-type');
    write(rng.word(5, 9).toUpperCase(), `${words(rng, 6)}\n`, 'unknown-type');
  }
  if (has('folder-index')) {
    write(`${dirA}/index.html`, html(rng, `${dirA} · ${rng.pick(PHRASES)}`), 'dir-index');
    write(`${dirA}/${dirB}/index.html`, html(rng, `${dirB} · ${rng.pick(PHRASES)}`), 'dir-index');
  }
  if (has('nested')) {
    write(nestedPage, html(rng, rng.pick(PHRASES)), 'nested');
    write(`${dirA}/${dirB}/${name('css')}`, `p { padding: ${rng.int(1, 9)}em; }\n`, 'nested');
  }
  if (has('spaced')) {
    write(spaced, html(rng, `${spaced} · ${rng.pick(PHRASES)}`), 'spaced');
    write(`${dirA}/${rng.word(3, 5)} ${rng.word(3, 5)} ${rng.int(1, 9)}.css`, `h1 { font-size: ${rng.int(10, 40)}px; }\n`, 'spaced');
  }
  if (has('unicode')) {
    write(unicode, `${phrase(rng)}\n`, 'unicode');
    write(`${dirA}/${rng.pick(CHINESE_NAMES)} ${rng.word(3, 5)}.html`, html(rng, rng.pick(PHRASES)), 'unicode');
  }
  if (has('odd-names')) {
    const w = (): string => rng.word(3, 6);
    const text = (): string => `${phrase(rng)}\n${words(rng, rng.int(3, 12))}\n`;
    write(`${w()}+${w()}+${rng.int(1, 99)}.txt`, text(), 'odd', 'plus');
    write(`${w()}&${w()}=${rng.int(1, 9)};(${w()})'!~,@${w()}.html`, html(rng, rng.pick(PHRASES)), 'odd', 'sub-delims');
    write(`${w()}%41${w()} 100%.txt`, text(), 'odd', 'percent');
    write(`${w()}#${rng.int(1, 99)}?${w()}.txt`, text(), 'odd', 'hash-query');
    // Just under NAME_MAX (255 bytes on Linux and macOS): Chinese takes 3 bytes a character.
    const ext = '.txt';
    let long = '';
    while (Buffer.byteLength(long) < 300) long += rng.pick([...CHINESE_NAMES, w()]);
    write(`${dirA}/${cutToBytes(long, rng.int(240, 255) - ext.length)}${ext}`, text(), 'odd', 'long');
    write(`.${w()}-${rng.int(1, 99)}.txt`, text(), 'odd', 'dotfile');
    write(`..${w()}.txt`, text(), 'odd', 'dots');
    write(`${w()}..`, text(), 'odd', 'dots');
    let any = w();
    for (let i = rng.int(10, 20); i > 0; i--) any += rng.pick(ANY_NAME_CHARS);
    write(`${any}.txt`, text(), 'odd', 'any');
  }
  // Bigger than the kernel's buffers on both ends of a loopback connection (about 4 MB on Linux
  // with a reader that has stopped), so a server cannot hand the whole file to the kernel and
  // forget it: it must keep writing as the client reads.
  if (has('huge')) write(`${dirA}/${name('png')}`, bigBinary(rng, PNG, rng.int(6_000_000, 7_000_000)), 'huge');
  // A folder with an index.html, even in a site without folder indexes: a fixed-page server must
  // not route into it.
  if (!has('folder-index')) write(`${dirA}/index.html`, html(rng, rng.pick(PHRASES)), 'dir-index');
  const someDir = has('folder-index') ? `${dirA}/${dirB}` : dirA;

  const secretName = `secret-${rng.word(4, 8)}.txt`;
  const secrets = [path.join(dir, secretName), path.join(dir, `${rootName}-private`, `secret-${rng.word(4, 8)}.txt`)];
  for (const s of secrets) {
    mkdirSync(path.dirname(s), { recursive: true });
    writeFileSync(s, `SOCKLAB-SECRET-${rng.bytes(12).toString('hex')} — this file is outside the document root\n`);
  }
  const site: Site = {
    root,
    files,
    missing: [`/${rng.word()}-${rng.int(1, 99)}.html`, `/${dirA}/${rng.word()}.css`, `/${rng.word()}/${rng.word()}/`, `/${secretName}`],
    someDir,
    secrets,
  };
  writeFileSync(path.join(dir, MANIFEST), JSON.stringify(site, null, 2));
  writeRedirectsFeatures(dir, site, rng, spec.features);
  return root;
}

// ─── Stage 8: _redirects and file times ──────────────────────────────────────────────────────────
//
//   redirects   STATIC_DIR/_redirects: rules "from to [301|302]" (a missing code means 302), with
//               comments, blank lines, tabs, CRLF endings, a repeated "from" (the first rule wins),
//               and lines a server must skip (one field, four fields, a code that is not 301 or
//               302, a "from" that is not a path). What was written goes to redirects.json beside
//               site.json, never into the root. _redirects itself is not among `files`.
//   dated       every file's mtime is a seeded moment between 2001 and 2024, with milliseconds
//               (never a whole second), so Last-Modified is a known value and a server comparing
//               If-Modified-Since with millisecond precision shows it.
// Both draw their dice from a generator of their own, after everything else: sites of stages
// without these features are unchanged.

export type RedirectsFeature = 'redirects' | 'dated';

export interface RedirectRule {
  from: string;
  to: string;
  code: 301 | 302;
  /** The rule's line said its code; otherwise 302 is the default. */
  explicit: boolean;
  /** 1-based line number in _redirects. */
  line: number;
}

export interface SkippedLine {
  /** The line as written (without its line ending). */
  text: string;
  line: number;
  /** The path a server that applied the line anyway would redirect. */
  from: string;
  why: 'one-field' | 'four-fields' | 'unknown-code' | 'not-a-path' | 'comment';
}

export interface Redirects {
  /** The rules a server must apply, each path once (the first rule for it). */
  rules: RedirectRule[];
  /** Lines that are not rules. */
  skipped: SkippedLine[];
  /** A path with two rules: the first wins. */
  repeated: { first: RedirectRule; second: RedirectRule };
}

const REDIRECTS_MANIFEST = 'redirects.json';

/** The _redirects of the site served at `root` (written by a site with the 'redirects' feature). */
export function loadRedirects(root: string): Redirects {
  return JSON.parse(readFileSync(path.join(path.dirname(root), REDIRECTS_MANIFEST), 'utf8')) as Redirects;
}

function writeRedirectsFeatures(dir: string, site: Site, rng: Rng, features: readonly SiteFeature[]): void {
  if (features.includes('redirects')) writeRedirects(dir, site, createRng(rng.int(0, 2 ** 31 - 1), 'redirects'));
  if (features.includes('dated')) {
    const r = createRng(rng.int(0, 2 ** 31 - 1), 'dated');
    const from = Date.UTC(2001, 0, 1);
    const to = Date.UTC(2024, 11, 31);
    for (const f of site.files) {
      const at = new Date(Math.floor((from + r.next() * (to - from)) / 1000) * 1000 + r.int(10, 990));
      utimesSync(path.join(site.root, f.file), at, at);
    }
  }
}

function writeRedirects(dir: string, site: Site, rng: Rng): void {
  const pages = site.files.filter((f) => f.role !== 'large' && f.role !== 'error');
  const folders = site.files.filter((f) => f.role === 'dir-index').map((f) => f.url.replace(/index\.html$/, ''));
  const taken = new Set<string>();
  const fresh = (prefix: string, slash = false): string => {
    for (;;) {
      const p = `/${prefix}-${rng.word(3, 7)}${rng.int(0, 1) ? `/${rng.word(3, 6)}` : ''}${slash ? '/' : ''}`;
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  const target = (): string =>
    rng.pick([
      () => rng.pick(pages).url,
      () => (folders.length ? rng.pick(folders) : '/'),
      () => `https://example.${rng.pick(['com', 'org', 'net'])}/${rng.word()}/${rng.word()}.html`,
    ])();
  const space = (): string => rng.pick([' ', ' ', '  ', '\t', ' \t ']);

  // The rules: both codes, written and left to the default, in a seeded order.
  const specs: { code: 301 | 302; explicit: boolean; from: string }[] = [
    { code: 301, explicit: true, from: fresh('old') },
    { code: 301, explicit: true, from: fresh('moved', true) },
    { code: 302, explicit: true, from: fresh('go') },
    { code: 302, explicit: false, from: fresh('tmp') },
    { code: 302, explicit: false, from: fresh('promo') },
  ];
  if (rng.int(0, 1)) specs.push({ code: rng.pick([301, 302] as const), explicit: true, from: fresh('legacy') });
  const repeatedFrom = fresh('twice');
  type Entry = { text: string; rule?: Omit<RedirectRule, 'line'>; skip?: Omit<SkippedLine, 'line' | 'text'> };
  const entries: Entry[] = specs.map((s) => {
    const to = target();
    return { text: `${s.from}${space()}${to}${s.explicit ? `${space()}${s.code}` : ''}`, rule: { from: s.from, to, code: s.code, explicit: s.explicit } };
  });
  const firstCode = rng.pick([301, 302] as const);
  const first = { from: repeatedFrom, to: target(), code: firstCode, explicit: true };
  const second = { from: repeatedFrom, to: target(), code: firstCode === 301 ? (302 as const) : (301 as const), explicit: true };
  // Lines to skip, each naming a path of its own that must stay a plain 404.
  const skips: Entry[] = [
    { from: fresh('lonely'), make: (f: string) => f, why: 'one-field' as const },
    { from: fresh('extra'), make: (f: string) => `${f}${space()}${target()}${space()}301${space()}${rng.word()}`, why: 'four-fields' as const },
    { from: fresh('teapot'), make: (f: string) => `${f}${space()}${target()}${space()}${rng.pick(['307', '308', '200', '404', '418', '3O1', 'moved', '301!'])}`, why: 'unknown-code' as const },
    { from: fresh('proxy'), make: (f: string) => `${f}${space()}${target()}${space()}${rng.pick(['200', '303', '500', '30', '3010'])}`, why: 'unknown-code' as const },
    { from: fresh('bare'), make: (f: string) => `${f.slice(1)}${space()}${target()}${space()}301`, why: 'not-a-path' as const },
    { from: fresh('commented'), make: (f: string) => `#${rng.pick(['', ' '])}${f}${space()}${target()}${space()}301`, why: 'comment' as const },
  ].map((s) => ({ text: s.make(s.from), skip: { from: s.from, why: s.why } }));
  const body = rng.shuffle([...entries, ...skips]);
  // The repeated path: its first rule somewhere in the first half, the second after it.
  const at = rng.int(0, Math.floor(body.length / 2));
  body.splice(at, 0, { text: `${first.from}${space()}${first.to}${space()}${first.code}`, rule: first });
  body.splice(rng.int(at + 1, body.length), 0, { text: `${second.from}${space()}${second.to}${space()}${second.code}`, rule: second });

  const lines: { text: string; entry?: Entry }[] = [
    { text: `# Redirects for ${path.basename(site.root)}: from to [301|302]` },
    { text: '# A line without a code is a temporary redirect (302).' },
    { text: '' },
  ];
  for (const e of body) {
    if (rng.int(0, 5) === 0) lines.push({ text: rng.pick(['', '   ', `# ${rng.pick(PHRASES)}`]) });
    lines.push({ text: `${rng.int(0, 4) === 0 ? space() : ''}${e.text}${rng.int(0, 4) === 0 ? space() : ''}`, entry: e });
  }
  const redirects: Redirects = { rules: [], skipped: [], repeated: { first: { ...first, line: 0 }, second: { ...second, line: 0 } } };
  let text = '';
  lines.forEach((l, i) => {
    const line = i + 1;
    text += l.text + (rng.int(0, 3) === 0 ? '\r\n' : '\n');
    const e = l.entry;
    if (e?.rule === first) redirects.repeated.first.line = line;
    else if (e?.rule === second) redirects.repeated.second.line = line;
    else if (e?.rule) redirects.rules.push({ ...e.rule, line });
    else if (e?.skip) redirects.skipped.push({ ...e.skip, text: l.text, line });
  });
  redirects.rules.push(redirects.repeated.first);
  redirects.rules.sort((a, b) => a.line - b.line);
  writeFileSync(path.join(site.root, '_redirects'), text);
  writeFileSync(path.join(dir, REDIRECTS_MANIFEST), JSON.stringify(redirects, null, 2));
}
