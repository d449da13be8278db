import type { CommandModule } from 'yargs';
import type { ScoreColumn } from '../reports/import-predictions.js';
import { configOptions, csvOutputOptions } from './options.js';

export interface ReportArgs {
  run?: string;
  config?: string;
  data?: string;
  threshold?: string;
  slices?: string;
  out?: string;
  predictions?: string[];
  score?: ScoreColumn;
  notebook?: boolean;
  html?: boolean;
  resamples?: number;
  'ci-budget'?: number;
  'csv-escape-formulas'?: boolean;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report [run]',
  describe: "Re-slice a run's saved predictions (no model is run): per-slice CSVs, results.json, summary.md, report.html",
  builder: (y) =>
    y
      .positional('run', { type: 'string', describe: 'Run folder (predictions.csv, run.json)' })
      .option('config', configOptions.config)
      .option('data', { type: 'string', describe: "Eval set folder (default: the run's, from run.json)" })
      .option('threshold', configOptions.threshold)
      .option('slices', { type: 'string', describe: 'Comma-separated slice names from the config (default: all)' })
      .option('out', { type: 'string', describe: 'Where to write the report (default: the run folder)' })
      .option('predictions', {
        type: 'string',
        array: true,
        describe: 'Import predictions first: a semibench predictions.csv or a notebook-style CSV (prediction/probability columns), as FILE or NAME=FILE',
      })
      .option('score', { choices: ['probability', 'prediction'] as const, describe: 'Notebook-style files: the column used as the score' })
      .options(csvOutputOptions)
      .option('notebook', { type: 'boolean', describe: 'Also print the Semi-Truths notebook tables (notebook.md)' })
      .option('html', { type: 'boolean', describe: "Only (re)write report.html from the run's results.json and predictions.csv (nothing is recomputed)" })
      .option('resamples', { type: 'number', describe: 'Bootstrap resamples for 95% intervals (0 = none)' })
      .option('ci-budget', { type: 'number', describe: 'Row-resamples the bootstrap may spend; larger groups get normal intervals (default 3e7, ~1 s)' })
      .example('$0 report runs/latest --threshold fpr@0.05', 'thresholds fixed at 5% FPR on all reals')
      .example('$0 report runs/ufd --predictions UFD=preds/ufd.csv --data ~/Semi-Truths-Evalset --notebook', 'the paper notebook tables from its predictions file'),
  // The report itself (the loaders, the reports, sharp through the run identity) is imported only when it runs:
  // `report --help` needs none of it.
  handler: async (args) => (await import('./report-action.js')).reportAction(args),
};
