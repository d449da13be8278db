import type { CommandModule } from 'yargs';
import { DEFAULT_ARCHIVE_CACHE_MIB } from '../config/defaults.js';
import { DEFAULT_METRICS_DIR } from '../generation/learned/zoo.js';
import { UserError } from '../util/errors.js';
import { configOptions } from './options.js';

export interface MeasureArgs {
  data?: string;
  pairs?: string;
  out?: string;
  'metrics-dir': string;
  qc?: string;
  config?: string;
  'batch-size': number;
  concurrency: number;
  fresh: boolean;
  'retry-errors': boolean;
  learned: boolean;
  brisque: boolean;
  'prefer-measured': boolean;
  'missing-category': boolean;
  'archive-cache-mib': number;
}

export const measureCommand: CommandModule<object, MeasureArgs> = {
  command: 'measure',
  describe: 'Fill an eval set\'s change-metric, QC and bin columns (rewrites its metadata.csv; resumable)',
  builder: (y) =>
    y
      .option('data', { type: 'string', describe: 'Eval set folder with metadata.csv (fakes are paired with the real row of their image_id)' })
      .option('out', { type: 'string', describe: 'The full Semi-Truths release (--data): the folder its measured table is written to (OUT/metadata.csv, with bins.json, measure.json)' })
      .option('pairs', { type: 'string', describe: 'Or: a CSV of pairs (real_path, edited_path[, mask_path, original_caption, perturbed_caption])' })
      .option('metrics-dir', { type: 'string', default: DEFAULT_METRICS_DIR, describe: 'Folder of metric models (LPIPS, DreamSim, MiniLM, CLIP)' })
      .option('qc', { type: 'string', describe: 'QC thresholds JSON: {"metric_thresholds": {"cap2_img2": [0.2083, 0.2971], ...}} (default: bench.config.ts `qc`, the Semi-Truths thresholds)' })
      .option('config', configOptions.config)
      .option('batch-size', { type: 'number', default: 16, describe: 'Rows made durable at a time' })
      .option('concurrency', { type: 'number', default: 4, describe: 'Rows decoded and measured at once' })
      .option('fresh', { type: 'boolean', default: false, describe: 'Ignore earlier measurements and measure every row again' })
      .option('retry-errors', { type: 'boolean', default: false, describe: 'Measure again the rows whose last measurement had a problem' })
      .option('learned', { type: 'boolean', default: true, describe: 'Compute the learned metrics (--no-learned: pixel metrics only)' })
      .option('brisque', { type: 'boolean', default: true, describe: 'Compute BRISQUE of both images (the QC gate\'s brisque_score_perturb rule; --no-brisque: keep input values)' })
      .option('prefer-measured', {
        type: 'boolean',
        default: false,
        describe: "Where the metadata has a released column of the same meaning (ratio, ratio_rgb, ssim_rgb, mse_rgb), use semibench's value downstream instead of the released one (both are kept either way)",
      })
      .option('missing-category', {
        type: 'boolean',
        default: true,
        describe: 'An edited row without a metric value goes in the last bin (bin5 / large), as final_bins.py does (--no-missing-category: leave its category empty)',
      })
      .option('archive-cache-mib', {
        type: 'number',
        default: DEFAULT_ARCHIVE_CACHE_MIB,
        describe: 'An Evalset read from its .tar.bz2 archives: the most original-image bytes held at once (more than this: the edit archives are read again per part)',
      })
      .conflicts('data', 'pairs')
      .conflicts('out', 'pairs')
      .check((args) => {
        if (!args.data && !args.pairs) throw new UserError('Name the eval set: --data DIR (metadata.csv) or --pairs FILE.csv.');
        return true;
      })
      .example('$0 measure --data ~/my-evalset', 'measure every pair of DIR/metadata.csv in place')
      .example('$0 measure --data ~/Semi-Truths --out ~/semi-truths-measured', 'the full release, read from its archives in place')
      .example('$0 measure --pairs edits/pairs.csv --metrics-dir ~/models/metrics', 'a folder of (real, edited) pairs'),
  // The measurement (onnxruntime, sharp) is imported only when it runs: `measure --help` needs none of it.
  handler: async (args) => (await import('./measure-action.js')).measureAction(args),
};
