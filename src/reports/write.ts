import { join } from 'node:path';
import { writeAtomic } from './csv.js';
import { notebookMarkdown, notebookTables } from './notebook-tables.js';
import type { Report } from './report.js';
import { writeResultsJson } from './results-json.js';
import { writeSliceCsvs } from './slice-csv.js';
import { writeSummary } from './summary-md.js';

/** What writeReport wrote, and the Markdown to print. */
export interface WrittenReport {
  files: string[];
  summary: string;
  notebook?: string;
}

/**
 * Writes a report into `outDir`: slices/<slice>.csv (one per slice), results.json, summary.md, and with
 * `notebook` the Semi-Truths notebook tables as notebook.md. Text cells of the CSVs that a spreadsheet would run as
 * a formula are neutralised unless `escapeFormulas` is false (see reports/csv.ts).
 */
export function writeReport(report: Report, outDir: string, opts: { notebook?: boolean; escapeFormulas?: boolean } = {}): WrittenReport {
  const files = writeSliceCsvs(outDir, report.slices.map((s) => s.name), report.rows, { escapeFormulas: opts.escapeFormulas ?? true });
  files.push(writeResultsJson(outDir, report));
  const summary = writeSummary(outDir, report);
  files.push(summary.file);
  let notebook: string | undefined;
  if (opts.notebook) {
    notebook = notebookMarkdown(notebookTables(report.meta, report.scores.detectors, report.thresholds));
    const file = join(outDir, 'notebook.md');
    writeAtomic(file, notebook);
    files.push(file);
  }
  return { files, summary: summary.text, notebook };
}
