/**
 * Every message a learner can see exists in English and in Chinese, and the Chinese one is Chinese.
 * The `Text` type already refuses a message with one language missing; these tests catch what the
 * type cannot: an empty string, an English string pasted into the zh slot, a stage without hints,
 * a README without its Chinese edition.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { Text } from '../grader/i18n.ts';
import { stages } from '../grader/stages.ts';
import { allForms } from '../grader/track.ts';
import { repoRoot } from './helpers.ts';

const CJK = /[\u3400-\u9fff]/;
/** English prose: a word of three letters or more that is not code (not in backticks, not a flag). */
const hasProse = (s: string): boolean => /(^|[\s(])[A-Za-z]{3,}[\s,.:;)?!—]/.test(s.replace(/`[^`]*`|--?[a-z][\w-]*/g, ' '));

/** Bytes of a protocol shown as they are (a status line, a header): the same in every language. */
const isProtocolText = (s: string): boolean => /^(\d{3} [A-Z][\w ]*|[A-Z][\w-]*: \S.*|HTTP\/\d\.\d.*|(GET|HEAD|POST|PUT|DELETE) \/\S*.*)$/.test(s.trim());

function expectBothLanguages(text: Text, where: string): void {
  if (text.en === text.zh && isProtocolText(text.en)) return;
  expect(text.en.trim(), `${where}: English is empty`).not.toBe('');
  expect(text.zh.trim(), `${where}: Chinese is empty`).not.toBe('');
  expect(text.zh, `${where}: the zh text is not Chinese: ${text.zh}`).toMatch(CJK);
  expect(text.en, `${where}: the en text has Chinese in it: ${text.en}`).not.toMatch(CJK);
}

describe('stages', () => {
  for (const stage of stages) {
    describe(`stage ${stage.number} (${stage.slug})`, () => {
      it('title and every check title in both languages', () => {
        expectBothLanguages(stage.title, `stage ${stage.number} title`);
        for (const c of stage.checks) expectBothLanguages(c.title, `check ${c.id} title`);
      });

      it('has hints for npm run hint, each in both languages', () => {
        expect(stage.hints?.length ?? 0, `stage ${stage.number} has no hints (add them to its entry in grader/stages.ts)`).toBeGreaterThan(0);
        stage.hints!.forEach((h, i) => allForms(h).forEach((form) => expectBothLanguages(form, `stage ${stage.number} hint ${i + 1}`)));
      });
    });
  }
});

/** Every `.ts`/`.mjs` file under grader/. */
function graderSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.(ts|mjs)$/.test(e.name)) out.push(full);
    }
  };
  walk(path.join(repoRoot, 'grader'));
  return out;
}

interface Pair {
  where: string;
  en: string;
  zh: string;
}

/**
 * The literal text of every two-language message in the grader's source: each `t(en, zh)` call
 * (and bin.mjs's `say(en, zh)`, which runs before i18n.ts can load). For template strings only the
 * literal parts count; `${…}` holes are left out.
 */
function messagesInSource(): Pair[] {
  const pairs: Pair[] = [];
  for (const file of graderSources()) {
    const rel = path.relative(repoRoot, file);
    const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const literal = (node: ts.Expression): string | undefined => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
      if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ');
      return undefined; // a variable: checked where it was written
    };
    const visit = (node: ts.Node): void => {
      // bin.mjs's say(en, zh, zhTW) also carries the Traditional text (checked in i18n-zh-tw.test.ts).
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.arguments.length >= 2) {
        const name = node.expression.text;
        if ((name === 't' && node.arguments.length === 2) || (name === 'say' && rel.endsWith('bin.mjs'))) {
          const en = literal(node.arguments[0]!);
          const zh = literal(node.arguments[1]!);
          if (en !== undefined && zh !== undefined) {
            const { line } = src.getLineAndCharacterOfPosition(node.getStart());
            pairs.push({ where: `${rel}:${line + 1}`, en, zh });
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
  }
  return pairs;
}

describe('every message in the grader', () => {
  const pairs = messagesInSource();

  it('finds the messages (so the checks below cannot pass by finding none)', () => {
    expect(pairs.length).toBeGreaterThan(100);
    expect(pairs.some((p) => p.where.startsWith('grader/bin.mjs'))).toBe(true);
    expect(pairs.some((p) => p.where.startsWith('grader/watch.ts'))).toBe(true);
  });

  it('has both languages, and the Chinese one is Chinese wherever the English one has words', () => {
    const bad = pairs.filter((p) => {
      // t('', '') is "nothing" in both languages, and a template of holes only is checked where the holes come from.
      if (p.en.trim() === '' && p.zh.trim() === '') return false;
      // English words come from the holes ("12 bytes"), Chinese ones from the text ("12 字节"): fine.
      if (p.en.trim() === '' && CJK.test(p.zh)) return false;
      if (p.en.trim() === '' || p.zh.trim() === '') return true;
      if (p.en === p.zh && isProtocolText(p.en)) return false;
      return hasProse(p.en) && !CJK.test(p.zh);
    });
    expect(bad.map((p) => `${p.where}: ${JSON.stringify(p.en)} / ${JSON.stringify(p.zh)}`)).toEqual([]);
  });

  it('never has the same text in both slots (a message copied, not translated)', () => {
    const same = pairs.filter((p) => p.en === p.zh && hasProse(p.en) && !isProtocolText(p.en));
    expect(same.map((p) => `${p.where}: ${p.en} (for text that needs no translation, use same())`)).toEqual([]);
  });
});

describe('READMEs', () => {
  /** Every README.md and README.zh-CN.md in the kit, outside node_modules and dot folders. */
  function readmes(): string[] {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.name.startsWith('.') || e.name === 'node_modules') continue;
        const full = path.join(dir, e.name);
        if (e.isDirectory()) walk(full);
        else if (e.name === 'README.md' || e.name === 'README.zh-CN.md') out.push(full);
      }
    };
    walk(repoRoot);
    return out;
  }

  it('every README.md has a README.zh-CN.md beside it, and the other way round', () => {
    const found = new Set(readmes().map((f) => path.relative(repoRoot, f)));
    const missing: string[] = [];
    for (const f of found) {
      const twin = f.endsWith('README.md') ? f.replace(/README\.md$/, 'README.zh-CN.md') : f.replace(/README\.zh-CN\.md$/, 'README.md');
      if (!found.has(twin)) missing.push(twin);
    }
    expect(missing, 'READMEs without their other-language edition').toEqual([]);
  });

  it('every exercise folder in the stage list has both READMEs, and the Chinese one is Chinese', () => {
    for (const s of stages) {
      for (const name of ['README.md', 'README.zh-CN.md']) {
        const file = path.join(repoRoot, 'exercises', s.slug, name);
        let text = '';
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          /* reported below */
        }
        expect(text, `exercises/${s.slug}/${name} is missing or empty`).not.toBe('');
        if (name.endsWith('zh-CN.md')) expect((text.match(/[\u4e00-\u9fff]/g) ?? []).length, `exercises/${s.slug}/${name} is hardly Chinese`).toBeGreaterThan(200);
      }
    }
  });

  it('each pair of READMEs (the kit\'s and every exercise\'s) has the same commands to type (one is not behind the other)', () => {
    const commands = (file: string): string[] => {
      const text = readFileSync(file, 'utf8');
      const blocks = [...text.matchAll(/```(?:sh|bash|console)?\n([\s\S]*?)```/g)].map((m) => m[1]!);
      return blocks
        .flatMap((b) => b.split('\n'))
        .map((l) => l.replace(/\s+#.*$/, '').trim())
        .filter((l) => /^(npm|npx|nc|printf|PORT=|curl|node|head|sudo|ss)\b/.test(l))
        .sort();
    };
    for (const dir of [...stages.map((s) => path.join('exercises', s.slug)), '.']) {
      const en = path.join(repoRoot, dir, 'README.md');
      const zh = path.join(repoRoot, dir, 'README.zh-CN.md');
      let pair: [string[], string[]];
      try {
        pair = [commands(en), commands(zh)];
      } catch {
        continue; // a missing file is reported by the test above
      }
      expect(pair[1], `${dir}: commands in README.zh-CN.md vs README.md`).toEqual(pair[0]);
    }
  });
});

describe('one word per concept', () => {
  /**
   * A hint in grader/expect/ (another branch is rewriting that folder) still calls the README's
   * Python server "the seed's". Listed here so this test names it; once fixed, the entry must go.
   */
  const NOT_YET = ["This is exactly what the seed's single recv(4096) gets wrong."];

  it('种子 / "seed" is only the random seed; the starting server is 骨架代码 (the skeleton), the README\'s Python server is not "the seed"', () => {
    const misuse = (p: Pair): boolean =>
      /种子(代码|服务器|里|中的)|seed's|seed code|seed server/.test(`${p.zh}\n${p.en}`) || (p.zh.includes('种子') && !/\bseed\b/i.test(p.en));
    const bad = messagesInSource().filter(misuse);
    for (const known of NOT_YET) expect(bad.some((p) => p.en.includes(known)), `fixed now? remove "${known}" from NOT_YET`).toBe(true);
    expect(bad.filter((p) => !NOT_YET.some((k) => p.en.includes(k))).map((p) => `${p.where}: ${p.en} / ${p.zh}`)).toEqual([]);
  });

  it('the READMEs assume no lecture, and 种子 in them is the random seed', () => {
    const docs = [...readdirSync(path.join(repoRoot, 'exercises')).map((d) => `exercises/${d}`), '.'].flatMap((dir) =>
      ['README.md', 'README.zh-CN.md'].map((name) => path.join(repoRoot, dir, name)),
    );
    for (const file of docs) {
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      expect(text, file).not.toMatch(/\blecture|课上|种子代码|seed's/);
    }
  });
});
