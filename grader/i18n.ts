/**
 * Every learner-facing string exists in English and Simplified Chinese. A `Text` carries both, so
 * the type checker refuses a message that exists in one language only; reports pick one at the end.
 */
export interface Text {
  en: string;
  zh: string;
}

export type Lang = 'en' | 'zh-CN';

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
  return lang === 'zh-CN' ? text.zh : text.en;
}

/** Joins texts with a separator, language by language. */
export function join(parts: readonly (Text | string)[], sep = ' '): Text {
  return {
    en: parts.map((p) => say(p, 'en')).join(sep),
    zh: parts.map((p) => say(p, 'zh-CN')).join(sep),
  };
}

/** `--lang` wins; otherwise LC_ALL, then LC_MESSAGES, then LANG starting with `zh` selects Chinese. */
export function pickLang(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Lang | undefined {
  if (flag !== undefined) {
    const f = flag.toLowerCase();
    if (f === 'en' || f.startsWith('en-') || f.startsWith('en_')) return 'en';
    if (f.startsWith('zh')) return 'zh-CN';
    return undefined;
  }
  const fromEnv = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return fromEnv.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}
