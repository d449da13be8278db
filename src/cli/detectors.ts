import type { CommandModule } from 'yargs';
import { loadConfig } from '../config/index.js';
import { modelPath } from '../detectors/adapter.js';
import { listDetectors, weightsPresent } from '../detectors/registry.js';
import { configOptions } from './options.js';

interface ListArgs {
  config?: string;
  'models-dir'?: string;
  json?: boolean;
}

const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'Show every known detector, whether its weights are present, and what kind of score it gives',
  builder: (y) => y.option('config', configOptions.config).option('models-dir', configOptions['models-dir']).option('json', { type: 'boolean' }),
  handler: async (args) => {
    const config = await loadConfig(args.config, { modelsDir: args['models-dir'] });
    const rows = listDetectors(config).map((e) => ({
      name: e.manifest.name,
      origin: e.origin,
      weights: weightsPresent(e, config.modelsDir) ? 'present' : 'missing',
      path: modelPath(e.manifest, config.modelsDir) ?? e.manifest.model.path,
      score: e.manifest.provenance.calibrated ? 'probability' : 'uncalibrated baseline',
      description: e.manifest.description,
    }));
    if (args.json) {
      console.log(JSON.stringify(rows, null, 2));
      return;
    }
    for (const r of rows) {
      console.log(`${r.name.padEnd(30)} ${r.origin.padEnd(8)} ${r.weights.padEnd(8)} ${r.score}`);
      console.log(`${''.padEnd(30)} ${r.description}`);
      if (r.weights === 'missing') console.log(`${''.padEnd(30)} weights expected at ${r.path}`);
    }
  },
};

export const detectorsCommand: CommandModule = {
  command: 'detectors <command>',
  describe: 'List, check and add detectors',
  builder: (y) => y.command(listCommand).demandCommand(1),
  handler: () => {},
};
