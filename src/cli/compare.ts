import type { CommandModule } from 'yargs';
import { configOptions, csvOutputOptions } from './options.js';

export interface CompareArgs {
  a: string;
  b?: string;
  conditions?: string;
  config?: string;
  threshold?: string;
  slices?: string;
  metrics?: string;
  out?: string;
  resamples?: number;
  'ci-budget'?: number;
  'csv-escape-formulas'?: boolean;
  html?: boolean;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <a> [b]',
  describe: 'Per-slice differences B − A between two runs, or two stress conditions of one run, with 95% intervals; writes compare.csv',
  builder: (y) =>
    y
      .positional('a', { type: 'string', demandOption: true, describe: 'Run folder A (the baseline), or the run whose --conditions are compared' })
      .positional('b', { type: 'string', describe: 'Run folder B' })
      .option('conditions', { type: 'string', describe: 'A,B: compare two conditions of run A (same images, paired), e.g. none,jpeg:75' })
      .option('config', configOptions.config)
      .option('threshold', configOptions.threshold)
      .option('slices', { type: 'string', describe: 'Comma-separated slice names (default: all)' })
      .option('metrics', { type: 'string', describe: 'Comma-separated metrics (default: the main ones)' })
      .option('out', { type: 'string', describe: 'CSV file to write (default: B/compare.csv; with --conditions: A/compare-CA-vs-CB.csv)' })
      .options(csvOutputOptions)
      .option('html', { type: 'boolean', describe: 'Also write compare.html beside the CSV: B − A figures with intervals and tables, one self-contained page' })
      .option('resamples', { type: 'number', describe: 'Bootstrap resamples for the intervals (0 = none)' })
      .option('ci-budget', { type: 'number', describe: 'Row-resamples the bootstrap may spend; larger groups get normal intervals' })
      .example('$0 compare runs/native runs/semitruths', 'the same detectors under two protocols')
      .example('$0 compare runs/stress --conditions none,jpeg:75', 'each detector clean vs re-saved as JPEG 75, paired'),
  // The comparison (the reports, onnxruntime through the detector registry) is imported only when it runs:
  // `compare --help` needs none of it.
  handler: async (args) => (await import('./compare-action.js')).compareAction(args),
};
