/**
 * `np.add.reduce` / `np.mean` of a float64 array, bit for bit (numpy 1.24). The ufunc machinery feeds the inner
 * loop in buffers of `np.getbufsize()` = 8192 elements (C order, also for strided views such as skimage's
 * `crop(S, pad)`), and each buffer is summed with numpy's pairwise summation; the partial sums are then added
 * left to right. Checked against numpy on random arrays and views by tools/parity/make_change_goldens.py
 * (`check_numpy_sum_order`).
 */
export function numpySum(a: Float64Array, n = a.length): number {
  let total = 0;
  for (let start = 0; start < n; start += NPY_BUFSIZE) total += pairwiseSum(a, start, Math.min(NPY_BUFSIZE, n - start));
  return total;
}

/**
 * {@link numpySum} over values produced one at a time, without storing them all: values fill one 8192-element
 * buffer, which is pairwise-summed into the running total each time it is full.
 */
export class NumpySum {
  private readonly buf = new Float64Array(NPY_BUFSIZE);
  private n = 0;
  private total = 0;

  add(value: number): void {
    this.buf[this.n++] = value;
    if (this.n === NPY_BUFSIZE) {
      this.total += pairwiseSum(this.buf, 0, NPY_BUFSIZE);
      this.n = 0;
    }
  }

  /** The sum of everything added so far. */
  sum(): number {
    return this.n === 0 ? this.total : this.total + pairwiseSum(this.buf, 0, this.n);
  }
}

/** numpy's default ufunc buffer size (`np.getbufsize()`). */
const NPY_BUFSIZE = 8192;
/** numpy's PW_BLOCKSIZE. */
const PW_BLOCKSIZE = 128;

/**
 * numpy's pairwise summation (`pairwise_sum_DOUBLE`, numpy/core/src/umath/loops_utils.h.src) of
 * `a[start .. start + n)`.
 */
export function pairwiseSum(a: Float64Array, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    // Eight interleaved accumulators, combined as a balanced tree (numpy unrolls by 8).
    let r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
    let r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
    const end = n - (n % 8);
    let i = 8;
    for (; i < end; i += 8) {
      const p = start + i;
      r0 += a[p]; r1 += a[p + 1]; r2 += a[p + 2]; r3 += a[p + 3];
      r4 += a[p + 4]; r5 += a[p + 5]; r6 += a[p + 6]; r7 += a[p + 7];
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  // Split in two halves, keeping the first a multiple of the unroll factor.
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}
