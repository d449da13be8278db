import { describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../src/metrics/index.js';
import { expectClose, golden } from './goldens.js';

const wilson = golden<{ cases: { k: number; n: number; lo: number; hi: number }[] }>('wilson.json');

describe('Wilson score interval', () => {
  it('equals statsmodels proportion_confint(method="wilson") (tests/goldens/metrics/wilson.json)', () => {
    for (const c of wilson.cases) {
      const got = wilsonInterval(c.k, c.n);
      expectClose(got.lo, c.lo, `${c.k}/${c.n} lo`);
      expectClose(got.hi, c.hi, `${c.k}/${c.n} hi`);
    }
    expect(wilson.cases.length).toBeGreaterThan(5);
  });

  it('never has zero width, and rejects impossible counts', () => {
    const { lo, hi } = wilsonInterval(8, 8);
    expect(hi).toBe(1);
    expect(lo).toBeLessThan(0.7);
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(0, 0)).toThrow(RangeError);
  });
});
