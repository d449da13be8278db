import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/image/decode.js';
import { classifyLocalization, meanClusters, measurePair } from '../../../src/generation/change/index.js';
import type { PairMetrics } from '../../../src/generation/change/index.js';

// Produced by tools/parity/make_change_goldens.py from the authors' own code (skimage 0.19.3, OpenCV 4.6, Pillow 9.4).
const dir = fileURLToPath(new URL('../../goldens/change/', import.meta.url));
const expected = JSON.parse(readFileSync(dir + 'expected.json', 'utf8')) as Golden;

interface GoldenPair {
  name: string;
  real: string;
  edited: string;
  width: number;
  height: number;
  edited_width: number;
  edited_height: number;
  mse: number;
  ssim: number;
  post_edit_ratio: number;
  largest_component_size: number;
  cc_clusters: number;
  cluster_dist: number;
  total_pixels: number;
  localization: string;
}
interface Golden {
  mean_cc_clusters: number;
  pairs: GoldenPair[];
}

const TOL = 1e-6;

async function measure(p: GoldenPair): Promise<PairMetrics> {
  const [real, edited] = await Promise.all([decodeImage(dir + p.real), decodeImage(dir + p.edited)]);
  expect([edited.width, edited.height]).toEqual([p.edited_width, p.edited_height]);
  return measurePair(real, edited);
}

describe('change metrics match Semi-Truths (magnitude_change.py) on the parity goldens', () => {
  const results = new Map<string, PairMetrics>();

  for (const p of expected.pairs) {
    it(p.name, async () => {
      const m = await measure(p);
      results.set(p.name, m);
      // Pixel and component counts: exact.
      expect(m.totalPixels).toBe(p.total_pixels);
      expect(m.largestComponentSize).toBe(p.largest_component_size);
      expect(m.ccClusters).toBe(p.cc_clusters);
      expect(m.resized).toBe(p.width !== p.edited_width || p.height !== p.edited_height);
      // Floats: within 1e-6 (in practice bit-identical or within a few ulps).
      expect(Math.abs(m.mse - p.mse)).toBeLessThanOrEqual(TOL);
      expect(Math.abs(m.ssim - p.ssim)).toBeLessThanOrEqual(TOL);
      expect(Math.abs(m.postEditRatio - p.post_edit_ratio)).toBeLessThanOrEqual(TOL);
      expect(Math.abs(m.clusterDist - p.cluster_dist)).toBeLessThanOrEqual(TOL);
    });
  }

  it('localization over the whole golden set (mean cc_clusters of the set)', async () => {
    const rows = await Promise.all(expected.pairs.map((p) => results.get(p.name) ?? measure(p)));
    expect(meanClusters(rows)).toBe(expected.mean_cc_clusters);
    expect(classifyLocalization(rows)).toEqual(expected.pairs.map((p) => p.localization));
  });
});
