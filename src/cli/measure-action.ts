import { resolve } from 'node:path';
import { measure } from '../generation/measure.js';
import { loadConfig } from '../config/index.js';
import { loadQcConfig, qcFromThresholds, SEMITRUTHS_QC, SEMITRUTHS_QC_THRESHOLDS } from '../generation/qc.js';
import { formatMeasureSummary } from '../generation/summary.js';
import { releaseTable } from '../generation/release-table.js';
import { evalsetTable, pairsTable } from '../generation/table.js';
import { createProgress } from '../runner/progress.js';
import { UserError } from '../util/errors.js';
import type { MeasureArgs } from './measure.js';

/** `semibench measure` (src/cli/measure.ts: the flags). */
export async function measureAction(args: MeasureArgs): Promise<void> {
  const table = args.data ? (args.out ? releaseTable(args.data, args.out) : evalsetTable(args.data)) : pairsTable(args.pairs!);
  if (!(args['batch-size'] >= 1 && args.concurrency >= 1)) throw new UserError('--batch-size and --concurrency must be at least 1.');
  if (!(args['archive-cache-mib'] > 0)) throw new UserError('--archive-cache-mib must be a positive number of MiB.');
  const config = await loadConfig(args.config);
  // --qc FILE wins; otherwise bench.config.ts `qc` (the defaults say where they come from).
  const qc = args.qc ? loadQcConfig(args.qc) : config.qc === SEMITRUTHS_QC_THRESHOLDS ? SEMITRUTHS_QC : qcFromThresholds(config.qc, 'bench.config.ts qc');
  const result = await measure({
    table,
    metricsDir: resolve(args['metrics-dir']),
    qc,
    batchSize: args['batch-size'],
    concurrency: args.concurrency,
    fresh: args.fresh,
    retryErrors: args['retry-errors'],
    noLearned: !args.learned,
    noBrisque: !args.brisque,
    prefer: args['prefer-measured'] ? 'measured' : 'released',
    missingValue: args['missing-category'] ? 'lastBin' : 'own',
    archiveCacheMiB: args['archive-cache-mib'],
    progress: createProgress(),
  });
  console.log(formatMeasureSummary(result));
  // A model that is present but cannot load is a mistake to fix; a missing one is a state the summary explains.
  if (result.models.some((m) => m.status === 'failed')) process.exitCode = 1;
}
