import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../config/index.js';
import { problemLines } from '../loaders/archives.js';
import { buildReport } from '../reports/report.js';
import { wroteLines } from '../reports/summary-md.js';
import { reportHtml } from '../reports/report-html.js';
import { writeReport } from '../reports/write.js';
import { mergeShards } from '../runner/merge.js';
import { lockRunFolder } from '../runner/run-folder.js';
import { UserError } from '../util/errors.js';
import type { MergeArgs } from './merge.js';

/** `semibench merge` (src/cli/merge.ts: the flags). */
export async function mergeAction(args: MergeArgs): Promise<void> {
  const config = await loadConfig(args.config, {});
  const out = resolve(args.run);
  if (!existsSync(out)) throw new UserError(`Run folder not found: ${out}`, 'E_USAGE');
  // The merged files and the report go into the run folder: one writer there, as for `semibench run`.
  const lock = lockRunFolder(out);
  try {
    const merged = await mergeShards(out, { data: args.data });
    const report = await buildReport({ runDir: out, config });
    const written = writeReport(report, out, { html: await reportHtml(report) });
    console.log(written.summary);
    console.log(`\nmerged ${merged.shards} shards: ${merged.samples} samples, ${merged.rows} rows`);
    if (merged.problems) console.log(problemLines(merged.problems).join('\n'));
    console.log([...wroteLines([merged.predictionsFile, merged.runJson, ...written.files])].join('\n'));
  } finally {
    lock.release();
  }
}
