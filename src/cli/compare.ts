import { join, relative, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadConfig } from '../config/index.js';
import { COMPARE_COLUMNS, compareMarkdown, compareRuns } from '../reports/compare.js';
import { writeCsv } from '../reports/csv.js';
import { METRIC_KEYS, type MetricKey } from '../metrics/index.js';
import { UserError } from '../util/errors.js';
import { unknownNameMessage } from '../util/suggest.js';
import { configOptions, csvOutputOptions } from './options.js';

interface CompareArgs {
  a: string;
  b: string;
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
  command: 'compare <a> <b>',
  describe: 'Per-slice differences B − A between two runs, with 95% intervals; writes compare.csv',
  builder: (y) =>
    y
      .positional('a', { type: 'string', demandOption: true, describe: 'Run folder A (the baseline)' })
      .positional('b', { type: 'string', demandOption: true, describe: 'Run folder B' })
      .option('config', configOptions.config)
      .option('threshold', configOptions.threshold)
      .option('slices', { type: 'string', describe: 'Comma-separated slice names (default: all)' })
      .option('metrics', { type: 'string', describe: 'Comma-separated metrics (default: the main ones)' })
      .option('out', { type: 'string', describe: 'CSV file to write (default: B/compare.csv)' })
      .options(csvOutputOptions)
      .option('html', { type: 'boolean', describe: 'Also write compare.html beside the CSV: B − A figures with intervals and tables, one self-contained page' })
      .option('resamples', { type: 'number', describe: 'Bootstrap resamples for the intervals (0 = none)' })
      .option('ci-budget', { type: 'number', describe: 'Row-resamples the bootstrap may spend; larger groups get normal intervals' })
      .example('$0 compare runs/native runs/semitruths', 'the same detectors under two protocols'),
  handler: async (args) => {
    const config = await loadConfig(args.config, { threshold: args.threshold }); // checks the policy before any file is read
    const metrics = args.metrics?.split(',').map((m) => m.trim()).filter(Boolean);
    for (const m of metrics ?? []) if (!METRIC_KEYS.includes(m as MetricKey)) throw new UserError(unknownNameMessage('metric', m, METRIC_KEYS), 'E_USAGE');
    const comparison = await compareRuns({
      runA: args.a,
      runB: args.b,
      config,
      threshold: args.threshold,
      slices: args.slices?.split(',').map((s) => s.trim()).filter(Boolean),
      resamples: args.resamples,
      ciBudget: args['ci-budget'],
      metrics: metrics as MetricKey[] | undefined,
    });
    const file = resolve(args.out ?? join(args.b, 'compare.csv'));
    writeCsv(file, comparison.rows, COMPARE_COLUMNS, { escapeFormulas: args['csv-escape-formulas'] ?? true });
    // vega only when asked
    const html = args.html ? await (await import('../reports/compare-html.js')).writeCompareHtml(comparison, file) : undefined;
    console.log(compareMarkdown(comparison));
    console.log(`Wrote:\n  ${relative(process.cwd(), file)}${html ? `\n  ${relative(process.cwd(), html)}` : ''}`);
  },
};
