/**
 * Every learner-facing string exists in English and Simplified Chinese. A `Text` carries both, so
 * the type checker refuses a message that exists in one language only; reports pick one at the end.
 *
 * Traditional Chinese (zh-TW) has no slot of its own: it is derived from the Simplified text when a
 * report asks for it (grader/i18n/zh-tw.ts: OpenCC's Taiwan conversion with phrases, plus a small
 * table of overrides). So a new message is written twice, never three times, and no call site
 * knows how many languages there are.
 */
import { toTaiwan } from './i18n/zh-tw.ts';

export interface Text {
  en: string;
  /** Simplified Chinese, the one Chinese source: zh-CN shows it, zh-TW converts it. */
  zh: string;
}

/** The languages the grader speaks, in the order --help lists them. */
export const LANGS = ['en', 'zh-CN', 'zh-TW'] as const;
export type Lang = (typeof LANGS)[number];

/** Builds a `Text`: `t('closed early', '提前关闭')`. */
export function t(en: string, zh: string): Text {
  return { en, zh };
}

/** A value that needs no translation (bytes, numbers, file names). */
export function same(s: string): Text {
  return { en: s, zh: s };
}

export function say(text: Text | string, lang: Lang): string {
  if (typeof text === 'string') return text;
  switch (lang) {
    case 'en':
      return text.en;
    case 'zh-CN':
      return text.zh;
    case 'zh-TW':
      return toTaiwan(text.zh);
  }
}

/** Is this a Chinese edition (full-width punctuation, no spaces between words)? */
export const isChinese = (lang: Lang): boolean => lang !== 'en';

/** Joins texts with a separator, language by language. */
export function join(parts: readonly (Text | string)[], sep = ' '): Text {
  return {
    en: parts.map((p) => say(p, 'en')).join(sep),
    zh: parts.map((p) => say(p, 'zh-CN')).join(sep),
  };
}

/**
 * The language a locale name or --lang value means: en…, zh-TW / zh_HK / zh_MO / zh-Hant…
 * (Traditional), other zh… (Simplified); undefined for anything else. grader/bin.mjs, which runs
 * before this module can load, has the same rule (test/i18n-zh-tw.test.ts compares them).
 */
export function langOf(name: string): Lang | undefined {
  const f = name.toLowerCase().replaceAll('_', '-').replace(/[.@].*$/, ''); // zh_TW.UTF-8, sr_RS@latin
  if (f === 'en' || f.startsWith('en-')) return 'en';
  if (/^zh-(tw|hk|mo|hant)\b/.test(f)) return 'zh-TW';
  if (f === 'zh' || f.startsWith('zh-')) return 'zh-CN';
  return undefined;
}

/**
 * `--lang` wins (undefined when it names no language we have); otherwise the first of LC_ALL,
 * LC_MESSAGES, LANG that is set decides, and anything that is not Chinese means English.
 */
export function pickLang(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Lang | undefined {
  if (flag !== undefined) return langOf(flag);
  const fromEnv = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  const lang = langOf(fromEnv);
  return lang === 'zh-CN' || lang === 'zh-TW' ? lang : 'en';
}
