import type { RankedScores } from '../metrics/index.js';

/**
 * Buffers for building groups, reused from one group to the next: at 9 M prediction rows, fresh arrays per
 * group cost more in allocation and page faults than the metrics themselves.
 */
export class GroupScratch {
  private buffers = new Map<string, Uint8Array | Int32Array | Float64Array>();

  /** A buffer of at least `n` elements (contents undefined), grown as needed. */
  u8(name: string, n: number): Uint8Array {
    return this.get(name, n, Uint8Array);
  }

  i32(name: string, n: number): Int32Array {
    return this.get(name, n, Int32Array);
  }

  f64(name: string, n: number): Float64Array {
    return this.get(name, n, Float64Array);
  }

  private get<T extends Uint8Array | Int32Array | Float64Array>(name: string, n: number, Type: new (n: number) => T): T {
    let b = this.buffers.get(name) as T | undefined;
    if (!b || b.length < n) {
      b = new Type(Math.max(n, Math.ceil((b?.length ?? 0) * 1.5)));
      this.buffers.set(name, b);
    }
    return b.subarray(0, n) as T;
  }
}

/** RankedScores of rows that are already sorted by descending score. */
export function rankedInOrder(labels: Uint8Array, scores: Float64Array, scratch: GroupScratch = new GroupScratch()): RankedScores {
  const n = scores.length;
  const order = scratch.i32('rank.order', n);
  const groupOf = scratch.i32('rank.groupOf', n);
  const ends = scratch.i32('rank.ends', n);
  const values = scratch.f64('rank.values', n);
  let g = -1;
  for (let j = 0; j < n; j++) {
    order[j] = j;
    if (j === 0 || scores[j] !== scores[j - 1]) values[++g] = scores[j];
    groupOf[j] = g;
    ends[g] = j + 1;
  }
  return { order, sortedLabels: labels, groupEnd: ends.subarray(0, g + 1), groupScore: values.subarray(0, g + 1), groupOf };
}
