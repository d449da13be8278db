import { describe, expect, it } from 'vitest';
import { cv2LabelOrder, labelComponents } from '../../../src/generation/change/components.js';
import { removeSmallObjects } from '../../../src/generation/change/remove-small-objects.js';
import { dilateSquare } from '../../../src/generation/change/dilate.js';
import { seededUniform, naiveComponents } from './helpers.js';

function fromRows(rows: string[]): { data: Uint8Array; width: number; height: number } {
  const width = rows[0].length;
  const data = new Uint8Array(width * rows.length);
  rows.forEach((r, y) => [...r].forEach((ch, x) => (data[y * width + x] = ch === '#' ? 1 : 0)));
  return { data, width, height: rows.length };
}

describe('labelComponents (8-connectivity)', () => {
  it('joins diagonal neighbours and separates gaps', () => {
    const { data, width, height } = fromRows(['#..#.', '.#..#', '....#', '#....']);
    const cc = labelComponents(data, width, height);
    expect(cc.count).toBe(3);
    expect([...cc.area]).toEqual([2, 3, 1]);
    // cv2 centroids: mean x, mean y.
    expect([cc.sumX[1] / cc.area[1], cc.sumY[1] / cc.area[1]]).toEqual([11 / 3, 1]);
  });

  it('handles U shapes that merge late (union of labels)', () => {
    const { data, width, height } = fromRows(['#.#.#', '#.#.#', '#####']);
    const cc = labelComponents(data, width, height);
    expect(cc.count).toBe(1);
    expect(cc.area[0]).toBe(11);
  });

  it('agrees with a flood fill on random images', () => {
    const rand = seededUniform(7);
    for (const [w, h, p] of [[37, 23, 0.3], [64, 64, 0.45], [1, 50, 0.5], [50, 1, 0.5], [101, 77, 0.6]] as const) {
      const data = Uint8Array.from({ length: w * h }, () => (rand() < p ? 1 : 0));
      const cc = labelComponents(data, w, h);
      const ref = naiveComponents(data, w, h);
      expect(cc.count).toBe(ref.length);
      // Both number components by first pixel in raster order.
      expect([...cc.area]).toEqual(ref.map((c) => c.area));
      expect([...cc.sumX]).toEqual(ref.map((c) => c.sumX));
      expect([...cc.sumY]).toEqual(ref.map((c) => c.sumY));
    }
  });
});

describe('cv2LabelOrder', () => {
  it('numbers components by first 2x2 block, as OpenCV 4.6 does', () => {
    // cv2.connectedComponentsWithStats on this image labels (1,0) → 1, (0,4) → 2, (2,2) → 3, (3,7) → 4
    // (checked with python3-opencv 4.6), while raster order would put (0,4) first.
    const data = new Uint8Array(4 * 8);
    for (const [r, c] of [[1, 0], [0, 4], [3, 7], [2, 2]]) data[r * 8 + c] = 1;
    const cc = labelComponents(data, 8, 4);
    const firstPixel = (k: number) => cc.labels.indexOf(k + 1);
    const byRaster = [0, 1, 2, 3].map((k) => [Math.floor(firstPixel(k) / 8), firstPixel(k) % 8]);
    expect(byRaster).toEqual([[0, 4], [1, 0], [2, 2], [3, 7]]);
    expect([...cv2LabelOrder(cc)]).toEqual([2, 1, 3, 4]);
  });
});

describe('removeSmallObjects', () => {
  it('drops components strictly smaller than min_size (8-connected)', () => {
    const { data, width, height } = fromRows(['##...#', '.#...#', '.....#', '#.....']);
    const { kept } = removeSmallObjects(data, width, height, 3);
    expect([...kept]).toEqual([...fromRows(['##...#', '.#...#', '.....#', '......']).data]);
  });
});

describe('dilateSquare', () => {
  it('matches a brute-force 11x11 max filter clipped at the border', () => {
    const rand = seededUniform(3);
    for (const [w, h, p] of [[40, 30, 0.01], [7, 9, 0.05], [64, 3, 0.02]] as const) {
      const data = Uint8Array.from({ length: w * h }, () => (rand() < p ? 1 : 0));
      const got = dilateSquare(data, w, h, 11);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let any = 0;
          for (let dy = -5; dy <= 5; dy++) {
            for (let dx = -5; dx <= 5; dx++) {
              const yy = y + dy, xx = x + dx;
              if (yy >= 0 && yy < h && xx >= 0 && xx < w && data[yy * w + xx]) any = 1;
            }
          }
          expect(got[y * w + x]).toBe(any);
        }
      }
    }
  });
});
