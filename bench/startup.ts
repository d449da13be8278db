/**
 * CLI start-up: wall time of `semibench --help` (the built CLI in dist/, as `npx semibench` runs it) against
 * `vitest --help`, plus `--version`, `run --help` (imports the run command's modules) and `--help` from the
 * TypeScript sources through tsx (how the CLI started before it had a build). Runs interleaved, so machine load
 * hits every command alike; prints the median and the fastest of each.
 *
 *   npm run build && npx tsx bench/startup.ts [--runs 5]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
if (!existsSync('dist/cli/main.js')) throw new Error('no build: run `npm run build` first');

const built = { ...process.env, SEMIBENCH_FROM_SOURCE: undefined };
const cases: { name: string; args: string[]; env?: NodeJS.ProcessEnv }[] = [
  { name: 'semibench --help', args: ['bin/semibench.js', '--help'], env: built },
  { name: 'vitest --help', args: ['node_modules/vitest/vitest.mjs', '--help'] },
  { name: 'semibench --version', args: ['bin/semibench.js', '--version'], env: built },
  { name: 'semibench run --help', args: ['bin/semibench.js', 'run', '--help'], env: built },
  { name: 'semibench --help (sources, tsx)', args: ['bin/semibench.js', '--help'], env: { ...process.env, SEMIBENCH_FROM_SOURCE: '1' } },
];

const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (let r = 0; r < runs; r++) {
  for (const c of cases) {
    const start = performance.now();
    const result = spawnSync(process.execPath, c.args, { env: c.env ?? process.env, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${c.name} exited ${result.status}`);
    times.get(c.name)!.push(performance.now() - start);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${runs} runs each, node ${process.version}, ${availableParallelism()} cores, load ${loadavg()[0].toFixed(1)}`);
for (const [name, xs] of times) {
  console.log(`${name.padEnd(34)} median ${(median(xs) / 1000).toFixed(2)} s   fastest ${(Math.min(...xs) / 1000).toFixed(2)} s`);
}
