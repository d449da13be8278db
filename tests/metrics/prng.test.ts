import { describe, expect, it } from 'vitest';
import { Xoshiro128 } from '../../src/metrics/index.js';
import { golden } from './goldens.js';

interface PrngGolden {
  state1234: number[];
  seeded: Record<string, number[]>;
  below: { seed: number; n: number; draws: number[] }[];
}
const g = golden<PrngGolden>('prng.json');

describe('xoshiro128** matches the reference (tests/goldens/metrics/prng.json)', () => {
  it('state {1, 2, 3, 4} gives the published first outputs', () => {
    const rng = new Xoshiro128([1, 2, 3, 4]);
    const out = g.state1234.map(() => rng.nextUint32());
    expect(out).toEqual(g.state1234);
    expect(out.slice(0, 4)).toEqual([11520, 0, 5927040, 70819200]);
  });

  it('splitmix32 seeding matches the Python replica', () => {
    for (const [seed, expected] of Object.entries(g.seeded)) {
      const rng = new Xoshiro128(Number(seed));
      expect(expected.map(() => rng.nextUint32()), `seed ${seed}`).toEqual(expected);
    }
  });

  it('bounded draws (with rejection) match the Python replica', () => {
    for (const { seed, n, draws } of g.below) {
      const rng = new Xoshiro128(seed);
      expect(draws.map(() => rng.nextBelow(n)), `seed ${seed}, n ${n}`).toEqual(draws);
    }
  });

  it('rejects a bad bound or seed', () => {
    expect(() => new Xoshiro128(0).nextBelow(0)).toThrow(/n is 0/);
    expect(() => new Xoshiro128(0).nextBelow(2 ** 31 + 1)).toThrow(/2\^31/);
    expect(() => new Xoshiro128(0.5)).toThrow(/seed/);
  });
});
