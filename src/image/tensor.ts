import type { Chw, RgbImage } from './types.js';

/**
 * torchvision 0.14 `F.to_tensor`: HWC uint8 → CHW float32, `img.to(float32).div(255)`.
 * A true float32 division (checked against torch: multiplying by fround(1/255) differs on 126 of 256 values).
 */
export function toTensor(img: RgbImage): Chw {
  const { width, height } = img;
  const plane = width * height;
  const data = new Float32Array(plane * 3);
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = v / 255; // Float32Array store rounds the double quotient once
  for (let i = 0; i < plane; i++) {
    data[i] = lut[img.data[i * 3]];
    data[plane + i] = lut[img.data[i * 3 + 1]];
    data[2 * plane + i] = lut[img.data[i * 3 + 2]];
  }
  return { channels: 3, height, width, data };
}

/**
 * torchvision 0.14 `F.normalize`: `tensor.sub_(mean).div_(std)` with mean and std cast to float32.
 * Each float32 op is emulated by a double op then one rounding, which is exact for + - * /.
 */
export function normalize(t: Chw, mean: readonly number[], std: readonly number[]): Chw {
  if (mean.length !== t.channels || std.length !== t.channels) {
    throw new Error(`normalize: mean and std need ${t.channels} values, got ${mean.length} and ${std.length}`);
  }
  if (std.some((s) => s === 0)) throw new Error('normalize: std contains 0 (division by zero)');
  const plane = t.height * t.width;
  const data = new Float32Array(t.data.length);
  for (let c = 0; c < t.channels; c++) {
    const m = Math.fround(mean[c]);
    const s = Math.fround(std[c]);
    for (let i = c * plane; i < (c + 1) * plane; i++) data[i] = Math.fround(t.data[i] - m) / s;
  }
  return { ...t, data };
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
