/**
 * xoshiro128** (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c): a small, fast, seedable
 * 32-bit generator. Same seed, same stream, on every platform. The 128-bit state is filled from a 32-bit seed
 * by four steps of splitmix32 (a Weyl sequence, 0x9e3779b9 increments, through murmur3's fmix32), so nearby
 * seeds give unrelated streams. tools/parity/make_metric_goldens.py reimplements both, bit for bit.
 */
export class Xoshiro128 {
  // a typed array keeps the words unboxed int32 (plain fields flip between small ints and heap numbers)
  private readonly s = new Int32Array(4);

  /** From a seed (any integer; reduced mod 2³²), or from an explicit 4-word state (for test vectors). */
  constructor(seed: number | readonly [number, number, number, number]) {
    if (typeof seed === 'number') {
      if (!Number.isInteger(seed)) throw new RangeError(`seed is ${seed}; expected an integer`);
      let x = seed >>> 0;
      const next = (): number => {
        x = (x + 0x9e3779b9) >>> 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
        return (z ^ (z >>> 16)) >>> 0;
      };
      seed = [next(), next(), next(), next()];
    }
    this.s.set(seed.map((w) => w | 0));
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1; // the all-zero state is a fixed point
  }

  /** The next uniform 32-bit unsigned integer. */
  nextUint32(): number {
    return this.step() >>> 0;
  }

  /** The top 31 bits of the next output: a uniform integer in [0, 2³¹), always a small integer in V8. */
  nextUint31(): number {
    return this.step() >>> 1;
  }

  /**
   * A uniform integer in [0, n), n <= 2³¹, without modulo bias: x = nextUint31(); draws at or above the largest
   * multiple of n under 2³¹ are redrawn (at most one in two, usually far fewer); the result is x mod n.
   * 31 bits keep every intermediate a small integer, which V8 divides several times faster than a double.
   */
  nextBelow(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x80000000) throw new RangeError(`n is ${n}; expected an integer in [1, 2^31]`);
    const limit = 0x80000000 - (0x80000000 % n);
    for (;;) {
      const x = this.nextUint31();
      if (x < limit) return x % n;
    }
  }

  /** One xoshiro128** step; returns the output as a signed 32-bit integer. */
  private step(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9);
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A seeded stream of uniform floats in [0, 1), for procedural fixtures and tests. */
export function uniform(seed: number): () => number {
  const rng = new Xoshiro128(seed);
  return () => rng.nextUint32() / 4294967296;
}
