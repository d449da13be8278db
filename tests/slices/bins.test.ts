import { describe, expect, it } from 'vitest';
import { binIndex, describeBins, quantiles, quantileSorted, resolveBins } from '../../src/slices/bins.js';
import { countListItems } from '../../src/slices/derived.js';
import { compareValues } from '../../src/slices/value-order.js';
import { uniform } from '../../src/util/random.js';

describe('bins', () => {
  it('quantile3 and quantile5 follow numpy.percentile (linear) on a hand table', () => {
    // 1..9: P25 = 3, P75 = 7; P20 = 2.6, P40 = 4.2, P60 = 5.8, P80 = 7.4
    const v = Float64Array.from([9, 1, 8, 2, 7, 3, 6, 4, 5]);
    expect(resolveBins('quantile3', v)).toEqual({ edges: [3, 7], labels: ['small', 'medium', 'large'] });
    const five = resolveBins('quantile5', v);
    expect(five.labels).toEqual(['bin1', 'bin2', 'bin3', 'bin4', 'bin5']);
    [2.6, 4.2, 5.8, 7.4].forEach((e, i) => expect(five.edges[i]).toBeCloseTo(e, 12));
  });

  it('interpolates like numpy (bit for bit, from the nearer end)', () => {
    // np.percentile(v, 80) = 0.43225696141358877; a + (b - a) * t gives 0.4322569614135888
    const v = [0.10973466400669674, 0.2032415440873966, 0.2838064889441311, 0.36500726350855894, 0.3676995696900066, 0.44839630934448427, 0.7264736103123705];
    expect(quantileSorted(v, 0.8)).toBe(0.43225696141358877);
    expect(quantiles(Float64Array.from(v).reverse(), [0.8])).toEqual([0.43225696141358877]);
  });

  it('quantiles by selection equal quantiles of the sorted values, ties and duplicates included', () => {
    const next = uniform(3);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(next() * 60);
      const v = Float64Array.from({ length: n }, () => Math.round(next() * 8) / 4);
      const at = [0.2, 0.25, 0.4, 0.6, 0.75, 0.8];
      const sorted = Float64Array.from(v).sort();
      expect(quantiles(v, at)).toEqual(at.map((q) => quantileSorted(sorted, q)));
    }
  });

  it('meanStd: low < mean − σ <= medium < mean + σ <= high, population σ', () => {
    const bins = resolveBins('meanStd', Float64Array.from([1, 2, 3, 4, 5]));
    expect(bins.labels).toEqual(['low', 'medium', 'high']);
    expect(bins.edges[0]).toBeCloseTo(3 - Math.sqrt(2), 12);
    expect(bins.edges[1]).toBeCloseTo(3 + Math.sqrt(2), 12);
  });

  it('a value on an edge goes to the upper bin (v < e1 → first, ..., v >= last → last)', () => {
    expect([0.1, 0.2, 0.5, 0.6, 0.9].map((v) => binIndex(v, [0.2, 0.6]))).toEqual([0, 1, 1, 2, 2]);
  });

  it('fixed edges need one label more than edges, and no values make no bins', () => {
    expect(resolveBins({ edges: [1, 2] }, new Float64Array()).labels).toEqual(['bin1', 'bin2', 'bin3']);
    expect(() => resolveBins({ edges: [1], labels: ['a'] }, new Float64Array())).toThrow(/2 labels/);
    expect(resolveBins('quantile3', new Float64Array())).toEqual({ edges: [], labels: [] });
    expect(describeBins({ edges: [0.25, 0.55], labels: ['small', 'medium', 'large'] })).toBe('small < 0.25 <= medium < 0.55 <= large');
  });
});

describe('derived columns and ordering', () => {
  it('counts the items of a Python list string', () => {
    expect(countListItems("['sky', 'grass', 'fence']")).toBe(3);
    expect(countListItems('[]')).toBe(0);
    expect(countListItems("['a, b', \"c's\"]")).toBe(2);
    expect(countListItems('person')).toBe(1);
    expect(countListItems('')).toBeNaN();
    expect(countListItems('nan')).toBeNaN();
  });

  it('orders magnitude words by size, then naturally, (missing) last', () => {
    expect(['large', '(missing)', 'small', 'medium'].sort(compareValues)).toEqual(['small', 'medium', 'large', '(missing)']);
    expect(['high', 'low', 'medium'].sort(compareValues)).toEqual(['low', 'medium', 'high']);
    expect(['bin10', 'bin2', 'bin1'].sort(compareValues)).toEqual(['bin1', 'bin2', 'bin10']);
    expect(['SUN_RGBD', 'ADE20K', 'CelebAHQ'].sort(compareValues)).toEqual(['ADE20K', 'CelebAHQ', 'SUN_RGBD']);
  });
});
