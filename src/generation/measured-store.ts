import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { readCsvRecords } from '../loaders/csv.js';
import { csvText, DATA_FILE } from '../reports/csv.js';
import { UserError } from '../util/errors.js';
import { formatValue, METRIC_COLUMNS, parseValue, type MetricColumn } from './columns.js';

/** One measured pair as the log holds it. */
export interface MeasuredRow {
  key: string;
  /** What was attempted: `pixel` and one `name@sha` per learned model loaded. A rerun re-measures rows missing one. */
  attempted: string[];
  /** Metric values; NaN where not measured. Indexed like METRIC_COLUMNS. */
  values: Float64Array;
  /** The `measure_error` cell ('' when fine). */
  error: string;
}

export const STORE_COLUMNS = ['key', 'attempted', ...METRIC_COLUMNS, 'measure_error'] as const;

const COLUMN_INDEX = new Map<MetricColumn, number>(METRIC_COLUMNS.map((c, i) => [c, i]));

/** A row's value for one metric column (undefined when not measured). */
export function valueOf(row: MeasuredRow, column: MetricColumn): number | undefined {
  const v = row.values[COLUMN_INDEX.get(column)!];
  return Number.isFinite(v) ? v : undefined;
}

/** Builds a row from named values. */
export function measuredRow(key: string, attempted: string[], values: Partial<Record<MetricColumn, number>>, error: string): MeasuredRow {
  const array = new Float64Array(METRIC_COLUMNS.length).fill(NaN);
  for (const [column, value] of Object.entries(values)) {
    if (value !== undefined && Number.isFinite(value)) array[COLUMN_INDEX.get(column as MetricColumn)!] = value;
  }
  return { key, attempted, values: array, error };
}

/**
 * The append-only log of measured rows (DIR/.semibench-measure.csv). Rows are appended and fsynced per batch, so
 * a kill loses at most the batch in flight; on reopen a torn last line is cut off. A key may appear more than
 * once (a row re-measured after a model was added): the last record wins. Memory: one small record per key.
 */
export class MeasuredStore {
  private readonly fd: number;
  /** The latest record per key. */
  readonly latest = new Map<string, MeasuredRow>();

  private constructor(readonly file: string, fresh: boolean) {
    this.fd = openSync(file, existsSync(file) && !fresh ? 'r+' : 'w+');
  }

  /** Opens (or with `fresh`, empties) the log and loads what it holds. */
  static async open(file: string, options: { fresh?: boolean } = {}): Promise<MeasuredStore> {
    const store = new MeasuredStore(file, options.fresh ?? false);
    dropTornLine(store.fd);
    if (fstatSync(store.fd).size === 0) {
      writeSync(store.fd, csvText([STORE_COLUMNS], DATA_FILE));
      fsyncSync(store.fd);
      return store;
    }
    const check = (columns: string[]) => {
      if (columns.join(',') !== STORE_COLUMNS.join(',')) {
        throw new UserError(`${file} was written by another version of measure (columns differ). Rerun with --fresh to start over.`, 'E_DATA');
      }
    };
    for await (const { record } of readCsvRecords(file, check)) {
      const values: Partial<Record<MetricColumn, number>> = {};
      for (const column of METRIC_COLUMNS) values[column] = parseValue(record[column]);
      store.latest.set(record.key, measuredRow(record.key, record.attempted ? record.attempted.split(';') : [], values, record.measure_error));
    }
    return store;
  }

  /** Appends rows and makes them durable before returning. */
  append(rows: readonly MeasuredRow[]): void {
    if (rows.length === 0) return;
    const text = csvText(
      rows.map((r) => [r.key, r.attempted.join(';'), ...METRIC_COLUMNS.map((c) => formatValue(valueOf(r, c))), r.error]),
      DATA_FILE,
    );
    writeSync(this.fd, text, fstatSync(this.fd).size);
    fsyncSync(this.fd);
    for (const r of rows) this.latest.set(r.key, r);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** A kill during a write can leave a line without its newline: cut it so the file stays valid CSV. */
function dropTornLine(fd: number): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  const chunk = Buffer.alloc(Math.min(size, 1 << 16));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const n = readSync(fd, chunk, 0, end - start, start);
    const i = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (i >= 0) {
      if (start + i + 1 < size) ftruncateSync(fd, start + i + 1);
      return;
    }
    end = start;
  }
  ftruncateSync(fd, 0);
}
