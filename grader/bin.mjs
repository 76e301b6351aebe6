#!/usr/bin/env node
// Entry point of `npm run grade`. Plain JavaScript on purpose: it must run, and explain itself, on a
// machine where the TypeScript tooling is missing or Node is too old. Then it loads the grader
// through tsx in this same process (one process, nothing extra to clean up).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 6)) {
  console.error(`socklab: Node ${process.versions.node} is too old — install Node 20.6 or newer (https://nodejs.org), then run npm install again.`);
  process.exit(4);
}
if (!existsSync(fileURLToPath(new URL('../node_modules/tsx/package.json', import.meta.url)))) {
  console.error('socklab: dependencies are not installed — run `npm install` in the kit folder first.');
  process.exit(4);
}
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
