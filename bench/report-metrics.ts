/**
 * The report's "rank + metrics" phase alone (not a test): reads a bench/report.ts run once, then ranks every
 * detector and computes its slice rows on this thread, `--reps` times, printing the machine's load, wall and
 * CPU seconds per repetition. CPU seconds of this phase are the figure to compare between versions on a
 * shared machine (bench/report.ts's totals include reading, which swings with the other jobs).
 *
 *   npx tsx bench/report.ts --fakes 250000 --reals 5000 --workers 1 --no-reference   # generate the run once
 *   npx tsx bench/report-metrics.ts /tmp/semibench-bench-report-250000-5000 --reps 2
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import { allSlice, MISSING } from '../src/slices/assign.js';
import { aggregateContext, DEFAULT_CI_BUDGET } from '../src/slices/aggregate.js';
import { detectorView } from '../src/slices/detector-view.js';
import { readHeader } from '../src/slices/metadata.js';
import { runJob } from '../src/slices/parallel.js';
import { planSlices } from '../src/slices/plan.js';
import { readInputs } from '../src/slices/read-inputs.js';

async function main(): Promise<void> {
  const dir = resolve(process.argv[2] ?? '');
  const at = process.argv.indexOf('--reps');
  const reps = at > 0 ? Number(process.argv[at + 1]) : 1;
  const config = await loadConfig(join(resolve(fileURLToPath(import.meta.url), '../..'), 'bench.config.ts'), {});
  const dataDir = join(dir, 'data');
  const plan = planSlices(config.slices, readHeader(dataDir));
  const inputs = await readInputs(dataDir, plan.needs, plan.slices, join(dir, 'run', 'predictions.csv'), { workers: 1 });
  // as buildReport: the `all` slice first, slices whose column is empty everywhere left out
  const slices = [allSlice(inputs.meta), ...inputs.slices.filter((a) => !a.values.every((v) => v === MISSING))];
  const detectors = inputs.scores.detectors;
  const { resamples, seed } = config.bootstrap;
  console.log(`${inputs.meta.rowCount} metadata rows, ${detectors.length} detectors, ${slices.length} slices`);
  for (let rep = 0; rep < reps; rep++) {
    const load = loadavg()[0];
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const ctx = aggregateContext(slices, detectors.length, { resamples, seed, ciBudget: DEFAULT_CI_BUDGET });
    let groups = 0;
    for (const [d, scores] of detectors.entries()) {
      const result = runJob(detectorView(inputs.meta, scores), { d, scores }, ctx, config.threshold);
      groups += result.rows.reduce((n, rows) => n + rows.length, 0);
    }
    const used = process.cpuUsage(cpu);
    console.log(`rep ${rep + 1} (load ${load.toFixed(1)}): ${groups} slice rows, wall ${((performance.now() - t0) / 1000).toFixed(2)} s, CPU ${((used.user + used.system) / 1e6).toFixed(2)} s`);
  }
}

void main();
