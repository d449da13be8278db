import { join } from 'node:path';
import type { SliceRow } from '../slices/aggregate.js';
import { METRIC_KEYS } from '../metrics/index.js';
import { writeCsv, type CsvOptions } from './csv.js';

/** Columns of every per-slice CSV, in order: identity, counts, threshold, then value / interval / interval method / reason per metric. */
export const SLICE_CSV_COLUMNS: string[] = [
  'detector',
  'slice',
  'value',
  'kind',
  'n_real',
  'n_fake',
  'n_paired_real',
  'n_unpaired_fake',
  'n_error',
  'n_invalid',
  'n_missing',
  'threshold_policy',
  'threshold',
  'threshold_note',
  'ci_method',
  ...METRIC_KEYS.flatMap((m) => [m, `${m}_lo`, `${m}_hi`, `${m}_ci_method`, `${m}_reason`]),
];

/** A slice row flattened to the CSV columns (an undefined metric is blank and its `_reason` says why). */
export function flattenRow(row: SliceRow): Record<string, string | number | null> {
  const { metrics, ...rest } = row;
  const flat: Record<string, string | number | null> = { ...rest };
  for (const m of METRIC_KEYS) {
    const c = metrics[m];
    flat[m] = c.value;
    flat[`${m}_lo`] = c.lo;
    flat[`${m}_hi`] = c.hi;
    flat[`${m}_ci_method`] = c.lo === null ? '' : c.ci_method;
    flat[`${m}_reason`] = c.reason ?? c.ciReason ?? '';
  }
  return flat;
}

/** Writes OUT/slices/<slice>.csv for each slice, rows in detector then value order. */
export function writeSliceCsvs(outDir: string, sliceNames: readonly string[], rows: readonly SliceRow[], opts?: CsvOptions): string[] {
  return sliceNames.map((name) => {
    const file = join(outDir, 'slices', `${name}.csv`);
    writeCsv(file, rows.filter((r) => r.slice === name).map(flattenRow), SLICE_CSV_COLUMNS, opts);
    return file;
  });
}
