import type { CommandModule } from 'yargs';
import { configOptions } from './options.js';

export interface MergeArgs {
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
  // The merge and the report (sharp through the run identity) are imported only when it runs: `merge --help` needs none.
  handler: async (args) => (await import('./merge-action.js')).mergeAction(args),
};
