/**
 * The given rows sorted by score, highest first, ties in ascending row order: the order metrics' rankScores
 * gives. An LSD radix sort on the IEEE-754 bits (4 passes of 16 bits) instead of a comparator sort, which
 * costs ~1 s per 1.5 M rows; scores must be finite and non-negative (P(fake) with -0 normalised to 0),
 * where the bit pattern orders like the number.
 */
export function sortRowsByScoreDesc(rows: Int32Array, score: Float64Array): Int32Array {
  const n = rows.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = score[rows[i]];
  const words = new Uint32Array(values.buffer);
  // descending = ascending on the complemented bits; LSD passes are stable, so ties keep row order
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    lo[i] = ~words[2 * i] >>> 0; // little-endian: low word first
    hi[i] = ~words[2 * i + 1] >>> 0;
  }
  let idx = Int32Array.from(rows);
  let lo2 = new Uint32Array(n);
  let hi2 = new Uint32Array(n);
  let idx2 = new Int32Array(n);
  const count = new Int32Array(1 << 16);
  for (const [word, shift] of [[0, 0], [0, 16], [1, 0], [1, 16]] as const) {
    count.fill(0);
    const key = word === 0 ? lo : hi;
    for (let i = 0; i < n; i++) count[(key[i] >>> shift) & 0xffff]++;
    if (count[(key[0] >>> shift) & 0xffff] === n) continue; // every row shares this digit
    let sum = 0;
    for (let d = 0; d < count.length; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const at = count[(key[i] >>> shift) & 0xffff]++;
      lo2[at] = lo[i];
      hi2[at] = hi[i];
      idx2[at] = idx[i];
    }
    [lo, lo2] = [lo2, lo];
    [hi, hi2] = [hi2, hi];
    [idx, idx2] = [idx2, idx];
  }
  return idx;
}

/**
 * Splits a detector's rank positions 0..n−1 into groups by their code (group + 1; 0 = not in any group), read
 * at `codes[offset + k·stride]` for position k (a column of a row-major matrix, or a plain array with stride 1),
 * keeping rank order within each group: group g is `positions[start[g] .. start[g+1])`. A counting sort,
 * O(n + groups), reading the codes in order.
 */
export function partitionRanks(
  codes: ArrayLike<number>,
  groups: number,
  n = codes.length,
  offset = 0,
  stride = 1,
): { start: Int32Array; positions: Int32Array } {
  const start = new Int32Array(groups + 2);
  for (let k = 0, i = offset; k < n; k++, i += stride) start[codes[i] + 1]++;
  // start[1] counts the rows in no group; shift so group g starts at start[g]
  start[1] = 0;
  for (let g = 1; g <= groups; g++) start[g + 1] += start[g];
  const fill = start.slice(1, groups + 1);
  const positions = new Int32Array(start[groups + 1]);
  for (let k = 0, i = offset; k < n; k++, i += stride) {
    const c = codes[i];
    if (c > 0) positions[fill[c - 1]++] = k;
  }
  return { start: start.subarray(1), positions };
}

/** The codes of a slice in a detector's rank order, as partitionRanks takes them (code + 1; 0 = none). */
export function codesInRankOrder(order: Int32Array, codes: Int32Array): Int32Array {
  const out = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) out[k] = codes[order[k]] + 1;
  return out;
}

/**
 * The codes (code + 1; 0 = not in the slice) of the slices `which` at each of a detector's rank positions, one
 * column per slice (`which[j]` at `[j·n, (j+1)·n)`), from the row-major code matrix (a row's codes at
 * `[row·S, (row+1)·S)`): one random read per rank position serves every slice, and each slice's partition
 * then reads its column in order.
 */
export function codesByRank<T extends Uint8Array | Uint16Array | Int32Array>(matrix: T, S: number, order: Int32Array, which: readonly number[]): T {
  const n = order.length;
  const m = which.length;
  const slice = Int32Array.from(which);
  const out = new (matrix.constructor as new (n: number) => T)(n * m);
  for (let k = 0; k < n; k++) {
    const base = order[k] * S;
    for (let j = 0, at = k; j < m; j++, at += n) out[at] = matrix[base + slice[j]];
  }
  return out;
}
