import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'csv-stringify/sync';

/** Numbers in reports: 6 significant decimals, blank for null/NaN, so files diff cleanly across runs. */
export function formatNumber(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'number') return String(value);
  if (!Number.isFinite(value)) return '';
  return Number.isInteger(value) ? String(value) : value.toFixed(6);
}

/** Writes rows as CSV with a fixed column order, atomically (a kill never leaves half a file). */
export function writeCsv<T extends object>(file: string, rows: T[], columns: (keyof T & string)[]): void {
  const text = stringify(rows.map((r) => columns.map((c) => formatNumber(r[c]))), { header: true, columns });
  writeAtomic(file, text);
}

/** Writes a file through a temporary name and a rename. */
export function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true }); // a full disk must not leave a half-written temp file behind
    // A failed write(2) carries no path: name the file, so the user sees where the disk was full.
    if (!(error as NodeJS.ErrnoException).path) Object.assign(error as object, { path: file });
    throw error;
  }
}
