import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { applyCondition, parseCondition } from '../conditions/index.js';
import type { CommandModule } from 'yargs';
import { loadConfig } from '../config/index.js';
import { listDetectors, selectDetectors } from '../detectors/registry.js';
import { decodeImage } from '../image/decode.js';
import { preprocess } from '../image/pipeline.js';
import { UserError } from '../util/errors.js';
import { unknownNameMessage } from '../util/suggest.js';
import { encodeNpy } from '../util/npy.js';
import { configOptions } from './options.js';

interface PreprocessArgs {
  image: string;
  detector: string;
  protocol?: string;
  out: string;
  config?: string;
  condition?: string;
}

/** Writes the exact input tensor a detector receives for one image, to diff against a PyTorch pipeline. */
export const preprocessCommand: CommandModule<object, PreprocessArgs> = {
  command: 'preprocess <image>',
  describe: "Write the float32 NCHW tensor a detector would receive for IMAGE (.npy), to diff against PyTorch",
  builder: (y) =>
    y
      .positional('image', { type: 'string', demandOption: true })
      .option('detector', { type: 'string', demandOption: true, describe: 'Detector name' })
      .option('protocol', configOptions.protocol)
      .option('out', { type: 'string', demandOption: true, describe: 'Output .npy file' })
      .option('config', configOptions.config)
      .option('condition', { type: 'string', describe: 'Stress condition applied after decode, as `run --condition` does (jpeg:75, blur:1, ...)' })
      .example('$0 preprocess cat.jpg --detector cnnspot-blur-jpg-0.1 --protocol semitruths --out cat.npy', 'then numpy.load("cat.npy")'),
  handler: async (args) => {
    const config = await loadConfig(args.config);
    const [entry] = selectDetectors([args.detector], listDetectors(config));
    const protocol = args.protocol ?? config.protocol;
    const ops = entry.manifest.protocols[protocol];
    if (!ops) throw new UserError(unknownNameMessage(`protocol for '${entry.manifest.name}'`, protocol, Object.keys(entry.manifest.protocols)));
    const condition = parseCondition(args.condition ?? '');
    // decodeImage reads only a regular file (a FIFO or device is refused) and says why it could not.
    const decoded = await decodeImage(args.image);
    // the image hash seeds random conditions, as the run's cache_key does
    const imageKey = condition.steps.some((s) => s.op === 'noise') ? createHash('sha256').update(readFileSync(args.image)).digest('hex').slice(0, 16) : '';
    const tensor = await preprocess(await applyCondition(decoded, condition, imageKey), ops);
    const shape = [1, tensor.channels, tensor.height, tensor.width];
    writeFileSync(args.out, encodeNpy(tensor.data, shape));
    const applied = condition.steps.length ? `condition ${condition.name}, then ` : '';
    console.log(`${args.out}: float32 [${shape.join(', ')}], ${applied}protocol ${protocol}: ${ops.map((o) => o.op).join(' → ')}`);
  },
};
