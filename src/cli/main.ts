import yargs from 'yargs';
import { UserError } from '../util/errors.js';
import { compareCommand } from './compare.js';
import { detectorsCommand } from './detectors.js';
import { generateCommand } from './generate.js';
import { measureCommand } from './measure.js';
import { preprocessCommand } from './preprocess.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';

/** The semibench CLI: yargs wiring only; each command lives in its own file. */
export async function main(argv: string[]): Promise<void> {
  try {
    await yargs(argv)
      .scriptName('semibench')
      .usage('$0 <command> [options]\n\nStress-test AI-generated-image detectors on Semi-Truths-style eval sets.')
      .command(runCommand)
      .command(reportCommand)
      .command(compareCommand)
      .command(detectorsCommand)
      .command(preprocessCommand)
      .command(measureCommand)
      .command(generateCommand)
      .demandCommand(1, 'Name a command (see --help).')
      .strict()
      .recommendCommands()
      .help()
      .version(false)
      .fail((message, error, y) => {
        if (error) throw error;
        console.error(`${y.help()}\n\n${message}`);
        process.exit(2);
      })
      .parseAsync();
  } catch (error) {
    if (error instanceof UserError) {
      console.error(`semibench: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}
