import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { PreprocessOp, ResampleFilter } from '../image/ops.js';
import { UserError } from '../util/errors.js';
import { validateManifest, type DetectorManifest } from './manifest.js';
import { SEMITRUTHS_PROTOCOL } from './zoo/protocols.js';

/** PIL resample codes as transformers writes them in preprocessor_config.json. */
const PIL_RESAMPLE: Record<number, ResampleFilter> = { 0: 'nearest', 1: 'lanczos', 2: 'bilinear', 3: 'bicubic', 4: 'box', 5: 'hamming' };
/** Label names that mean "generated" in Hugging Face detector configs. */
const FAKE_LABEL = /fake|artificial|\bai\b|ai[-_ ]?generated|generated|synthetic|machine/i;

/** True when a folder looks like a Hugging Face model exported to ONNX. */
export function isHfFolder(dir: string): boolean {
  return ['config.json', 'preprocessor_config.json', 'onnx/model.onnx'].every((f) => existsSync(join(dir, f)));
}

/**
 * Builds a detector manifest from a Hugging Face model folder (config.json, preprocessor_config.json,
 * onnx/model.onnx), the way transformers' image processors preprocess: resize with the PIL filter named by
 * `resample` (`size.height/width` exact, or `shortest_edge` with the long side truncated), optional centre
 * crop (`crop_size`, or ConvNeXt's `crop_pct`) with transformers' flooring offsets (`centerCropFloor`), rescale
 * 1/255, normalize. The fake class is the id2label entry that names a generated image; several detectors put it
 * at index 0.
 */
export function manifestFromHfFolder(dir: string, name = basename(dir)): DetectorManifest {
  const read = (file: string) => {
    try {
      return JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch (error) {
      throw new UserError(`${join(dir, file)}: ${(error as Error).message}`, 'E_MANIFEST');
    }
  };
  const config = read('config.json');
  const processor = read('preprocessor_config.json');
  const labels: Record<string, string> = config.id2label ?? {};
  const fake = Object.entries(labels).filter(([, label]) => FAKE_LABEL.test(label));
  if (fake.length !== 1) {
    throw new UserError(
      `${join(dir, 'config.json')}: cannot tell which id2label entry is the fake class (${JSON.stringify(labels)}). ` +
        'Write a JSON manifest with output.fakeIndex instead (semibench detectors add).',
      'E_MANIFEST',
    );
  }
  const numLabels = Object.keys(labels).length;
  const manifest = {
    name,
    description: `Hugging Face ${config.architectures?.[0] ?? config.model_type ?? 'model'} from ${dir}; fake = "${fake[0][1]}" (index ${fake[0][0]})`,
    model: { path: join(dir, 'onnx/model.onnx'), input: 'pixel_values', output: 'logits' },
    protocols: { native: hfOps(processor, join(dir, 'preprocessor_config.json')), semitruths: SEMITRUTHS_PROTOCOL },
    output: numLabels === 1 ? { type: 'logit', threshold: 0.5 } : { type: 'softmax', fakeIndex: Number(fake[0][0]), threshold: 0.5 },
    provenance: { weights: dir, calibrated: true, notes: 'Read from the folder config files.' },
  };
  return validateManifest(manifest, dir);
}

function hfOps(p: Record<string, any>, file: string): PreprocessOp[] {
  const ops: PreprocessOp[] = [];
  const filter = PIL_RESAMPLE[p.resample ?? 2];
  const size = p.size ?? {};
  if (p.do_resize !== false) {
    if (size.height && size.width) ops.push({ op: 'pilResize', width: size.width, height: size.height, filter });
    else if (size.shortest_edge && p.crop_pct !== undefined) {
      // ConvNextImageProcessor: below 384, resize the short side to shortest_edge / crop_pct, then crop.
      const edge = size.shortest_edge;
      if (edge < 384) ops.push({ op: 'resize', size: Math.trunc(edge / p.crop_pct), filter }, { op: 'centerCropFloor', size: edge });
      else ops.push({ op: 'pilResize', width: edge, height: edge, filter });
    } else if (size.shortest_edge) ops.push({ op: 'resize', size: size.shortest_edge, filter });
    else if (typeof p.size === 'number') ops.push({ op: 'pilResize', width: p.size, height: p.size, filter });
    else throw new UserError(`${file}: size ${JSON.stringify(p.size)} is not understood`, 'E_MANIFEST');
  }
  if (p.do_center_crop) {
    const crop = p.crop_size ?? {};
    const [h, w] = typeof crop === 'number' ? [crop, crop] : [crop.height, crop.width];
    if (!h || !w) throw new UserError(`${file}: crop_size ${JSON.stringify(p.crop_size)} is not understood`, 'E_MANIFEST');
    ops.push({ op: 'centerCropFloor', size: [h, w] });
  }
  if (p.do_rescale === false) throw new UserError(`${file}: do_rescale false (0..255 inputs) is not supported`, 'E_MANIFEST');
  if (p.rescale_factor !== undefined && Math.abs(p.rescale_factor - 1 / 255) > 1e-12) {
    throw new UserError(`${file}: rescale_factor ${p.rescale_factor} is not 1/255; only 1/255 is supported`, 'E_MANIFEST');
  }
  ops.push({ op: 'toTensor' });
  if (p.do_normalize !== false && p.image_mean) ops.push({ op: 'normalize', mean: p.image_mean, std: p.image_std });
  return ops;
}
