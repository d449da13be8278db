import { describe, expect, it } from 'vitest';
import {
  ChangeMetricError,
  classifyLocalization,
  LOCALIZATION_PARAMS,
  maskAreaRatio,
  meanClusters,
  measurePair,
  pixelMse,
  ssimRgb,
} from '../../../src/generation/change/index.js';
import { changeRegions } from '../../../src/generation/change/change-regions.js';
import { NumpySum, numpySum, pairwiseSum } from '../../../src/generation/change/pairwise-sum.js';
import type { RgbImage } from '../../../src/image/types.js';
import { seededUniform } from './helpers.js';

function noise(width: number, height: number, seed: number): RgbImage {
  const rand = seededUniform(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rand() * 256)) };
}

describe('numpy summation order', () => {
  it('pairwiseSum groups like numpy (8 accumulators, blocks of 128, halves on multiples of 8)', () => {
    // Values chosen so that grouping changes the float result: 1e16 absorbs 1s added one at a time.
    const a = new Float64Array(16).fill(1);
    a[0] = 1e16;
    // numpy: r0..r7 = a[0..7]; r_j += a[8+j]; ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)).
    const r = [1e16 + 1, 2, 2, 2, 2, 2, 2, 2];
    expect(pairwiseSum(a)).toBe(((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7])));
  });

  it('the streaming NumpySum equals numpySum over a stored array, across 8192-element buffers', () => {
    const rand = seededUniform(11);
    for (const n of [0, 5, 130, 8192, 8193, 20_000, 262_144]) {
      const a = Float64Array.from({ length: n }, () => rand() * 1e3);
      const s = new NumpySum();
      for (const v of a) s.add(v);
      expect(s.sum()).toBe(numpySum(a));
    }
  });
});

describe('pixelMse', () => {
  it('normalises by 255²·3 and thresholds per pixel at 0.1', () => {
    // One pixel of 2: a change of (81, 81, 81) → 19683 / 195075 ≈ 0.1009 > 0.1; (80, 80, 81) → 19361 → 0.0992.
    const real: RgbImage = { width: 2, height: 1, data: new Uint8Array([0, 0, 0, 0, 0, 0]) };
    const edited: RgbImage = { width: 2, height: 1, data: new Uint8Array([81, 81, 81, 80, 80, 81]) };
    const { mean, changed } = pixelMse(real, edited);
    expect([...changed]).toEqual([1, 0]);
    expect(mean).toBe((19683 / 195075 + 19361 / 195075) / 2);
  });
});

describe('ssimRgb', () => {
  it('is 1 for identical images and symmetric', () => {
    const a = noise(23, 17, 1);
    const b = noise(23, 17, 2);
    expect(ssimRgb(a, a)).toBe(1);
    expect(ssimRgb(a, b)).toBeCloseTo(ssimRgb(b, a), 15);
  });

  it('refuses images under 5x5 like skimage', () => {
    expect(() => ssimRgb(noise(4, 9, 1), noise(4, 9, 2))).toThrow(ChangeMetricError);
  });
});

describe('changeRegions', () => {
  function grid(cols: number, rows: number, blob: number, pitch: number) {
    const width = cols * pitch + 16, height = rows * pitch + 16;
    const mask = new Uint8Array(width * height);
    for (let gy = 0; gy < rows; gy++) for (let gx = 0; gx < cols; gx++) {
      for (let y = 0; y < blob; y++) for (let x = 0; x < blob; x++) mask[(8 + gy * pitch + y) * width + 8 + gx * pitch + x] = 1;
    }
    return { mask, width, height };
  }

  it('drops specks under 10 px, dilates 11x11 and keeps regions of 200 px or more', () => {
    // 3x3 specks (9 px) vanish; 4x4 (16 px) dilate to 14x14 = 196 < 200 and vanish; 5x5 dilate to 15x15 = 225.
    for (const [blob, kept] of [[3, 0], [4, 0], [5, 225]] as const) {
      const { mask, width, height } = grid(1, 1, blob, 16);
      expect(changeRegions(mask, width, height).totalPixels).toBe(kept);
    }
  });

  it("loses the region cv2 labels 256 to the authors' np.uint8(labels) wrap", () => {
    // 300 separate 15x15 regions after dilation: cv2 labels 1..300, label 256 wraps to 0 (background).
    const { mask, width, height } = grid(20, 15, 5, 16);
    const r = changeRegions(mask, width, height);
    expect(r.ccClusters).toBe(300); // 299 regions + background
    expect(r.totalPixels).toBe(299 * 225);
    expect(r.postEditRatio).toBe((299 * 225) / (width * height));
  });
});

describe('measurePair', () => {
  it('reports no change for identical images', () => {
    const a = noise(40, 30, 3);
    expect(measurePair(a, a)).toEqual({
      mse: 0, ssim: 1, postEditRatio: 0, largestComponentSize: 0, ccClusters: 1, clusterDist: -1, totalPixels: 0, resized: false,
    });
  });

  it('resizes an edited image of another size and says so', () => {
    const m = measurePair(noise(40, 30, 3), noise(47, 33, 4));
    expect(m.resized).toBe(true);
  });

  it('rejects a buffer that does not match its size', () => {
    const bad: RgbImage = { width: 10, height: 10, data: new Uint8Array(299) };
    expect(() => measurePair(noise(10, 10, 1), bad)).toThrow(/edited image: expected 10x10x3 = 300 bytes/);
  });
});

describe('maskAreaRatio', () => {
  it('counts grey pixels >= 128 (the pixels diffusers repaints), not every non-zero one', () => {
    const data = new Uint8Array(20);
    data[0] = 255;
    data[3] = 128;
    data[7] = 127;
    data[9] = 1;
    expect(maskAreaRatio({ width: 5, height: 4, data })).toBe(2 / 20);
  });

  it("reduces RGB masks with Pillow's L conversion before the threshold", () => {
    // (128,128,127): L = round(127.97) = 128, counted; (255,0,0): L = 76, not counted; (0,255,0): L = 150, counted.
    const data = new Uint8Array([128, 128, 127, 255, 0, 0, 0, 255, 0, 0, 0, 0]);
    expect(maskAreaRatio({ width: 2, height: 2, data })).toBe(2 / 4);
  });

  it('refuses a mask whose size differs from its image', () => {
    const mask = { width: 5, height: 4, data: new Uint8Array(20) };
    expect(() => maskAreaRatio(mask, { width: 4, height: 5 })).toThrow(/mask is 5x4 but its image is 4x5/);
    try {
      maskAreaRatio(mask, { width: 4, height: 5 });
    } catch (e) {
      expect((e as ChangeMetricError).code).toBe('E_MASK_SIZE');
    }
  });
});

describe('classifyLocalization', () => {
  const row = (largestComponentSize: number, ccClusters: number, clusterDist: number) => ({ largestComponentSize, ccClusters, clusterDist });

  it('diffused when the largest region exceeds 20% of 512²', () => {
    const limit = 0.2 * 512 * 512;
    expect(classifyLocalization([row(limit, 1, -1), row(limit + 1, 1, -1)])).toEqual(['localized', 'diffused']);
  });

  it('diffused when there are more clusters than the mean AND they are spread past 0.25·512·√2', () => {
    const far = LOCALIZATION_PARAMS.distThreshold + 1e-9;
    const rows = [row(10, 2, -1), row(10, 4, far), row(10, 4, 150), row(10, 3, far)];
    expect(meanClusters(rows)).toBe(3.25);
    expect(classifyLocalization(rows)).toEqual(['localized', 'diffused', 'localized', 'localized']);
    // The authors' mean came from another set: it can be passed in.
    expect(classifyLocalization(rows, { meanClusters: 2 })).toEqual(['localized', 'diffused', 'localized', 'diffused']);
  });

  it('treats NaN like pandas does (comparisons false → localized) and leaves it out of the mean', () => {
    const rows = [row(Number.NaN, Number.NaN, Number.NaN), row(10, 2, 300), row(10, 4, 300)];
    expect(meanClusters(rows)).toBe(3);
    expect(classifyLocalization(rows)).toEqual(['localized', 'localized', 'diffused']);
  });
});
