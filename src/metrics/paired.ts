import { clfCurve, rankScores, type RankedScores } from './curve.js';
import type { Weights } from './input.js';
import { aucFromCurve } from './ranking.js';
import { defined, undefinedValue, type MetricValue } from './value.js';

/**
 * Paired metrics for slices that only hold fakes (an area-ratio bin, an editing model): Semi-Truths metadata
 * exists only on edits, so the right negatives for a slice are the edits' own source photos.
 *
 * - **2AFC** (two-alternative forced choice, FALdetector#32): the share of the slice's fakes whose score is
 *   above their own source real's score; a tie counts 1/2. "Shown this edit and its original, does the
 *   detector pick the edit?"
 * - **Paired AUC**: ROC AUC of the slice's fakes against the set of their source reals, each distinct real
 *   once however many of its edits are in the slice. Unlike 2AFC it also compares a fake with other photos'
 *   reals.
 *
 * A fake whose `pairId` has no real score is left out of both and counted in `nUnpaired`.
 */
export interface PairedMetrics {
  twoAfc: MetricValue;
  pairedAuc: MetricValue;
  /** Fakes with a scored source real (the 2AFC denominator). */
  nPairedFakes: number;
  /** Distinct source reals (the paired AUC's negatives). */
  nReals: number;
  /** Fakes left out: their source real has no score. */
  nUnpaired: number;
}

/**
 * The slice's fakes and their distinct source reals as one scored set, ranked once: what the paired metrics
 * and their bootstrap need. Fakes come first (rows 0..nPairedFakes−1), then one row per real.
 */
export interface PairedSet {
  labels: Uint8Array;
  scores: Float64Array;
  /** Cluster id of each row: the pairId (a fake's source, or the real itself). */
  pairIds: string[];
  /** Per fake row: 1 if above its real, 0.5 if tied, 0 if below. */
  wins: Float64Array;
  nPairedFakes: number;
  nReals: number;
  nUnpaired: number;
  ranked: RankedScores;
}

/** Builds the {@link PairedSet}: keeps fakes whose pairId has a real score, adds each such real once. */
export function pairedSet(
  fakeScores: ArrayLike<number>,
  fakePairIds: ArrayLike<string>,
  realScores: ReadonlyMap<string, number>,
): PairedSet {
  if (fakeScores.length !== fakePairIds.length) {
    throw new RangeError(`fake scores and pair ids differ in length: ${fakeScores.length} vs ${fakePairIds.length}`);
  }
  const scores: number[] = [];
  const pairIds: string[] = [];
  const wins: number[] = [];
  const reals = new Map<string, number>();
  let nUnpaired = 0;
  for (let i = 0; i < fakeScores.length; i++) {
    const real = realScores.get(fakePairIds[i]);
    const s = fakeScores[i];
    if (!Number.isFinite(s)) throw new RangeError(`fake score at row ${i} is ${s}; expected a finite number`);
    if (real === undefined) {
      nUnpaired++;
      continue;
    }
    if (!Number.isFinite(real)) throw new RangeError(`real score of '${fakePairIds[i]}' is ${real}; expected a finite number`);
    scores.push(s);
    pairIds.push(fakePairIds[i]);
    wins.push(s > real ? 1 : s === real ? 0.5 : 0);
    reals.set(fakePairIds[i], real);
  }
  const nPairedFakes = scores.length;
  for (const [id, s] of reals) {
    scores.push(s);
    pairIds.push(id);
  }
  const labels = new Uint8Array(scores.length);
  labels.fill(1, 0, nPairedFakes);
  return {
    labels,
    scores: Float64Array.from(scores),
    pairIds,
    wins: Float64Array.from(wins),
    nPairedFakes,
    nReals: reals.size,
    nUnpaired,
    ranked: rankScores(labels, scores),
  };
}

/**
 * 2AFC and paired AUC of a slice's fakes (see {@link PairedMetrics}).
 *
 * @param fakeScores the slice's fake scores
 * @param fakePairIds each fake's source real id (`Sample.pairId`)
 * @param realScores real id → that real's score (all reals of the run)
 */
export function pairedMetrics(
  fakeScores: ArrayLike<number>,
  fakePairIds: ArrayLike<string>,
  realScores: ReadonlyMap<string, number>,
): PairedMetrics {
  return pairedFromSet(pairedSet(fakeScores, fakePairIds, realScores));
}

/** Paired metrics of a {@link PairedSet}, optionally with per-row weights (bootstrap multiplicities). */
export function pairedFromSet(set: PairedSet, weights?: Weights): PairedMetrics {
  const counts = { nPairedFakes: set.nPairedFakes, nReals: set.nReals, nUnpaired: set.nUnpaired };
  if (set.nPairedFakes === 0) {
    const reason = set.nUnpaired > 0 ? `no fake has a scored source real (${set.nUnpaired} unpaired)` : 'no fakes in the slice';
    return { twoAfc: undefinedValue(reason), pairedAuc: undefinedValue(reason), ...counts };
  }
  let won = 0;
  let total = 0;
  for (let i = 0; i < set.nPairedFakes; i++) {
    const w = weights === undefined ? 1 : weights[i];
    won += w * set.wins[i];
    total += w;
  }
  const note = set.nUnpaired > 0 ? `${set.nUnpaired} fakes without a scored source real left out` : undefined;
  const twoAfc = total === 0 ? undefinedValue('no paired fakes') : defined(won / total, note);
  const auc = aucFromCurve(clfCurve(set.ranked, weights));
  const pairedAuc = auc.value === null ? auc : defined(auc.value, note);
  return { twoAfc, pairedAuc, ...counts };
}
