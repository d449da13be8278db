import { createHash } from 'node:crypto';
import type { RgbImage } from './types.js';

/**
 * Additive Gaussian noise, defined exactly (docs/stress-conditions.md) so numpy reproduces it
 * (tools/parity/make_condition_goldens.py):
 * - state0 = the first 4 bytes, big-endian, of sha256(`${imageKey}:${seed}`) as a uint32;
 * - uniform k (k = 0, 1, ...) is mulberry32 at counter k: a = state0 + (k+1)·0x6D2B79F5 mod 2³²,
 *   t = imul(a ^ a>>>15, a | 1); t ^= t + imul(t ^ t>>>7, t | 61); u = (t ^ t>>>14) / 2³²;
 * - Box-Muller on uniforms (2j, 2j+1): r = sqrt(-2·ln(1 - u₁)), z₂ⱼ = r·cos(2πu₂), z₂ⱼ₊₁ = r·sin(2πu₂);
 * - sample i of the HWC bytes: out = clip(floor(v + sigma·255·zᵢ + 0.5), 0, 255).
 * Seeding by the image's own bytes gives an image the same noise in every run, shard or order.
 */
export function gaussianNoise(img: RgbImage, sigma: number, imageKey: string, seed = 0): RgbImage {
  if (!(sigma > 0 && Number.isFinite(sigma))) throw new Error(`noise: sigma must be a finite number > 0, got ${sigma}`);
  const state0 = createHash('sha256').update(`${imageKey}:${seed}`).digest().readUInt32BE(0);
  const uniform = (k: number): number => {
    const a = (state0 + Math.imul(k + 1, 0x6d2b79f5)) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const scale = sigma * 255;
  const n = img.data.length;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - uniform(i)));
    const theta = 2 * Math.PI * uniform(i + 1);
    data[i] = clip(Math.floor(img.data[i] + scale * r * Math.cos(theta) + 0.5));
    if (i + 1 < n) data[i + 1] = clip(Math.floor(img.data[i + 1] + scale * r * Math.sin(theta) + 0.5));
  }
  return { width: img.width, height: img.height, data };
}

const clip = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);
