import { centerCropFloor } from './crop.js';
import { pilResize, resizedOutputSize } from './resize.js';
import { normalize } from './tensor.js';
import type { Chw, RgbImage } from './types.js';
import type { ResampleFilter } from './ops.js';

export interface HfProcessorOnTensor {
  shortestEdge: number;
  crop: number;
  filter?: ResampleFilter;
  mean: number[];
  std: number[];
}

/**
 * A Hugging Face image processor (BitImageProcessor: resize shortest edge → center_crop → rescale 1/255 →
 * normalize) run on a float tensor that was already preprocessed, as run_1.py's DINOv2 branch did: it passed its
 * normalised, clamped tensor to `processor(images=in_tens)`. transformers (>= 4.37) then
 * 1. decides whether to rescale for PIL (`_rescale_for_pil_conversion`): integer-valued arrays (np.allclose to
 *    `astype(int)`) are taken as 0–255 as they are, arrays in [0, 1] are multiplied by 255, anything else is a
 *    ValueError;
 * 2. casts to uint8 by truncation (`astype(np.uint8)` of the float32 product), resizes with PIL, and divides by
 *    255 again (`rescale(1/255)`) only if it multiplied;
 * 3. crops (`(H - h) // 2`), multiplies by 1/255 a second time (do_rescale), and normalises in float32.
 * So the detector sees values near `(x / 255² − mean) / std`: an almost constant image. Kept, named, to reproduce
 * the paper's DINOv2 numbers. Goldens: tools/parity/make_dinov2_run1_goldens.py.
 */
export function hfProcessorOnTensor(t: Chw, op: HfProcessorOnTensor): Chw {
  if (t.channels !== 3) throw new Error(`hfProcessorOnTensor: needs 3 channels, got ${t.channels}`);
  const { width, height, data } = t;
  let integral = true;
  let unit = true;
  for (const v of data) {
    const whole = Math.trunc(v);
    if (!(Math.abs(v - whole) <= 1e-8 + 1e-5 * Math.abs(whole))) integral = false; // np.allclose(a, a.astype(int))
    if (!(v >= 0 && v <= 1)) unit = false;
  }
  if (integral && !data.every((v) => v >= 0 && v <= 255)) throw new Error('hfProcessorOnTensor: integer values outside 0..255 (transformers raises ValueError)');
  if (!integral && !unit) throw new Error('hfProcessorOnTensor: values outside [0, 1] (transformers cannot convert them to a PIL image: ValueError)');
  const rescale = !integral;
  // HWC uint8: astype(uint8) truncates the float32 value (×255 first when rescaling).
  const plane = width * height;
  const u8 = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const v = data[c * plane + i];
      u8[i * 3 + c] = Math.trunc(rescale ? Math.fround(v * 255) : v);
    }
  }
  const [h, w] = resizedOutputSize(height, width, op.shortestEdge);
  const resized: RgbImage = pilResize({ width, height, data: u8 }, w, h, op.filter ?? 'bicubic');
  const cropped = centerCropFloor(resized, op.crop);
  // resize's own rescale(1/255) when it multiplied, then do_rescale's: each a float64 product stored as float32.
  const scale = 1 / 255;
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.fround((rescale ? Math.fround(v * scale) : v) * scale);
  const out = new Float32Array(cropped.width * cropped.height * 3);
  const outPlane = cropped.width * cropped.height;
  for (let i = 0; i < outPlane; i++) for (let c = 0; c < 3; c++) out[c * outPlane + i] = lut[cropped.data[i * 3 + c]];
  return normalize({ channels: 3, width: cropped.width, height: cropped.height, data: out }, op.mean, op.std);
}
