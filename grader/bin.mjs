#!/usr/bin/env node
// Entry point of `npm run grade`. Plain JavaScript on purpose: it must run, and explain itself, on a
// machine where the TypeScript tooling is missing or Node is too old. Then it loads the grader
// through tsx in this same process (one process, nothing extra to clean up).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The same language choice as i18n.ts (which cannot be loaded yet): --lang, else LC_ALL / LC_MESSAGES / LANG.
const langArg = process.argv.find((a, i, all) => a.startsWith('--lang=') || all[i - 1] === '--lang') ?? '';
const zh = /^(--lang=)?zh/i.test(langArg) || (!langArg && /^zh/i.test(process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || ''));
const say = (en, cn) => `socklab: ${zh ? cn : en}`;

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 6)) {
  console.error(say(
    `Node ${process.versions.node} is too old — install Node 20.6 or newer (https://nodejs.org), then run npm install again.`,
    `Node ${process.versions.node} 版本太旧——请安装 Node 20.6 或更新的版本（https://nodejs.org），然后重新运行 npm install。`,
  ));
  process.exit(4);
}
if (!existsSync(fileURLToPath(new URL('../node_modules/tsx/package.json', import.meta.url)))) {
  console.error(say(
    'dependencies are not installed — run `npm install` in the kit folder first.',
    '还没有安装依赖——请先在本套件的文件夹里运行 `npm install`。',
  ));
  process.exit(4);
}
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
