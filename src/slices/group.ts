import type { PairedSet, RankedScores } from '../metrics/index.js';
import { WIN, type DetectorView } from './detector-view.js';

/**
 * One slice group of one detector as the metrics take it: rows already in score order (from the detector's
 * single ranking, split by partitionRanks), so no group is ever sorted again. Its arrays may live in a
 * {@link GroupScratch}: valid until the next group is built on the same scratch.
 */
export interface Group {
  /** The detector's rank positions of the group's rows (ascending = highest score first). */
  positions: Int32Array;
  labels: Uint8Array;
  scores: Float64Array;
  /** Source image (pair code) of each row. */
  pairs: Int32Array;
  /** The ranking metrics' rankScores would compute for labels/scores (identity order); built on first use. */
  readonly ranked: RankedScores;
  nReal: number;
  nFake: number;
  /** The group's fakes with a scored source real, plus those reals once each: paired AUC and 2AFC. */
  paired: PairedGroup;
}

/** A metrics PairedSet plus where its rows come from. */
export interface PairedGroup extends PairedSet {
  /** Pair code of each set row (fakes first, then reals). */
  pairCodes: Int32Array;
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

/**
 * Gathers a group's labels, scores and pairs from the detector's rank-ordered arrays (positions ascend, so
 * memory is read in order), and builds its paired set. Without a scratch, the group owns fresh arrays.
 */
export function buildGroup(view: DetectorView, positions: Int32Array, scratch: GroupScratch = new GroupScratch()): Group {
  const n = positions.length;
  const { rankedLabel, rankedScore, rankedPair } = view;
  const labels = scratch.u8('labels', n);
  const scores = scratch.f64('scores', n);
  const pairs = scratch.i32('pairs', n);
  let nFake = 0;
  for (let k = 0; k < n; k++) {
    const at = positions[k];
    const y = rankedLabel[at];
    labels[k] = y;
    scores[k] = rankedScore[at];
    pairs[k] = rankedPair[at];
    nFake += y;
  }
  let ranked: RankedScores | undefined;
  return {
    positions,
    labels,
    scores,
    pairs,
    get ranked() {
      return (ranked ??= rankedInOrder(labels, scores, scratch));
    },
    nReal: n - nFake,
    nFake,
    paired: pairedGroup(view, positions, labels, scores, pairs, nFake, scratch),
  };
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


/**
 * The paired set (metrics/paired.ts semantics): the group's fakes whose source real has a score, in rank
 * order, then each of those reals once, in rank order; ranked by merging the two lists (ties: fakes first,
 * i.e. lower set index first, as rankScores would).
 */
function pairedGroup(
  view: DetectorView,
  positions: Int32Array,
  labels: Uint8Array,
  scores: Float64Array,
  pairs: Int32Array,
  fakes: number,
  scratch: GroupScratch,
): PairedGroup {
  const { realScoreOfPair, realRankOfPair, realPairsDesc, rankedWin, meta } = view;
  const cap = fakes + Math.min(fakes, realPairsDesc.length);
  const setScores = scratch.f64('set.scores', cap);
  const pairCodes = scratch.i32('set.pairs', cap);
  const wins = scratch.f64('set.wins', fakes);
  const ranks = scratch.i32('set.ranks', Math.min(fakes, realPairsDesc.length));
  const seen = scratch.u8('set.seen', realScoreOfPair.length);
  let nF = 0;
  let nR = 0;
  let nUnpaired = 0;
  for (let k = 0; k < labels.length; k++) {
    if (labels[k] !== 1) continue;
    const w = rankedWin[positions[k]];
    if (w === WIN.unpaired) {
      nUnpaired++;
      continue;
    }
    const p = pairs[k];
    setScores[nF] = scores[k];
    pairCodes[nF] = p;
    wins[nF++] = w / 2;
    if (seen[p] === 0) {
      seen[p] = 1;
      ranks[nR++] = realRankOfPair[p];
    }
  }
  const realRanks = ranks.subarray(0, nR).sort();
  for (let j = 0; j < nR; j++) {
    const p = realPairsDesc[realRanks[j]];
    seen[p] = 0; // leave the scratch clean for the next group
    pairCodes[nF + j] = p;
    setScores[nF + j] = realScoreOfPair[p];
  }
  const m = nF + nR;
  const setLabels = scratch.u8('set.labels', m);
  setLabels.fill(1, 0, nF);
  setLabels.fill(0, nF, m);
  // merge the two descending lists, marking where each run of equal scores ends
  const order = scratch.i32('set.order', m);
  const sortedLabels = scratch.u8('set.sortedLabels', m);
  const groupOf = scratch.i32('set.groupOf', m);
  const ends = scratch.i32('set.ends', m);
  const values = scratch.f64('set.values', m);
  let a = 0;
  let b = nF;
  let g = -1;
  let last = NaN;
  for (let j = 0; j < m; j++) {
    const takeFake = a < nF && (b >= m || setScores[a] >= setScores[b]);
    const i = takeFake ? a++ : b++;
    const s = setScores[i];
    if (s !== last) {
      values[++g] = s;
      last = s;
    }
    ends[g] = j + 1;
    order[j] = i;
    sortedLabels[j] = takeFake ? 1 : 0;
    groupOf[i] = g;
  }
  const codes = pairCodes.subarray(0, m);
  let pairIds: string[] | undefined;
  return {
    labels: setLabels,
    scores: setScores.subarray(0, m),
    // built on first use: only the slower general paths (computeMetrics, compare) read the ids as text
    get pairIds() {
      return (pairIds ??= Array.from(codes, (p) => meta.pairIds[p]));
    },
    pairCodes: codes,
    wins: wins.subarray(0, nF),
    nPairedFakes: nF,
    nReals: nR,
    nUnpaired,
    ranked: { order, sortedLabels, groupEnd: ends.subarray(0, g + 1), groupScore: values.subarray(0, g + 1), groupOf },
  };
}
