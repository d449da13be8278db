import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureOutputFolder } from '../util/fs.js';
import { writeAtomic } from './csv.js';
import { notebookMarkdown, notebookTables } from './notebook-tables.js';
import type { Report } from './report.js';
import { writeResultsJson } from './results-json.js';
import { writeSliceCsvs } from './slice-csv.js';
import { writeSummary } from './summary-md.js';
import { writeRobustnessCsv } from './robustness.js';
import { isAlive } from '../util/process.js';

/** What writeReport wrote, and the Markdown to print. */
export interface WrittenReport {
  files: string[];
  summary: string;
  notebook?: string;
}

/** The report's files and folder in `outDir`; everything else there (predictions.csv, run.json) is not the report's. */
const REPORT_ENTRIES = ['slices', 'results.json', 'summary.md', 'notebook.md', 'report.html'];
const STAGING_PREFIX = '.semibench-report-';
/** Left in `outDir` only when a process died while swapping the new report in. */
export const INCOMPLETE_MARKER = 'REPORT-INCOMPLETE.txt';

/**
 * Writes a report into `outDir`: slices/<slice>.csv (one per slice), results.json, summary.md, and with
 * `notebook` the Semi-Truths notebook tables as notebook.md, and with `html` report.html (src/reports/html). Text
 * cells of the CSVs that a spreadsheet would run as a formula are neutralised unless `escapeFormulas` is false
 * (see reports/csv.ts).
 *
 * The files are written to a staging folder inside `outDir` first and renamed into place only when all exist,
 * so a report that fails or is killed while writing leaves the previous report whole (and no staging folder, or
 * one the next write removes). The swap itself is a few renames; a kill inside it leaves INCOMPLETE_MARKER.
 * Files of the previous report that this one does not write (a slice no longer configured, notebook.md without
 * `notebook`) are removed, so every report file in `outDir` comes from one report.
 */
export function writeReport(report: Report, outDir: string, opts: { notebook?: boolean; escapeFormulas?: boolean; html?: string } = {}): WrittenReport {
  ensureOutputFolder(outDir);
  removeStaleStaging(outDir);
  const stage = join(outDir, `${STAGING_PREFIX}${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  try {
    const files = writeSliceCsvs(stage, report.slices.map((s) => s.name), report.rows, { escapeFormulas: opts.escapeFormulas ?? true });
    const curves = writeRobustnessCsv(stage, report.robustness);
    if (curves) files.push(curves);
    files.push(writeResultsJson(stage, report));
    const summary = writeSummary(stage, report);
    files.push(summary.file);
    let notebook: string | undefined;
    if (opts.notebook) {
      notebook = notebookMarkdown(notebookTables(report.meta, report.scores.detectors, report.thresholds));
      const file = join(stage, 'notebook.md');
      writeAtomic(file, notebook);
      files.push(file);
    }
    if (opts.html !== undefined) {
      // rendered beforehand (htmlFromReport is async) from this same report
      const file = join(stage, 'report.html');
      writeAtomic(file, opts.html);
      files.push(file);
    }
    swapIn(stage, outDir);
    return { files: files.map((f) => join(outDir, relative(stage, f))), summary: summary.text, notebook };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Moves the old report entries into `stage/old`, then the new ones from `stage` into `outDir`. */
function swapIn(stage: string, outDir: string): void {
  const marker = join(outDir, INCOMPLETE_MARKER);
  writeFileSync(marker, 'A report write was interrupted: the report files here may mix two reports. Rerun `semibench report`.\n');
  const old = join(stage, 'old');
  mkdirSync(old);
  for (const entry of REPORT_ENTRIES) {
    if (existsSync(join(outDir, entry))) renameSync(join(outDir, entry), join(old, entry));
  }
  for (const entry of REPORT_ENTRIES) {
    if (existsSync(join(stage, entry))) renameSync(join(stage, entry), join(outDir, entry));
  }
  rmSync(marker);
}

/** Staging folders of report writes whose process is gone (killed mid-write). */
function removeStaleStaging(outDir: string): void {
  for (const name of readdirSync(outDir)) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const pid = Number(name.slice(STAGING_PREFIX.length));
    if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) continue;
    rmSync(join(outDir, name), { recursive: true, force: true });
  }
}

