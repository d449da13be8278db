import { loadConfig } from '../config/index.js';
import { problemLines, type ArchiveProblems } from '../loaders/archives.js';
import { buildReport } from '../reports/report.js';
import { wroteLines } from '../reports/summary-md.js';
import { writeReport } from '../reports/write.js';
import { reportHtml } from '../reports/report-html.js';
import { createProgress } from '../runner/progress.js';
import { lockRunFolder } from '../runner/run-folder.js';
import { checkSplit, formatShard, resolveShard, shardFiles } from '../runner/shard.js';
import { checkDevice } from '../detectors/adapter.js';
import { validateRunPlan } from '../detectors/registry.js';
import { runDetectors, type RunResult } from '../runner/run.js';
import { expandSweep } from '../conditions/spec.js';
import { exitCode, type RunArgs } from './run.js';

/** `semibench run`: score, then write the report into the run folder under its lock (src/cli/run.ts: the flags). */
export async function runAction(args: RunArgs): Promise<void> {
  const config = await loadConfig(args.config, {
    detectors: args.detector,
    out: args.out,
    data: args.data,
    modelsDir: args['models-dir'],
    protocol: args.protocol,
    threshold: args.threshold,
    batchSize: args['batch-size'],
    device: args.device,
    intraOpThreads: args['intra-op-threads'],
    interOpThreads: args['inter-op-threads'],
    inferenceWorkers: args['inference-workers'],
    spinning: args.spinning,
    graphOptimization: args['graph-optimization'],
    conditions: conditionFlags(args.condition, args.sweep),
    strictData: args['strict-data'],
  });
  const { shard, from } = resolveShard(args.shard, args.shards);
  const selected = validateRunPlan(config); // names and protocol before the first image
  checkDevice(config.device);
  if (shard && from !== '--shard') console.error(`shard ${formatShard(shard)} (from the ${from})`);
  if (shard) checkSplit(config.out, shard, from);
  // The lock covers the report too: it is written into the same folder. A shard holds only its own lock.
  const lock = lockRunFolder(config.out, undefined, shard ? shardFiles(config.out, shard).lock : undefined);
  try {
    const result = await runDetectors(config, createProgress(), { cache: args.cache, lock, shard });
    const ran = !shard && result.detectors.some((d) => d.status === 'ran' || d.counts.resumed > 0);
    const report = ran ? await buildReport({ runDir: config.out, config }) : undefined;
    const written = report ? writeReport(report, config.out, { escapeFormulas: args['csv-escape-formulas'], html: await reportHtml(report) }) : undefined;
    if (written) console.log(`\n${written.summary}`);
    printSummary(result, [result.predictionsFile, result.runJson, ...(written?.files ?? [])]);
    if (shard) console.log(`shard ${formatShard(shard)} done; once every shard is, join them and write the report: semibench merge ${config.out}`);
    process.exitCode = exitCode(result, config, selected);
  } finally {
    lock.release();
  }
}

/** --condition and --sweep together (undefined when neither is given, so the config's `conditions` stand). */
function conditionFlags(conditions: string[] = [], sweeps: string[] = []): string[] | undefined {
  const all = [...conditions, ...sweeps.flatMap(expandSweep)];
  return all.length ? all : undefined;
}

function printSummary(result: RunResult, files: string[]): void {
  const lines = [`\n${result.samples} samples${result.shard ? ` in shard ${formatShard(result.shard)}` : ''}, ${(result.wallMs / 1000).toFixed(1)} s`];
  const missing = result.detectors.filter((d) => d.missingWeights !== undefined);
  for (const d of result.detectors) {
    if (missing.length > 1 && missing.includes(d)) continue;
    if (d.status === 'ran') {
      const resumed = d.counts.resumed ? `, ${d.counts.resumed} reused` : '';
      const rescored = Object.entries(d.counts.rescored).map(([why, n]) => `${n} ${why}`);
      const redone = rescored.length ? `, rescored: ${rescored.join(', ')}` : '';
      const cached = d.counts.cached ? ` (${d.counts.cached} from the cache)` : '';
      const note = d.calibrated ? '' : '  (uncalibrated baseline: read AUC/AP)';
      lines.push(`  ${d.name.padEnd(30)} ok ${d.counts.ok}${cached}, errors ${d.counts.error}${resumed}${redone}${note}`);
    } else {
      lines.push(`  ${d.name.padEnd(30)} not run: ${d.reason}`);
    }
  }
  const problems = result.dataProblems as ArchiveProblems | undefined;
  if (problems?.failedArchives) lines.push(...problemLines(problems));
  if (missing.length > 1) {
    lines.push(`  not run, weights missing: ${missing.map((d) => d.name).join(', ')}`, '  (paths in run.json and `semibench detectors list`; export them with tools/export, see docs/exporting.md)');
  }
  lines.push(...wroteLines(files));
  console.log(lines.join('\n'));
}
