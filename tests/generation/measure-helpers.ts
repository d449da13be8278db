import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { measure, type MeasureOptions, type MeasureResult } from '../../src/generation/measure.js';
import { evalsetTable } from '../../src/generation/table.js';
import { tempDir } from '../helpers.js';

/** A CSV as header + records (all text). */
export function readCsv(file: string): { columns: string[]; rows: Record<string, string>[] } {
  const rows = parse(readFileSync(file), { columns: true, bom: true }) as Record<string, string>[];
  const [header] = parse(readFileSync(file), { to_line: 1 }) as string[][];
  return { columns: header, rows };
}

export function writeCsv(file: string, columns: string[], rows: Record<string, string>[]): void {
  writeFileSync(file, stringify(rows.map((r) => columns.map((c) => r[c] ?? '')), { header: true, columns }));
}

/**
 * Measures an Evalset folder with no metric models (pixel metrics only) and no BRISQUE unless told otherwise: the
 * fixture is built with --no-brisque, and these tests are about the other columns (BRISQUE: brisque-measure.test.ts).
 */
export function measureEvalset(dir: string, options: Partial<MeasureOptions> = {}): Promise<MeasureResult> {
  return measure({ table: evalsetTable(dir), metricsDir: join(tempDir('semibench-nomodels-'), 'metrics'), noBrisque: true, ...options });
}
