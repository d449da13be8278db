/** Orders that read better than alphabetical: magnitude words and Semi-Truths category labels. */
const RANKED_WORDS = ['small', 'low', 'medium', 'large', 'high', 'localized', 'diffused'];
const MISSING = '(missing)';

/**
 * How slice values are ordered in reports: magnitude words by size (small, medium, large; low, medium, high),
 * then natural order (bin2 before bin10), '(missing)' last.
 */
export function compareValues(a: string, b: string): number {
  if (a === b) return 0;
  if (a === MISSING) return 1;
  if (b === MISSING) return -1;
  const ra = RANKED_WORDS.indexOf(a.toLowerCase());
  const rb = RANKED_WORDS.indexOf(b.toLowerCase());
  if (ra >= 0 && rb >= 0) return ra - rb;
  if (ra >= 0 !== rb >= 0) return ra >= 0 ? -1 : 1;
  return naturalCompare(a, b);
}

/** Digit runs compare as numbers, everything else by UTF-16 code unit: the same on every machine (no ICU). */
export function naturalCompare(a: string, b: string): number {
  const pa = a.match(CHUNKS) ?? [];
  const pb = b.match(CHUNKS) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    const dx = DIGITS.test(x);
    const dy = DIGITS.test(y);
    if (dx && dy) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length; // "01" after "1"
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

const CHUNKS = /\d+|\D+/g;
const DIGITS = /^\d/;
