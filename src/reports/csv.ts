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

/** How a CSV is written. */
export interface CsvOptions {
  /**
   * Neutralise text cells a spreadsheet would run as a formula (default on for reports; see
   * {@link neutraliseFormula}). Off for data files semibench reads back (predictions.csv, metadata.csv),
   * whose ids must stay byte for byte.
   */
  escapeFormulas: boolean;
}

/** How data files semibench reads back are written: verbatim, so ids join byte for byte. */
export const DATA_FILE: CsvOptions = { escapeFormulas: false };

/** Text that starts a spreadsheet formula (OWASP, CSV Injection): = + - @, a tab or a carriage return. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain decimal number: a spreadsheet reads it as a number, never as a formula. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A text cell made safe to open in a spreadsheet, as OWASP recommends: a leading `'` makes Excel, LibreOffice
 * and Google Sheets show the text instead of evaluating it (`=HYPERLINK(...)` stays text). Plain numbers
 * such as `-0.5` are left alone: they cannot run anything.
 */
export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/**
 * The one CSV writer: rows of cells to RFC 4180 text (quoted where needed). Numbers are formatted by
 * {@link formatNumber}; text is written as is, or neutralised with `escapeFormulas`.
 */
export function csvText(rows: readonly (readonly unknown[])[], opts: CsvOptions): string {
  return stringify(rows.map((row) => row.map((v) => (typeof v === 'string' ? (opts.escapeFormulas ? neutraliseFormula(v) : v) : formatNumber(v)))));
}

/** Writes rows as a report CSV with a fixed column order, atomically (a kill never leaves half a file). */
export function writeCsv<T extends object>(file: string, rows: T[], columns: (keyof T & string)[], opts: CsvOptions = { escapeFormulas: true }): void {
  writeAtomic(file, csvText([columns, ...rows.map((r) => columns.map((c) => r[c]))], opts));
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
