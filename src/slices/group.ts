import type { RankedScores } from '../metrics/index.js';

/** A group's rows in a detector's rank order: score, pair code and WIN code (DetectorView's ranked columns). */
export interface GroupRows {
  score: Float64Array;
  pair: Int32Array;
  win: Uint8Array;
}

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

/** A slice's groups, each a contiguous run in rank order: group g is `[start[g], start[g+1])` of every array. */
export interface SliceGroups {
  start: Int32Array;
  /** The detector's rank positions of the rows. */
  positions: Int32Array;
  /** Their ranked columns, copied out so that each group's pass reads memory in order. */
  rows: GroupRows;
}

/**
 * Splits a detector's rank positions into one slice's groups by their codes (code + 1, 0 = none, at
 * `codes[offset + k]` for position k), keeping rank order within each group, and copies each row's ranked
 * score, pair and WIN code beside its position: a counting sort that reads the codes and the ranked columns
 * in order. The arrays are `scratch`'s (valid until the next call).
 */
export function groupSlice(
  codes: ArrayLike<number>,
  offset: number,
  groups: number,
  view: { rankedScore: Float64Array; rankedPair: Int32Array; rankedWin: Uint8Array },
  scratch: GroupScratch,
): SliceGroups {
  const n = view.rankedScore.length;
  const count = new Int32Array(groups + 1);
  for (let k = 0; k < n; k++) count[codes[offset + k]]++;
  const start = new Int32Array(groups + 1);
  for (let g = 0; g < groups; g++) start[g + 1] = start[g] + count[g + 1];
  const fill = new Int32Array(groups + 1);
  fill.set(start.subarray(0, groups), 1);
  const total = start[groups];
  const positions = scratch.i32('slice.positions', total);
  const score = scratch.f64('slice.score', total);
  const pair = scratch.i32('slice.pair', total);
  const win = scratch.u8('slice.win', total);
  const { rankedScore, rankedPair, rankedWin } = view;
  for (let k = 0; k < n; k++) {
    const c = codes[offset + k];
    if (c === 0) continue;
    const at = fill[c]++;
    positions[at] = k;
    score[at] = rankedScore[k];
    pair[at] = rankedPair[k];
    win[at] = rankedWin[k];
  }
  return { start, positions, rows: { score, pair, win } };
}
