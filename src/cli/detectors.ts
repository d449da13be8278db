import type { CommandModule } from 'yargs';
import { configOptions } from './options.js';

export interface ListArgs {
  config?: string;
  'models-dir'?: string;
  json?: boolean;
}

const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'Show every known detector, whether its weights are present, and what kind of score it gives',
  builder: (y) => y.option('config', configOptions.config).option('models-dir', configOptions['models-dir']).option('json', { type: 'boolean' }),
  handler: async (args) => (await import('./detectors-action.js')).listAction(args),
};

export interface CheckArgs {
  name: string;
  image?: string;
  protocol?: string;
  config?: string;
  'models-dir'?: string;
}

const checkCommand: CommandModule<object, CheckArgs> = {
  command: 'check <name>',
  describe: 'Load a detector (sha256, input/output names and shapes), score one image and print the result',
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true })
      .option('image', { type: 'string', describe: 'Image to score (default: the first image of the configured data)' })
      .option('protocol', configOptions.protocol)
      .option('config', configOptions.config)
      .option('models-dir', configOptions['models-dir']),
  handler: async (args) => (await import('./detectors-action.js')).checkAction(args),
};

export interface AddArgs {
  name: string;
  onnx?: string;
  config?: string;
  force?: boolean;
}

const addCommand: CommandModule<object, AddArgs> = {
  command: 'add <name>',
  describe: 'Scaffold a manifest (and a test) for a new detector in the manifests folder',
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true })
      .option('onnx', { type: 'string', describe: 'The exported ONNX file: fills path, sha256 and I/O names' })
      .option('force', { type: 'boolean', describe: 'Overwrite an existing manifest' })
      .option('config', configOptions.config),
  handler: async (args) => (await import('./detectors-action.js')).addAction(args),
};

// Each subcommand's work (onnxruntime, sharp, the loaders) is imported only when it runs: `detectors --help` and
// `detectors list --help` need none of it.
export const detectorsCommand: CommandModule = {
  command: 'detectors <command>',
  describe: 'List, check and add detectors',
  builder: (y) => y.command(listCommand).command(checkCommand).command(addCommand).demandCommand(1),
  handler: () => {},
};
