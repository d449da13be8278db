import type { Chw, RgbImage } from './types.js';

/**
 * torchvision 0.14 `F.to_tensor`: HWC uint8 → CHW float32, `img.to(float32).div(255)`.
 * A true float32 division (checked against torch: multiplying by fround(1/255) differs on 126 of 256 values).
 */
export function toTensor(img: RgbImage): Chw {
  return toTensorThrough(img, byteValues());
}

/**
 * What `toTensor` gives each byte value in each channel, as a 3-channel 1 × 256 tensor (channel c, column v:
 * `v / 255`). Running per-value tensor ops (Normalize, Clamp) on it gives the table {@link toTensorThrough} reads.
 */
export function byteValues(): Chw {
  const data = new Float32Array(3 * 256);
  for (let v = 0; v < 256; v++) data[v] = data[256 + v] = data[512 + v] = v / 255; // the store rounds the double quotient once
  return { channels: 3, height: 1, width: 256, data };
}

/**
 * `toTensor` followed by per-value ops in one pass over the image: after ToTensor each channel's value depends only
 * on its byte, so ops that map each value on its own (Normalize, Clamp) are run once on {@link byteValues} and
 * give `table`; the image is then mapped through it. Same float32 bits as running the ops on the whole tensor,
 * without a full-size array per op.
 */
export function toTensorThrough(img: RgbImage, table: Chw): Chw {
  if (table.channels !== 3 || table.height !== 1 || table.width !== 256) {
    throw new Error(`toTensorThrough: the table must be 3 x 1 x 256 (byteValues()), got ${table.channels} x ${table.height} x ${table.width}`);
  }
  return chwFromTable(img, table.data);
}

/**
 * torchvision 0.14 `F.normalize`: `tensor.sub_(mean).div_(std)` with mean and std cast to float32.
 * Each float32 op is emulated by a double op then one rounding, which is exact for + - * /.
 */
export function normalize(t: Chw, mean: readonly number[], std: readonly number[]): Chw {
  checkMeanStd(t.channels, mean, std);
  const plane = t.height * t.width;
  const data = new Float32Array(t.data.length);
  for (let c = 0; c < t.channels; c++) {
    const m = Math.fround(mean[c]);
    const s = Math.fround(std[c]);
    for (let i = c * plane; i < (c + 1) * plane; i++) data[i] = Math.fround(t.data[i] - m) / s;
  }
  return { ...t, data };
}

/** `normalize(toTensor(img), mean, std)` in one pass and the same float32 values (see {@link toTensorThrough}). */
export function toNormalizedTensor(img: RgbImage, mean: readonly number[], std: readonly number[]): Chw {
  return toTensorThrough(img, normalize(byteValues(), mean, std));
}

function checkMeanStd(channels: number, mean: readonly number[], std: readonly number[]): void {
  if (mean.length !== channels || std.length !== channels) {
    throw new Error(`normalize: mean and std need ${channels} values, got ${mean.length} and ${std.length}`);
  }
  if (std.some((s) => s === 0)) throw new Error('normalize: std contains 0 (division by zero)');
}

/** HWC bytes → CHW float32 through a per-channel table (`table[c * 256 + byte]`). */
function chwFromTable(img: RgbImage, table: Float32Array): Chw {
  const { width, height } = img;
  const plane = width * height;
  const data = new Float32Array(plane * 3);
  const src = img.data;
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    data[i] = table[src[j]];
    data[plane + i] = table[256 + src[j + 1]];
    data[2 * plane + i] = table[512 + src[j + 2]];
  }
  return { channels: 3, height, width, data };
}

/** `torch.clamp(x, min, max)`. */
export function clamp(t: Chw, min: number, max: number): Chw {
  const lo = Math.fround(min);
  const hi = Math.fround(max);
  const data = new Float32Array(t.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = t.data[i];
    data[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return { ...t, data };
}
