import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { RunStopped, UserError } from '../util/errors.js';
import { fileSystemUserError } from '../util/fs.js';

/** A command as `semibench --help` lists it; its module is imported only when that command is used. */
interface LazyCommand {
  command: string;
  describe: string;
  load: () => Promise<CommandModule<any, any>>;
}

/**
 * Every command, one line each. `--help` and `--version` import none of the modules (so neither onnxruntime nor
 * sharp): the listing comes from here, and tests/cli/cli.test.ts checks it against each module's own.
 */
export const COMMANDS: readonly LazyCommand[] = [
  { command: 'run', describe: 'Score every sample with each detector, then write per-slice reports', load: async () => (await import('./run.js')).runCommand },
  { command: 'merge <run>', describe: 'Join the shards of a run (semibench run --shard i/n) into predictions.csv and run.json, then write the reports', load: async () => (await import('./merge.js')).mergeCommand },
  { command: 'report [run]', describe: "Re-slice a run's saved predictions (no model is run): per-slice CSVs, results.json, summary.md, report.html", load: async () => (await import('./report.js')).reportCommand },
  { command: 'compare <a> [b]', describe: 'Per-slice differences B − A between two runs, or two stress conditions of one run, with 95% intervals; writes compare.csv', load: async () => (await import('./compare.js')).compareCommand },
  { command: 'detectors <command>', describe: 'List, check and add detectors', load: async () => (await import('./detectors.js')).detectorsCommand },
  { command: 'preprocess <image>', describe: 'Write the float32 NCHW tensor a detector would receive for IMAGE (.npy), to diff against PyTorch', load: async () => (await import('./preprocess.js')).preprocessCommand },
  { command: 'measure', describe: "Fill an eval set's change-metric, QC and bin columns (rewrites its metadata.csv; resumable)", load: async () => (await import('./measure.js')).measureCommand },
  { command: 'generate [stage]', describe: 'Regenerate an eval set from source photos + masks: perturb labels, inpaint, assemble, measure (resumable)', load: async () => (await import('./generate.js')).generateCommand },
];

/** The semibench CLI: yargs wiring only; each command lives in its own file. */
export async function main(argv: string[]): Promise<void> {
  // --version alone needs no argument parser either (yargs is a good part of start-up: bench/startup.ts)
  if (argv.length === 1 && argv[0] === '--version') {
    console.log(packageVersion());
    return;
  }
  try {
    const { default: yargs } = await import('yargs');
    // Only the command being run is imported; the others are listed by name.
    const word = argv.find((a) => !a.startsWith('-'));
    const chosen = COMMANDS.find((c) => c.command.split(' ')[0] === word);
    const commands = await Promise.all(COMMANDS.map(async (c) => (c === chosen ? c.load() : { command: c.command, describe: c.describe, handler: () => {} })));
    await yargs(argv)
      .command(commands)
      .scriptName('semibench')
      .usage('$0 <command> [options]\n\nStress-test AI-generated-image detectors on Semi-Truths-style eval sets.')
      .demandCommand(1, 'Name a command (see --help).')
      .strict()
      .recommendCommands()
      .help()
      .version(packageVersion())
      .fail((message, error, y) => {
        if (error) throw error;
        console.error(`${y.help()}\n\n${message}`);
        process.exit(2);
      })
      .parseAsync();
  } catch (error) {
    if (error instanceof RunStopped) {
      console.error(`semibench: ${error.message}`);
      process.exitCode = 3;
      return;
    }
    const userError = error instanceof UserError ? error : fileSystemUserError(error);
    if (userError) {
      console.error(`semibench: ${userError.message}`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}

function packageVersion(): string {
  // src/cli/ and dist/cli/ are both two folders below the package root
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
