import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadConfig } from '../config/index.js';
import type { BenchConfig } from '../config/schema.js';
import { importPredictions, parsePredictionsArg } from '../reports/import-predictions.js';
import { buildReport } from '../reports/report.js';
import { writeAtomic } from '../reports/csv.js';
import { reportHtml } from '../reports/report-html.js';
import { wroteLines } from '../reports/summary-md.js';
import { writeReport } from '../reports/write.js';
import { lockRunFolder, type RunFolderLock } from '../runner/run-folder.js';
import { UserError } from '../util/errors.js';
import type { ReportArgs } from './report.js';

/** `semibench report` (src/cli/report.ts: the flags). */
export async function reportAction(args: ReportArgs): Promise<void> {
  const config = await loadConfig(args.config, { threshold: args.threshold }); // checks the policy before any file is read
  const runDir = args.run ?? args.out;
  if (!runDir) throw new UserError('Name the run folder: `semibench report RUN_DIR` (with --predictions, the folder the import goes to).', 'E_USAGE');
  const locks = lockFolders(runDir, args.out);
  try {
    await writeRunReport(args, runDir, config);
  } finally {
    for (const lock of locks) lock.release();
  }
}

/**
 * A report reads RUN_DIR (and may import into it) and writes OUT: one writer per folder, as for `semibench run`,
 * so a report while a run writes either folder is refused in one line instead of reading half-written predictions.
 * A folder not there yet has no run in it (and is not made here: a mistyped RUN_DIR stays an error, not a folder).
 */
function lockFolders(runDir: string, out?: string): RunFolderLock[] {
  const dirs = [...new Set([resolve(runDir), resolve(out ?? runDir)])].filter((dir) => existsSync(dir));
  const locks: RunFolderLock[] = [];
  try {
    for (const dir of dirs) locks.push(lockRunFolder(dir));
  } catch (error) {
    for (const lock of locks) lock.release();
    throw error;
  }
  return locks;
}

async function writeRunReport(args: ReportArgs, runDir: string, config: BenchConfig): Promise<void> {
  if (args.html) {
    if (args.predictions?.length) throw new UserError('--html redraws report.html from an existing results.json: it takes no --predictions.', 'E_USAGE');
    const { htmlFromRunFolder } = await import('../reports/html/index.js'); // vega only when asked
    const html = await htmlFromRunFolder(resolve(runDir));
    const file = join(resolve(args.out ?? runDir), 'report.html');
    writeAtomic(file, html.html);
    console.log(`${html.figures} figures in ${html.renderMs} ms\nOpen the report: ${relative(process.cwd(), file)}`);
    return;
  }
  if (args.predictions?.length) {
    if (!args.data) throw new UserError('--predictions needs --data: the eval set the predictions were made on.', 'E_USAGE');
    // The import writes RUN_DIR/predictions.csv: never over the predictions a `semibench run` made there.
    if (existsSync(join(resolve(runDir), 'run.json'))) {
      throw new UserError(`${runDir} holds a semibench run (run.json); importing would replace its predictions.csv. Import into another folder.`, 'E_USAGE');
    }
    const imported = importPredictions(args.predictions.map(parsePredictionsArg), join(resolve(runDir), 'predictions.csv'), { score: args.score });
    for (const s of imported) {
      const notes = [`${s.rows} rows`, s.format === 'notebook' ? `score = ${s.scoreColumn}` : 'semibench format'];
      if (s.noPrediction) notes.push(`${s.noPrediction} without a prediction (counted as errors)`);
      if (s.disagreements) notes.push(`${s.disagreements} rows where prediction != (probability >= 0.5); --score prediction reproduces the notebook exactly`);
      console.error(`imported ${s.file} as ${s.detector}: ${notes.join(', ')}`);
    }
  }
  if (!args.data && !existsSync(join(resolve(runDir), 'run.json'))) {
    throw new UserError(`${runDir} has no run.json saying which eval set it scored: pass --data DIR.`, 'E_USAGE');
  }
  const slices = args.slices?.split(',').map((s) => s.trim()).filter(Boolean);
  const report = await buildReport({
    runDir,
    config,
    dataDir: args.data,
    threshold: args.threshold,
    slices,
    resamples: args.resamples,
    ciBudget: args['ci-budget'],
    notebook: args.notebook,
  });
  const written = writeReport(report, resolve(args.out ?? runDir), { notebook: args.notebook, escapeFormulas: args['csv-escape-formulas'], html: await reportHtml(report) });
  console.log(written.summary);
  if (written.notebook) console.log(written.notebook);
  console.log(wroteLines(written.files).join('\n'));
}
