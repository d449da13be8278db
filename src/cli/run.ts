import type { CommandModule } from 'yargs';
import { loadConfig } from '../config/index.js';
import { buildReport } from '../reports/report.js';
import { wroteLines } from '../reports/summary-md.js';
import { writeReport } from '../reports/write.js';
import { reportHtml } from '../reports/report-html.js';
import { createProgress } from '../runner/progress.js';
import { lockRunFolder } from '../runner/run-folder.js';
import { checkSplit, formatShard, resolveShard, shardFiles } from '../runner/shard.js';
import { GRAPH_OPTIMIZATION_LEVELS, type BenchConfig, type GraphOptimization } from '../config/schema.js';
import { checkDevice } from '../detectors/adapter.js';
import { validateRunPlan, type RegistryEntry } from '../detectors/registry.js';
import { runDetectors, type RunResult } from '../runner/run.js';
import { expandSweep } from '../conditions/spec.js';
import { configOptions, csvOutputOptions } from './options.js';

interface RunArgs {
  detector?: string[];
  out?: string;
  config?: string;
  data?: string;
  'models-dir'?: string;
  protocol?: string;
  threshold?: string;
  'batch-size'?: number;
  'strict-data'?: boolean;
  cache?: string;
  'csv-escape-formulas'?: boolean;
  shard?: string;
  shards?: number;
  device?: 'cpu' | 'cuda';
  'intra-op-threads'?: number;
  'inter-op-threads'?: number;
  'graph-optimization'?: GraphOptimization;
  condition?: string[];
  sweep?: string[];
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'Score every sample with each detector, then write per-slice reports',
  builder: (y) =>
    y
      .options(configOptions)
      .options(csvOutputOptions)
      .option('detector', { type: 'string', array: true, describe: 'Detector name(s), or all' })
      .option('out', { type: 'string', describe: 'Output folder (rerun into the same folder to resume)' })
      .option('batch-size', { type: 'number', describe: 'Images scored between two durable writes (each image is inferred alone: scores never depend on the batch)' })
      .option('condition', { type: 'string', array: true, describe: 'Stress condition scored besides the clean run (repeatable): jpeg:75, webp:80, blur:1, resize:0.5[:filter], crop:0.8, noise:0.02, format:png, format:jpeg:Q, social, chains like resize:0.5+jpeg:75 (docs/stress-conditions.md)' })
      .option('sweep', { type: 'string', array: true, describe: 'A condition at several strengths (repeatable): jpeg:95,85,75 is --condition jpeg:95 --condition jpeg:85 --condition jpeg:75' })
      .option('strict-data', { type: 'boolean', describe: 'Stop on a repeated image_path in metadata.csv (default: keep the first row, report the rest)' })
      .option('cache', { type: 'string', describe: 'Score cache folder shared across runs: an image scored before under the same model and pipeline is not scored again' })
      .option('shard', { type: 'string', describe: 'Score only shard INDEX/COUNT (0-based: 0/4 … 3/4) into OUT/shards/; join with `semibench merge OUT` (default: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)' })
      .option('device', { choices: ['cpu', 'cuda'] as const, describe: "Where onnxruntime runs the models (default cpu; cuda needs onnxruntime-node's CUDA provider: docs/scaling.md)" })
      .option('intra-op-threads', { type: 'number', describe: "onnxruntime threads inside one operator (default 0: onnxruntime's own, one per physical core)" })
      .option('inter-op-threads', { type: 'number', describe: "onnxruntime threads across independent operators (default 0: onnxruntime's own)" })
      .option('graph-optimization', { choices: GRAPH_OPTIMIZATION_LEVELS, describe: "onnxruntime's graph optimisation level (default all); part of the score identity" })
      .option('shards', { type: 'number', describe: 'The shard count, for a Kubernetes Indexed Job (JOB_COMPLETION_INDEX; or set SEMIBENCH_SHARDS)' })
      .example('$0 run --detector all', 'every known detector on the bundled eval set')
      .example('$0 run --detector all --sweep jpeg:95,75,50 --condition format:png', 'robustness curves and the format-shortcut check')
      .example('$0 run --detector npr-residual --data ~/Semi-Truths-Evalset --out runs/npr', 'one detector on a real Evalset'),
  handler: async (args) => {
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
  },
};

/** --condition and --sweep together (undefined when neither is given, so the config's `conditions` stand). */
function conditionFlags(conditions: string[] = [], sweeps: string[] = []): string[] | undefined {
  const all = [...conditions, ...sweeps.flatMap(expandSweep)];
  return all.length ? all : undefined;
}

/**
 * 0: every detector asked for ran and every row scored. 1: the run finished but needs a look: a detector the
 * user named did not run, a model is broken (even under `all`, where only missing weights and a protocol the
 * detector lacks are expected), or rows failed (their reasons are in predictions.csv). README "Exit status".
 */
export function exitCode(result: RunResult, config: BenchConfig, selected: readonly RegistryEntry[]): 0 | 1 {
  const all = config.detectors.includes('all');
  const lacksProtocol = (name: string) => !(config.protocol in (selected.find((e) => e.manifest.name === name)?.manifest.protocols ?? {}));
  const needsALook = result.detectors.some(
    (d) => (d.status === 'not run' && !(all && (d.missingWeights !== undefined || lacksProtocol(d.name)))) || d.counts.error > 0,
  );
  return needsALook ? 1 : 0;
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
  if (missing.length > 1) {
    lines.push(`  not run, weights missing: ${missing.map((d) => d.name).join(', ')}`, '  (paths in run.json and `semibench detectors list`; export them with tools/export, see docs/exporting.md)');
  }
  lines.push(...wroteLines(files));
  console.log(lines.join('\n'));
}
