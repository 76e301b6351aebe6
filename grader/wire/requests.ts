/**
 * Requests the way real clients send them. A browser's head is not one short line: Chrome or
 * Firefox sends a dozen header fields and every cookie the site ever set — 1 to 8 KB is normal.
 * A server that reads the head with a single small recv(), or caps it at 1 KiB, works with curl and
 * fails with the first real visitor. Facts only: these build bytes; checks decide what is right.
 */
import type { Rng } from '../rng.ts';
import { buildRequest, type RequestInit } from './http.ts';

export interface BrowserRequestOptions {
  method?: string;
  /** Host header value (default "localhost", as buildRequest sends). */
  host?: string;
  /**
   * The whole head's size in bytes, request line to the empty line included: the Cookie header is
   * padded to reach it exactly. Default: a random size between 4 and 7 KiB, below the 8 KiB that
   * the smallest usual head limit allows (nginx's default buffer per header line, Node's 16 KiB in all).
   */
  headBytes?: number;
  /** A page the request comes from (Referer), as for a stylesheet or image on that page. */
  referer?: string;
  /** What the browser wants: a page to show ('document', the default) or a file a page uses. */
  dest?: 'document' | 'style' | 'script' | 'image';
}

/** Browsers whose header sets (names, order, values) are copied from real requests. */
const BROWSERS = ['chrome', 'firefox', 'safari'] as const;

const ACCEPT: Record<NonNullable<BrowserRequestOptions['dest']>, string> = {
  document: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
  style: 'text/css,*/*;q=0.1',
  script: '*/*',
  image: 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8',
};

// cookie-octet (RFC 6265 §4.1.1): no space, no DQUOTE, comma, semicolon or backslash.
const COOKIE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.%';

function cookieValue(rng: Rng, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += COOKIE_CHARS[rng.int(0, COOKIE_CHARS.length - 1)];
  return s;
}

/** Cookies as a site collects them: analytics ids, a session, a CSRF token, preferences. */
function cookies(rng: Rng): string[] {
  const ts = rng.int(1_600_000_000, 1_800_000_000);
  return [
    `_ga=GA1.1.${rng.int(100_000_000, 999_999_999)}.${ts}`,
    `_gid=GA1.1.${rng.int(100_000_000, 999_999_999)}.${ts + rng.int(0, 99_999)}`,
    `sessionid=${cookieValue(rng, 32)}`,
    `csrftoken=${cookieValue(rng, 64)}`,
    `lang=zh-CN`,
    `theme=${rng.pick(['dark', 'light', 'auto'])}`,
    `${rng.word()}_${rng.word()}=${cookieValue(rng, rng.int(8, 40))}`,
  ];
}

function browserHeaders(browser: (typeof BROWSERS)[number], dest: NonNullable<BrowserRequestOptions['dest']>, referer: string | undefined): [string, string][] {
  const site = referer ? 'same-origin' : 'none';
  const nav = dest === 'document';
  switch (browser) {
    case 'chrome':
      return [
        ['Connection', 'keep-alive'],
        ['sec-ch-ua', '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"'],
        ['sec-ch-ua-mobile', '?0'],
        ['sec-ch-ua-platform', '"Linux"'],
        ...(nav ? ([['Upgrade-Insecure-Requests', '1']] as [string, string][]) : []),
        ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'],
        ['Accept', ACCEPT[dest]],
        ['Sec-Fetch-Site', site],
        ['Sec-Fetch-Mode', nav ? 'navigate' : 'no-cors'],
        ...(nav ? ([['Sec-Fetch-User', '?1']] as [string, string][]) : []),
        ['Sec-Fetch-Dest', dest],
        ...(referer ? ([['Referer', referer]] as [string, string][]) : []),
        ['Accept-Encoding', 'gzip, deflate, br, zstd'],
        ['Accept-Language', 'zh-CN,zh;q=0.9,en;q=0.8'],
      ];
    case 'firefox':
      return [
        ['User-Agent', 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0'],
        ['Accept', nav ? 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' : ACCEPT[dest]],
        ['Accept-Language', 'zh-CN,zh;q=0.8,zh-TW;q=0.7,zh-HK;q=0.5,en-US;q=0.3,en;q=0.2'],
        ['Accept-Encoding', 'gzip, deflate, br'],
        ...(referer ? ([['Referer', referer]] as [string, string][]) : []),
        ['Connection', 'keep-alive'],
        ...(nav ? ([['Upgrade-Insecure-Requests', '1']] as [string, string][]) : []),
        ['Sec-Fetch-Dest', dest],
        ['Sec-Fetch-Mode', nav ? 'navigate' : 'no-cors'],
        ['Sec-Fetch-Site', site],
        ...(nav ? ([['Sec-Fetch-User', '?1']] as [string, string][]) : []),
        ['Priority', nav ? 'u=0, i' : 'u=2'],
      ];
    case 'safari':
      return [
        ['Accept', nav ? 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' : ACCEPT[dest]],
        ['Sec-Fetch-Site', site],
        ['Sec-Fetch-Dest', dest],
        ['Accept-Language', 'zh-CN,zh-Hans;q=0.9'],
        ['Sec-Fetch-Mode', nav ? 'navigate' : 'no-cors'],
        ['User-Agent', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15'],
        ...(referer ? ([['Referer', referer]] as [string, string][]) : []),
        ['Accept-Encoding', 'gzip, deflate'],
        ['Connection', 'keep-alive'],
      ];
  }
}

/**
 * A GET as a browser sends it (seeded: Chrome, Firefox or Safari's header set, with cookies), its
 * head exactly `headBytes` long. Pass it to buildRequest(), exchange() or requestName() like any
 * other RequestInit.
 */
export function browserRequest(target: string, rng: Rng, o: BrowserRequestOptions = {}): RequestInit {
  const dest = o.dest ?? 'document';
  const headers = browserHeaders(rng.pick(BROWSERS), dest, o.referer);
  const jar = cookies(rng);
  const base: RequestInit = { method: o.method ?? 'GET', target, ...(o.host ? { host: o.host } : {}), headers };
  const withCookie = (value: string): RequestInit => ({ ...base, headers: [...headers, ['Cookie', value]] });
  const want = o.headBytes ?? rng.int(4 * 1024, 7 * 1024);
  // The size without padding, then one more cookie whose value fills the gap to the byte.
  const plain = jar.join('; ');
  const unpadded = buildRequest(withCookie(plain)).length;
  const filler = `${rng.word()}_state=`;
  const gap = want - unpadded - '; '.length - filler.length;
  if (gap < 1) {
    // Too close for one more cookie: lengthen the last one instead (or, asked for less than a
    // browser ever sends, give the smallest head there is).
    return withCookie(want > unpadded ? plain + cookieValue(rng, want - unpadded) : plain);
  }
  return withCookie(`${plain}; ${filler}${cookieValue(rng, gap)}`);
}
