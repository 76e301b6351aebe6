#!/usr/bin/env node
// Entry point of `npm run grade`. Plain JavaScript on purpose: it must run, and explain itself, on a
// machine where the TypeScript tooling is missing, Node is too old, or the system is not one the
// grader can work on. Then it loads the grader through tsx in this same process (one process,
// nothing extra to clean up).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The same language choice as langOf/pickLang in i18n.ts (which cannot be loaded yet): --lang, else
// LC_ALL / LC_MESSAGES / LANG; zh_TW, zh_HK, zh_MO and zh-Hant are Traditional, other zh Simplified.
const langArg = process.argv.find((a, i, all) => a.startsWith('--lang=') || all[i - 1] === '--lang')?.replace(/^--lang=/, '');
const locale = (langArg ?? (process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || '')).toLowerCase().replaceAll('_', '-').replace(/[.@].*$/, '');
const lang = /^zh-(tw|hk|mo|hant)\b/.test(locale) ? 'zh-TW' : locale === 'zh' || locale.startsWith('zh-') ? 'zh-CN' : 'en';
// zh-TW is derived from zh-CN everywhere else (OpenCC); here the converter may not be installed yet,
// so the three messages carry it written out, and test/i18n-zh-tw.test.ts checks it is the conversion.
const say = (en, cn, tw) => `socklab: ${lang === 'zh-TW' ? tw : lang === 'zh-CN' ? cn : en}`;

// Process groups, POSIX signals and a shell are what keeps every server the grader starts under
// its control; Windows has none of them. SOCKLAB_PLATFORM stands in for process.platform in tests.
if ((process.env.SOCKLAB_PLATFORM || process.platform) === 'win32') {
  console.error(say(
    'Windows is not supported (the grader needs process groups and signals) — use WSL: install it (https://learn.microsoft.com/windows/wsl/install), open the kit in its Linux shell, then run npm install and npm run grade there.',
    '不支持 Windows（评测器需要进程组和信号）——请使用 WSL：安装它（https://learn.microsoft.com/windows/wsl/install），在它的 Linux 终端里打开本套件，然后在那里运行 npm install 和 npm run grade。',
    '不支援 Windows（評測器需要行程群組和訊號）——請使用 WSL：安裝它（https://learn.microsoft.com/windows/wsl/install），在它的 Linux 終端機裡開啟本套件，然後在那裡執行 npm install 和 npm run grade。',
  ));
  process.exit(4);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 6)) {
  console.error(say(
    `Node ${process.versions.node} is too old — install Node 20.6 or newer (https://nodejs.org), then run npm install again.`,
    `Node ${process.versions.node} 版本太旧——请安装 Node 20.6 或更新的版本（https://nodejs.org），然后重新运行 npm install。`,
    `Node ${process.versions.node} 版本太舊——請安裝 Node 20.6 或更新的版本（https://nodejs.org），然後重新執行 npm install。`,
  ));
  process.exit(4);
}
if (!existsSync(fileURLToPath(new URL('../node_modules/tsx/package.json', import.meta.url)))) {
  console.error(say(
    'dependencies are not installed — run `npm install` in the kit folder first.',
    '还没有安装依赖——请先在本套件的文件夹里运行 `npm install`。',
    '還沒有安裝相依套件——請先在本套件的資料夾裡執行 `npm install`。',
  ));
  process.exit(4);
}
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
