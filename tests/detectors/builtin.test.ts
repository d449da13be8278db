import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDetector, type Detector } from '../../src/detectors/adapter.js';
import { nprResidualManifest, NPR_RESIDUAL_GAIN } from '../../src/detectors/builtin/npr-residual.js';
import { spectralHfManifest } from '../../src/detectors/builtin/spectral-hf.js';
import { decodeImage } from '../../src/image/decode.js';
import type { RgbImage } from '../../src/image/types.js';
import { uniform } from '../../src/util/random.js';
import { tempDir } from '../helpers.js';

const load = (manifest: typeof nprResidualManifest): Promise<Detector> => loadDetector(manifest, { modelsDir: tempDir() });

function noise(width: number, height: number, seed: number): RgbImage {
  const rand = uniform(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rand() * 256)) };
}

/** Each 2x2 cell repeats its top-left pixel: what a nearest-neighbour 2x upsampler leaves. */
function upsampledNearest(img: RgbImage): RgbImage {
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++)
      for (let c = 0; c < 3; c++) data[(y * img.width + x) * 3 + c] = img.data[((y & ~1) * img.width + (x & ~1)) * 3 + c];
  return { ...img, data };
}

/** Plain-TS reference of the npr-residual statistic, written from its definition. */
function nprReference(img: RgbImage): number {
  const { width: w, height: h } = img;
  const y = (r: number, c: number) => {
    const i = (r * w + c) * 3;
    return (0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2]) / 255;
  };
  const mean = (pairs: [number, number, number, number][]) => pairs.reduce((s, [a, b, c, d]) => s + Math.abs(y(a, b) - y(c, d)), 0) / pairs.length;
  const pairs = (horizontal: boolean, start: number) => {
    const out: [number, number, number, number][] = [];
    for (let r = 0; r < h; r++)
      for (let c = 0; c < w; c++) {
        const [r2, c2] = horizontal ? [r, c - 1] : [r - 1, c];
        const along = horizontal ? c : r;
        const end = horizontal ? w : h;
        if (along >= start && along % 2 === start % 2 && r2 >= 0 && c2 >= 0 && (start === 1 || along < end - 1)) out.push([r, c, r2, c2]);
      }
    return out;
  };
  const within = mean(pairs(true, 1)) + mean(pairs(false, 1));
  const across = mean(pairs(true, 2)) + mean(pairs(false, 2));
  const logit = NPR_RESIDUAL_GAIN * Math.log((across + 1e-6) / (within + 1e-6));
  return 1 / (1 + Math.exp(-logit));
}

describe('npr-residual (weight-free)', () => {
  it('scores a 2x nearest-upsampled image as fake and i.i.d. noise near 0.5', async () => {
    const d = await load(nprResidualManifest);
    const base = noise(64, 48, 1);
    const [up, plain] = await d.score([await d.prepare(upsampledNearest(base)), await d.prepare(base)]);
    expect(up).toBeGreaterThan(0.99);
    expect(Math.abs(plain - 0.5)).toBeLessThan(0.1);
    await d.close();
  });

  it('equals a plain-TS reference of its definition, and crops odd sizes to even', async () => {
    const d = await load(nprResidualManifest);
    for (const [w, h, seed] of [[32, 32, 2], [47, 31, 3]]) {
      const img = noise(w, h, seed);
      const [score] = await d.score([await d.prepare(img)]);
      const even = { width: w & ~1, height: h & ~1, data: new Uint8Array((w & ~1) * (h & ~1) * 3) };
      for (let r = 0; r < even.height; r++) even.data.set(img.data.subarray(r * w * 3, r * w * 3 + even.width * 3), r * even.width * 3);
      expect(score).toBeCloseTo(nprReference(even), 5);
    }
    await d.close();
  });
});

describe('spectral-hf (weight-free)', () => {
  /** Logits from tools/parity/make_spectral_goldens.py: NumPy's FFT and frequency grid, written from the definition. */
  const golden: { logits: Record<string, number> } = JSON.parse(readFileSync('tests/goldens/spectral/expected.json', 'utf8'));

  it('equals the NumPy statistic on noise, a smooth image and a 2x upsampled one, and ranks white noise above smooth', async () => {
    const d = await load(spectralHfManifest);
    const names = Object.keys(golden.logits);
    expect(names).toEqual(['white', 'smooth', 'upsampled']);
    const tensors = await Promise.all(names.map(async (n) => d.prepare(await decodeImage(`tests/goldens/spectral/${n}.png`))));
    const scores = await d.score(tensors);
    // float32 DFT in the graph vs float64 in NumPy: logits agree to 2e-5, and to 1e-3 where the upsampled image
    // has exact spectral zeros (log of float32 round-off there).
    names.forEach((n, i) => expect(Math.log(scores[i] / (1 - scores[i]))).toBeCloseTo(golden.logits[n], 2));
    expect(scores[0]).toBeGreaterThan(scores[1]);
    await d.close();
  });
});

describe('npr-residual below its minimum size', () => {
  it('refuses images without two neighbouring 2x2 cells (the ratio would be 0/0), scores 4x4', async () => {
    const detector = await load(nprResidualManifest);
    try {
      for (const [w, h] of [[2, 2], [3, 3], [8, 3]]) {
        await expect(detector.prepare(noise(w, h, 1))).rejects.toThrow(`image ${w}x${h} is smaller than the 4x4 that 'npr-residual' needs`);
      }
      const [score] = await detector.score([await detector.prepare(noise(4, 4, 1))]);
      expect(score).toBeGreaterThan(1e-6);
      expect(score).toBeLessThan(1 - 1e-6);
    } finally {
      await detector.close();
    }
  });
});
