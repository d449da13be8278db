import { join, relative, resolve } from 'node:path';
import { loadConfig } from '../config/index.js';
import { COMPARE_COLUMNS, compareConditions, compareMarkdown, compareRuns } from '../reports/compare.js';
import { writeCsv } from '../reports/csv.js';
import { METRIC_KEYS, type MetricKey } from '../metrics/index.js';
import { UserError } from '../util/errors.js';
import { unknownNameMessage } from '../util/suggest.js';
import type { CompareArgs } from './compare.js';

/** `semibench compare` (src/cli/compare.ts: the flags). */
export async function compareAction(args: CompareArgs): Promise<void> {
  const config = await loadConfig(args.config, { threshold: args.threshold }); // checks the policy before any file is read
  const metrics = args.metrics?.split(',').map((m) => m.trim()).filter(Boolean);
  for (const m of metrics ?? []) if (!METRIC_KEYS.includes(m as MetricKey)) throw new UserError(unknownNameMessage('metric', m, METRIC_KEYS), 'E_USAGE');
  const shared = {
    config,
    threshold: args.threshold,
    slices: args.slices?.split(',').map((s) => s.trim()).filter(Boolean),
    resamples: args.resamples,
    ciBudget: args['ci-budget'],
    metrics: metrics as MetricKey[] | undefined,
  };
  let comparison;
  let file: string;
  if (args.conditions !== undefined) {
    const conditions = args.conditions.split(',').map((c) => c.trim());
    if (args.b !== undefined) throw new UserError(`compare --conditions compares two conditions of one run: give one run folder, not '${args.a}' and '${args.b}'.`, 'E_USAGE');
    if (conditions.length !== 2 || conditions.some((c) => c === '')) throw new UserError(`--conditions '${args.conditions}': expected two conditions A,B, such as none,jpeg:75.`, 'E_USAGE');
    comparison = await compareConditions({ ...shared, run: args.a, conditions: [conditions[0], conditions[1]] });
    const slug = comparison.conditions!.map((c) => c.replace(/[^A-Za-z0-9.+-]/g, '_')).join('-vs-');
    file = resolve(args.out ?? join(args.a, `compare-${slug}.csv`));
  } else {
    if (args.b === undefined) throw new UserError('compare needs two run folders A B, or one run folder and --conditions A,B.', 'E_USAGE');
    comparison = await compareRuns({ ...shared, runA: args.a, runB: args.b });
    file = resolve(args.out ?? join(args.b, 'compare.csv'));
  }
  writeCsv(file, comparison.rows, COMPARE_COLUMNS, { escapeFormulas: args['csv-escape-formulas'] ?? true });
  // vega only when asked
  const html = args.html ? await (await import('../reports/compare-html.js')).writeCompareHtml(comparison, file) : undefined;
  console.log(compareMarkdown(comparison));
  console.log(`Wrote:\n  ${relative(process.cwd(), file)}${html ? `\n  ${relative(process.cwd(), html)}` : ''}`);
}
