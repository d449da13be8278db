import type { CommandModule } from 'yargs';
import { GRAPH_OPTIMIZATION_LEVELS, type BenchConfig, type GraphOptimization } from '../config/schema.js';
import type { RegistryEntry } from '../detectors/registry.js';
import type { RunResult } from '../runner/run.js';
import { configOptions, csvOutputOptions } from './options.js';

export interface RunArgs {
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
  'inference-workers'?: number;
  spinning?: boolean;
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
      .option('inference-workers', { type: 'number', describe: 'Images inferred at once, each by its own onnxruntime session in a worker thread (default 0: 2 on 2 or more cores, else 1); scores are the same bits' })
      .option('spinning', { type: 'boolean', describe: "Let onnxruntime's idle threads spin instead of sleeping (default off: a spinning thread holds a core that decoding needs)" })
      .option('graph-optimization', { choices: GRAPH_OPTIMIZATION_LEVELS, describe: "onnxruntime's graph optimisation level (default all); part of the score identity" })
      .option('shards', { type: 'number', describe: 'The shard count, for a Kubernetes Indexed Job (JOB_COMPLETION_INDEX; or set SEMIBENCH_SHARDS)' })
      .example('$0 run --detector all', 'every known detector on the bundled eval set')
      .example('$0 run --detector all --sweep jpeg:95,75,50 --condition format:png', 'robustness curves and the format-shortcut check')
      .example('$0 run --detector npr-residual --data ~/Semi-Truths-Evalset --out runs/npr', 'one detector on a real Evalset'),
  // The run itself (onnxruntime, sharp, the loaders and reports) is imported only when it runs: `run --help` needs none.
  handler: async (args) => (await import('./run-action.js')).runAction(args),
};

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
