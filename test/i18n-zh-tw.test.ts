/**
 * The Traditional Chinese edition (zh-TW): derived from the Simplified texts, never kept by hand.
 * The converter gives OpenCC's own Taiwan conversion; the generated READMEs are what the generator
 * makes of their zh-CN sources today; the grader's real output under zh-TW is Traditional with
 * Taiwan's words; and every way of asking for it (--lang, LANG, LC_ALL, bin.mjs's early messages)
 * picks it.
 */
import { execa } from 'execa';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { LANGS, langOf, pickLang, say, t } from '../grader/i18n.ts';
import { chineseSources, generateDocs, notice } from '../grader/i18n/generate.ts';
import { buildConverter, OVERRIDES, toTaiwan } from '../grader/i18n/zh-tw.ts';
import { stages } from '../grader/stages.ts';
import { allForms } from '../grader/track.ts';
import { newTag, processesTagged, repoRoot } from './helpers.ts';

const bin = path.join(repoRoot, 'grader', 'bin.mjs');
const converterSource = path.join(repoRoot, 'grader', 'i18n', 'zh-tw.ts');
const require = createRequire(import.meta.url);
const opencc = require('opencc-js/cn2t') as {
  Converter(o: { from: string; to: string }): (s: string) => string;
  Locale: { configs: Record<string, { conversionChain: string[][] }> };
};

/**
 * Every line with Chinese in it, from the grader's sources and the zh-CN documents (not the override
 * table, which is the converter's configuration: its keys are the words it replaces).
 */
function chineseLines(): string[] {
  const lines: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.(ts|mjs)$/.test(e.name) && full !== converterSource) lines.push(...readFileSync(full, 'utf8').split('\n'));
    }
  };
  walk(path.join(repoRoot, 'grader'));
  for (const f of chineseSources(repoRoot)) lines.push(...readFileSync(path.join(repoRoot, f), 'utf8').split('\n'));
  return lines.filter((l) => /[\u4e00-\u9fff]/.test(l));
}

/**
 * Characters that exist only in Simplified writing (发, 们, 这…): the characters OpenCC's
 * character table converts, less every character that any of its Taiwan conversions writes.
 */
function simplifiedOnly(): Set<string> {
  const chain = opencc.Locale.configs.s2twp!.conversionChain;
  const written = new Set<string>();
  for (const table of chain.flat()) {
    for (const entry of table.split('|')) for (const value of entry.split(' ').slice(1)) for (const ch of value) written.add(ch);
  }
  const out = new Set<string>();
  for (const entry of chain[0]!.at(-1)!.split('|')) {
    const from = entry.split(' ')[0]!;
    if ([...from].length === 1 && !written.has(from)) out.add(from);
  }
  return out;
}

/** Text outside ASCII-quoted byte strings (which show bytes as they were, in any script). */
const prose = (s: string): string => s.replace(/"(?:[^"\\\n]|\\.)*"/g, '""');

describe('the converter', () => {
  const lines = chineseLines();

  it('without overrides, is exactly OpenCC s2twp (opencc-js Converter cn → twp) on every Chinese line of the kit', () => {
    expect(lines.length).toBeGreaterThan(1000);
    const reference = opencc.Converter({ from: 'cn', to: 'twp' });
    const ours = buildConverter({});
    const differ = lines.filter((l) => ours(l) !== reference(l));
    expect(differ.slice(0, 5)).toEqual([]);
  });

  it('with the overrides, uses Taiwan words and none of the known mis-conversions, on every message and document', () => {
    const out = lines.map((l) => prose(toTaiwan(l))).join('\n');
    // Taiwan's words for the kit's concepts…
    for (const word of ['伺服器', '連線', '位元組', '程式', '訊息', '資料', '檔案', '預設', '記憶體', '通訊端', '行程', '緩衝區', '標頭', '協定', '回顯']) {
      expect(out, word).toContain(word);
    }
    // …and not the mainland ones, nor what a character-by-character conversion makes of some phrases.
    const wrong = [
      '服務器', '數據', '默認', '內存', '套接字', '進程', '端口', '信息', '協議', '響應', '頭部', '超時', '二進位制', '返回', // mainland terms
      '隻', '頭髮', '結束通話', '回撥', '個頭', '數字節', '線上路', '函數里', '網絡', // mis-read phrases
    ];
    const found = wrong.flatMap((w) => [...out.matchAll(new RegExp(`.{0,12}${w}.{0,12}`, 'g'))].map((m) => `${w}: ${m[0]}`));
    expect(found).toEqual([]);
  });

  it('leaves no Simplified-only character outside quoted bytes', () => {
    const only = simplifiedOnly();
    expect(only.has('发') && only.has('们') && !only.has('的')).toBe(true);
    const out = prose(lines.map(toTaiwan).join('\n'));
    const left = [...new Set([...out].filter((ch) => only.has(ch)))];
    expect(left).toEqual([]);
  });

  it('every override is used: each key occurs in some Chinese text of the kit', () => {
    const text = lines.join('\n');
    const unused = Object.keys(OVERRIDES).filter((k) => !text.includes(k));
    expect(unused).toEqual([]);
  });

  it('keeps escaped bytes as they were sent, and converts the prose around them', () => {
    expect(toTaiwan('服务器回显了 "发送\\n"，然后关闭了连接')).toBe('伺服器回顯了 "发送\\n"，然後關閉了連線');
    expect(toTaiwan('先读 exercises/01-tcp-echo/README.zh-CN.md')).toBe('先讀 exercises/01-tcp-echo/README.zh-TW.md');
    expect(toTaiwan('no Chinese here: "发"')).toBe('no Chinese here: "发"');
  });
});

describe('languages', () => {
  it('say() gives zh-TW from the zh text: a new language needs no new argument at call sites', () => {
    const text = t('the server closed the connection', '服务器关闭了连接');
    expect(LANGS).toEqual(['en', 'zh-CN', 'zh-TW']);
    expect(say(text, 'en')).toBe('the server closed the connection');
    expect(say(text, 'zh-CN')).toBe('服务器关闭了连接');
    expect(say(text, 'zh-TW')).toBe('伺服器關閉了連線');
  });

  it('English and Simplified Chinese never load OpenCC; the first zh-TW text does, once', async () => {
    const probe = `
      import { createRequire } from 'node:module';
      const { say, t } = await import(${JSON.stringify(path.join(repoRoot, 'grader', 'i18n.ts'))});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('opencc-js')).length;
      const text = t('the server closed the connection', '服务器关闭了连接');
      const steps = [];
      say(text, 'en'); say(text, 'zh-CN'); steps.push(loaded());
      say(text, 'zh-TW'); steps.push(loaded());
      say(t('a', '另一条消息'), 'zh-TW'); steps.push(loaded());
      console.log(JSON.stringify(steps));`;
    const r = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { cwd: repoRoot });
    const [before, after, again] = JSON.parse(String(r.stdout)) as number[];
    expect(before).toBe(0);
    expect(after).toBeGreaterThan(0);
    expect(again).toBe(after);
  });

  it('--lang and the locale: zh_TW, zh_HK, zh_MO, zh-Hant are Traditional; zh_CN, zh_SG, zh are Simplified', () => {
    for (const name of ['zh-TW', 'zh_TW.UTF-8', 'zh_HK.Big5', 'zh_MO', 'zh-Hant', 'zh-Hant-TW', 'ZH-tw']) expect(langOf(name), name).toBe('zh-TW');
    for (const name of ['zh-CN', 'zh_CN.UTF-8', 'zh_SG', 'zh', 'zh-Hans-HK']) expect(langOf(name), name).toBe('zh-CN');
    for (const name of ['en', 'en_US.UTF-8']) expect(langOf(name), name).toBe('en');
    expect(langOf('fr')).toBeUndefined();
    expect(pickLang(undefined, { LANG: 'zh_TW.UTF-8' })).toBe('zh-TW');
    expect(pickLang(undefined, { LANG: 'zh_CN.UTF-8', LC_ALL: 'zh_HK.UTF-8' })).toBe('zh-TW');
    expect(pickLang(undefined, { LANG: 'zh_TW.UTF-8', LC_MESSAGES: 'en_US.UTF-8' })).toBe('en');
    expect(pickLang(undefined, { LANG: 'fr_FR.UTF-8' })).toBe('en');
  });

  it("bin.mjs's own messages (before OpenCC can load) carry the zh-TW text the converter makes", () => {
    const src = ts.createSourceFile(bin, readFileSync(bin, 'utf8'), ts.ScriptTarget.Latest, true);
    const triples: [string, string][] = [];
    const literal = (n: ts.Expression): string =>
      ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) ? n.text : ts.isTemplateExpression(n) ? n.getText().slice(1, -1) : '';
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'say' && node.arguments.length === 3) {
        triples.push([literal(node.arguments[1]!), literal(node.arguments[2]!)]);
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
    expect(triples.length).toBe(3);
    for (const [cn, tw] of triples) expect(tw).toBe(toTaiwan(cn));
  });

  it("bin.mjs picks the same language as i18n.ts (its messages come before i18n.ts can load)", async () => {
    const cases: [Record<string, string>, string[], RegExp][] = [
      [{ LANG: 'zh_TW.UTF-8' }, [], /不支援 Windows/],
      [{ LANG: 'zh_HK.UTF-8' }, [], /不支援 Windows/],
      [{ LANG: 'zh_CN.UTF-8' }, [], /不支持 Windows/],
      [{ LANG: 'en_US.UTF-8' }, ['--lang', 'zh-TW'], /不支援 Windows/],
      [{ LANG: 'zh_TW.UTF-8' }, ['--lang=en'], /Windows is not supported/],
      [{ LANG: 'en_US.UTF-8', LC_ALL: 'zh_CN.UTF-8' }, [], /不支持 Windows/],
    ];
    for (const [env, args, want] of cases) {
      const r = await execa(process.execPath, [bin, '1', ...args], { env: { PATH: process.env.PATH!, SOCKLAB_PLATFORM: 'win32', ...env }, extendEnv: false, reject: false, stdin: 'ignore' });
      expect(r.stderr, JSON.stringify(env)).toMatch(want);
    }
  });
});

describe('the zh-TW documents', () => {
  it('exist beside every zh-CN one, start with the notice, and are what `npm run i18n` makes of their source now', () => {
    const docs = generateDocs(repoRoot);
    const sources = docs.map((d) => d.source);
    expect(sources).toEqual(expect.arrayContaining(['README.zh-CN.md', 'docs/teachers.zh-CN.md', ...stages.map((s) => `exercises/${s.slug}/README.zh-CN.md`)]));
    const stale: string[] = [];
    for (const doc of docs) {
      let onDisk = '';
      try {
        onDisk = readFileSync(path.join(repoRoot, doc.target), 'utf8');
      } catch {
        /* missing: stale */
      }
      expect(onDisk.split('\n')[0], doc.target).toBe(notice(doc.source));
      if (onDisk !== doc.text) stale.push(doc.target);
    }
    expect(stale, 'out of date with their zh-CN source: run npm run i18n').toEqual([]);
  });

  it('link to each other: English ↔ 简体 ↔ 繁體, and a zh-TW document links zh-TW documents', () => {
    for (const dir of ['.', ...stages.map((s) => `exercises/${s.slug}`)]) {
      const read = (name: string): string => readFileSync(path.join(repoRoot, dir, name), 'utf8');
      expect(read('README.md'), `${dir}/README.md`).toMatch(/\]\(README\.zh-CN\.md\)[\s\S]*\]\(README\.zh-TW\.md\)/);
      expect(read('README.zh-CN.md'), `${dir}/README.zh-CN.md`).toMatch(/\]\(README\.md\)[\s\S]*\]\(README\.zh-TW\.md\)/);
      const tw = read('README.zh-TW.md');
      expect(tw, `${dir}/README.zh-TW.md`).toMatch(/\[English[^\]]*\]\(README\.md\) · \[簡體中文\]\(README\.zh-CN\.md\)/);
      // Links to Chinese documents lead to the zh-TW ones (the link back to Simplified aside).
      const links = [...tw.matchAll(/\]\(([^)\s]*\.zh-CN\.md)\)/g)].map((m) => m[1]);
      expect(links, dir).toEqual(['README.zh-CN.md']);
    }
  });

  it('has the same commands as its zh-CN source (code is not translated)', () => {
    for (const doc of generateDocs(repoRoot)) {
      const commands = (text: string): string[] => [...text.matchAll(/^(?:npm|npx|nc|printf|PORT=|curl|node) .*?(?=\s+#|$)/gm)].map((m) => m[0]);
      expect(commands(doc.text), doc.target).toEqual(commands(readFileSync(path.join(repoRoot, doc.source), 'utf8')));
    }
  });
});

describe('the grader in zh-TW', () => {
  const env = (extra: Record<string, string>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(LANG|LC_|NO_COLOR|FORCE_COLOR)/.test(k)) out[k] = v;
    return { ...out, ...extra };
  };

  it('a failing grade with LANG=zh_TW.UTF-8: Traditional Chinese with Taiwan words, nothing Simplified outside quoted bytes', async () => {
    const tag = newTag();
    const r = await execa(process.execPath, [bin, '1', '--file', 'test/fixtures/newcomer/prefix-echo.ts', '--check', '1.1,1.2'], {
      cwd: repoRoot,
      env: env({ LANG: 'zh_TW.UTF-8', SOCKLAB_TEST_TAG: tag }),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    });
    expect(processesTagged(tag)).toEqual([]);
    expect(r.exitCode).toBe(1);
    const out = String(r.stdout);
    for (const word of ['第 1 關', '發生了什麼', '動手試試', '傳送', '位元組', '種子', '終端機']) expect(out, word).toContain(word);
    const only = simplifiedOnly();
    expect([...new Set([...prose(out)].filter((ch) => only.has(ch)))]).toEqual([]);
  }, 120_000);

  it('hints, check titles and the stage list are converted too', async () => {
    const list = await execa(process.execPath, [bin, '--list', '--lang', 'zh-TW'], { cwd: repoRoot, env: env({}), extendEnv: false, reject: false });
    for (const s of stages) expect(String(list.stdout)).toContain(toTaiwan(s.title.zh));
    const hint = await execa(process.execPath, [bin, '--hint', '1', '--all', '--lang', 'zh-TW'], { cwd: repoRoot, env: env({}), extendEnv: false, reject: false, stdin: 'ignore' });
    const shown = String(hint.stdout).replace(/\s+/g, '');
    for (const h of stages[0]!.hints!) expect(shown).toContain(toTaiwan(allForms(h)[0]!.zh).replace(/\s+/g, ''));
  }, 60_000);
});
