#!/usr/bin/env node
// Runs the built CLI (dist/, compiled by `npm run build`, which `npm ci` and `npm pack` run through prepare).
// SEMIBENCH_FROM_SOURCE=1 runs the TypeScript sources through tsx instead: the tests set it (vitest.config.ts),
// so they never run a stale build.
import { existsSync } from 'node:fs';

// `semibench ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

let entry = new URL('../dist/cli/main.js', import.meta.url);
if (process.env.SEMIBENCH_FROM_SOURCE === '1') {
  (await import('tsx/esm/api')).register();
  entry = new URL('../src/cli/main.ts', import.meta.url);
} else if (!existsSync(entry)) {
  console.error('semibench: no build in dist/: run `npm run build` (npm ci runs it)');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv.slice(2));
