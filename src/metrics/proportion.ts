/** z for a central 95% normal interval. */
export const Z95 = 1.959963984540054;

/**
 * Wilson score interval for k successes in n trials (statsmodels proportion_confint(method='wilson')). Unlike a
 * bootstrap or normal interval it does not collapse to zero width at 0/n or n/n: 8/8 gives [0.68, 1], not [1, 1].
 * Rows are taken as independent (no clustering), which the cell's ci_method says.
 */
export function wilsonInterval(k: number, n: number, z = Z95): { lo: number; hi: number } {
  // k may be fractional (2AFC counts a tie as ½)
  if (!(n > 0) || k < 0 || k > n) throw new RangeError(`wilson interval needs 0 <= k <= n, n > 0; got ${k} of ${n}`);
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // at k = 0 (k = n) the bound is exactly 0 (1); clip the rounding
  return { lo: k === 0 ? 0 : Math.max(0, centre - half), hi: k === n ? 1 : Math.min(1, centre + half) };
}
