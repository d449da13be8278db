import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadConfig } from '../config/index.js';
import { buildReport } from '../reports/report.js';
import { wroteLines } from '../reports/summary-md.js';
import { reportHtml } from '../reports/report-html.js';
import { writeReport } from '../reports/write.js';
import { mergeShards } from '../runner/merge.js';
import { lockRunFolder } from '../runner/run-folder.js';
import { UserError } from '../util/errors.js';
import { configOptions } from './options.js';

interface MergeArgs {
  run: string;
  config?: string;
  data?: string;
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <run>',
  describe: 'Join the shards of a run (semibench run --shard i/n) into predictions.csv and run.json, then write the reports',
  builder: (y) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'Run folder the shards wrote into (--out of each shard)' })
      .option('config', configOptions.config)
      .option('data', { type: 'string', describe: "Eval set folder, when it is mounted elsewhere here than on the shards (default: shard 0's)" })
      .example('$0 merge runs/full', 'after every `semibench run --shard I/N --out runs/full` finished'),
  handler: async (args) => {
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
      console.log([...wroteLines([merged.predictionsFile, merged.runJson, ...written.files])].join('\n'));
    } finally {
      lock.release();
    }
  },
};
