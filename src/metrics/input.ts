/** Labels as the metrics take them: 0 = real, 1 = fake. */
export type Labels = Uint8Array | ArrayLike<number>;
/** Scores as the metrics take them: P(fake), finite. Calibration additionally needs [0, 1]. */
export type Scores = Float64Array | ArrayLike<number>;
/** Per-row non-negative weights (bootstrap multiplicities); absent means 1 for every row. */
export type Weights = ArrayLike<number>;

/**
 * Checks labels/scores (and weights) once, up front, so the kernels can stay branch-free.
 * Bad input is a bug upstream (the runner drops error rows before scoring), so this throws and names the row.
 */
export function checkInput(labels: Labels, scores: Scores, weights?: Weights, opts: { unitInterval?: boolean } = {}): void {
  if (labels.length !== scores.length) {
    throw new RangeError(`labels and scores differ in length: ${labels.length} vs ${scores.length}`);
  }
  if (weights !== undefined && weights.length !== labels.length) {
    throw new RangeError(`weights and labels differ in length: ${weights.length} vs ${labels.length}`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new RangeError(`label at row ${i} is ${y}; expected 0 (real) or 1 (fake)`);
    const s = scores[i];
    if (!Number.isFinite(s)) throw new RangeError(`score at row ${i} is ${s}; expected a finite number`);
    if (opts.unitInterval && (s < 0 || s > 1)) throw new RangeError(`score at row ${i} is ${s}; expected P(fake) in [0, 1]`);
    if (weights !== undefined && !(weights[i] >= 0)) throw new RangeError(`weight at row ${i} is ${weights[i]}; expected >= 0`);
  }
}

/** The reason a two-class (ranking) metric is undefined for these counts, or undefined when it is defined. */
export function twoClassReason(nReal: number, nFake: number): string | undefined {
  if (nReal === 0 && nFake === 0) return 'empty slice';
  if (nReal === 0) return 'single class: no reals';
  if (nFake === 0) return 'single class: no fakes';
  return undefined;
}
