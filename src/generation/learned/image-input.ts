import type { PreprocessOp } from '../../image/ops.js';
import { applyImageOps, preprocess } from '../../image/pipeline.js';
import type { Chw, RgbImage } from '../../image/types.js';

/**
 * How an image becomes a metric model's input tensor: the same declarative ops as detector manifests, or
 * (`scale: 'minmax'`) 8-bit ops followed by Semi-Truths' per-image min-max scaling to [-1, 1] for LPIPS.
 */
export interface ImageInputSpec {
  ops: PreprocessOp[];
  scale?: 'minmax';
}

/** Runs the spec on one image. */
export async function prepareImage(image: RgbImage, spec: ImageInputSpec): Promise<Chw> {
  if (spec.scale === 'minmax') return minMaxToSigned(await applyImageOps(image, spec.ops));
  return preprocess(image, spec.ops);
}

/**
 * `Change.normalize_lpips` (SemiTruths/change_metrics/magnitude_change.py) then `permute(2, 0, 1)`:
 * ```
 * scaled = np.array((arr - arr_min) / max(float(arr_range), 1e-6), dtype='f')
 * arr_new = -1 + (scaled * 2)
 * ```
 * over all three channels of the uint8 image at once; float64 division, float32 result (a flat image → all −1).
 */
export function minMaxToSigned(image: RgbImage): Chw {
  const { width, height, data } = image;
  let min = 255;
  let max = 0;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = Math.max(max - min, 1e-6);
  const lut = new Float32Array(256);
  // Each float32 step rounds once; a double op followed by fround gives the same bits for + and /.
  for (let v = min; v <= max; v++) lut[v] = Math.fround(-1 + 2 * Math.fround((v - min) / range));
  const plane = width * height;
  const out = new Float32Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    out[i] = lut[data[i * 3]];
    out[plane + i] = lut[data[i * 3 + 1]];
    out[2 * plane + i] = lut[data[i * 3 + 2]];
  }
  return { channels: 3, height, width, data: out };
}
