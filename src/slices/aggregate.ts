import type { AssignedSlice } from './assign.js';
import type { DetectorScores, MetadataTable } from './table.js';

/** One row of a slice report: a detector on one value of one slice. */
export interface SliceRow {
  detector: string;
  slice: string;
  value: string;
  n_real: number;
  n_fake: number;
  threshold_policy: string;
  threshold: number;
  accuracy: number | null;
  recall_fake: number | null;
  specificity_real: number | null;
}

/** Groups scored rows by slice value and computes counts and thresholded rates (null when undefined). */
export function aggregateSlice(
  slice: AssignedSlice,
  meta: MetadataTable,
  scores: DetectorScores,
  threshold: { policy: string; value: number },
): SliceRow[] {
  const groups = new Map<string, { tp: number; fn: number; tn: number; fp: number }>();
  for (let i = 0; i < meta.ids.length; i++) {
    const value = slice.values[i];
    const s = scores.score[i];
    if (!value || Number.isNaN(s)) continue;
    let g = groups.get(value);
    if (!g) groups.set(value, (g = { tp: 0, fn: 0, tn: 0, fp: 0 }));
    const predictedFake = s >= threshold.value;
    if (meta.label[i] === 1) predictedFake ? g.tp++ : g.fn++;
    else predictedFake ? g.fp++ : g.tn++;
  }
  const ratio = (a: number, b: number) => (b === 0 ? null : a / b);
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([value, g]) => ({
      detector: scores.detector,
      slice: slice.spec.name,
      value,
      n_real: g.tn + g.fp,
      n_fake: g.tp + g.fn,
      threshold_policy: threshold.policy,
      threshold: threshold.value,
      accuracy: ratio(g.tp + g.tn, g.tp + g.tn + g.fp + g.fn),
      recall_fake: ratio(g.tp, g.tp + g.fn),
      specificity_real: ratio(g.tn, g.tn + g.fp),
    }));
}
