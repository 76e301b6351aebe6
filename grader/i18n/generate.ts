/**
 * `npm run i18n`: writes the Traditional Chinese (zh-TW) edition of every Chinese document —
 * README.zh-TW.md beside each README.zh-CN.md, docs/teachers.zh-TW.md beside docs/teachers.zh-CN.md —
 * converted from the Simplified one, which stays the only one anybody edits. test/i18n-zh-tw.test.ts
 * regenerates them in memory and fails when a file on disk differs.
 *
 * Not under grader/kit/: the student edition keeps its READMEs and can regenerate them.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { kitRoot } from '../layout.ts';
import { markdownToTaiwan } from './zh-tw.ts';

export interface GeneratedDoc {
  /** The Simplified source, relative to the kit. */
  source: string;
  /** The Traditional edition written from it. */
  target: string;
  text: string;
}

/** The zh-CN documents that have a zh-TW edition: the READMEs and the docs folder. */
export function chineseSources(kit = kitRoot): string[] {
  const found: string[] = [];
  const add = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(path.join(kit, dir)).sort();
    } catch {
      return;
    }
    for (const name of names) if (name.endsWith('.zh-CN.md')) found.push(path.posix.join(dir, name));
  };
  add('.');
  add('docs');
  let exercises: string[] = [];
  try {
    exercises = readdirSync(path.join(kit, 'exercises')).sort();
  } catch {
    /* no exercises: nothing to add */
  }
  for (const ex of exercises) add(`exercises/${ex}`);
  return found.map((f) => f.replace(/^\.\//, ''));
}

/** The line every generated file starts with (an HTML comment: Markdown viewers do not show it). */
export function notice(source: string): string {
  return `<!-- 本檔由 ${path.posix.basename(source)} 以 OpenCC（臺灣用語）自動轉換產生，請勿直接編輯；修改簡體版後執行 npm run i18n。 -->`;
}

export function generateDocs(kit = kitRoot): GeneratedDoc[] {
  return chineseSources(kit).map((source) => ({
    source,
    target: source.replace(/\.zh-CN\.md$/, '.zh-TW.md'),
    text: `${notice(source)}\n${markdownToTaiwan(readFileSync(path.join(kit, source), 'utf8'))}`,
  }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  const docs = generateDocs();
  let changed = 0;
  for (const doc of docs) {
    const file = path.join(kitRoot, doc.target);
    let old = '';
    try {
      old = readFileSync(file, 'utf8');
    } catch {
      /* new file */
    }
    if (old === doc.text) continue;
    writeFileSync(file, doc.text);
    changed++;
    process.stdout.write(`wrote ${doc.target}\n`);
  }
  process.stdout.write(`${docs.length} zh-TW documents, ${changed} changed (${Math.round(performance.now() - started)} ms)\n`);
}
