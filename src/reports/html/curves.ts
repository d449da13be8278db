import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Report } from '../report.js';
import { STATUS } from '../../slices/scores.js';

/** One detector's usable scores with their labels (1 = fake): what the ROC, PR and reliability figures plot. */
export interface DetectorScoresForCurves {
  detector: string;
  scores: number[];
  labels: number[];
}

/** Curves keep at most this many points per detector, so a 100k-row run still gives a small page. */
export const MAX_CURVE_POINTS = 300;
/** Equal-width bins of the reliability diagram: the same 15 as the ECE metric. */
export const RELIABILITY_BINS = 15;

/** The scores the report ranked: status ok only, labels from the metadata. */
export function curveInputsFromReport(report: Report): DetectorScoresForCurves[] {
  return report.scores.detectors.map((d) => {
    const scores: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < d.status.length; i++) {
      if (d.status[i] !== STATUS.ok) continue;
      scores.push(d.score[i]);
      labels.push(report.meta.label[i]);
    }
    return { detector: d.detector, scores, labels };
  });
}

/** The same from a run folder's predictions.csv (`semibench report RUN --html`, which reads no metadata). */
export function curveInputsFromPredictions(file: string): DetectorScoresForCurves[] {
  const rows: Record<string, string>[] = parse(readFileSync(file), { columns: true, skip_empty_lines: true });
  const by = new Map<string, DetectorScoresForCurves>();
  for (const r of rows) {
    const score = Number(r.score);
    if (r.status !== 'ok' || !Number.isFinite(score) || score < 0 || score > 1 || (r.label !== '0' && r.label !== '1')) continue;
    let d = by.get(r.detector);
    if (!d) by.set(r.detector, (d = { detector: r.detector, scores: [], labels: [] }));
    d.scores.push(score);
    d.labels.push(Number(r.label));
  }
  return [...by.values()];
}

export interface CurvePoint {
  detector: string;
  threshold: number;
  fpr: number;
  tpr: number;
  precision: number;
}

/**
 * ROC and PR points at every distinct score (fake iff score >= threshold), from the strictest threshold down,
 * with (0, 0) first; thinned evenly to MAX_CURVE_POINTS (first and last kept). Empty without both classes.
 */
export function rocPoints({ detector, scores, labels }: DetectorScoresForCurves): CurvePoint[] {
  const fakes = labels.reduce((a, b) => a + b, 0);
  const reals = labels.length - fakes;
  if (fakes === 0 || reals === 0) return [];
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const points: CurvePoint[] = [{ detector, threshold: Infinity, fpr: 0, tpr: 0, precision: 1 }];
  let tp = 0;
  let fp = 0;
  for (let j = 0; j < order.length; j++) {
    if (labels[order[j]] === 1) tp++;
    else fp++;
    const s = scores[order[j]];
    if (j + 1 < order.length && scores[order[j + 1]] === s) continue; // ties move together
    points.push({ detector, threshold: s, fpr: fp / reals, tpr: tp / fakes, precision: tp / (tp + fp) });
  }
  return thin(points, MAX_CURVE_POINTS);
}

function thin<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, k) => points[Math.round(k * step)]);
}

export interface ReliabilityBin {
  detector: string;
  bin: number;
  /** Mean predicted P(fake) in the bin. */
  predicted: number;
  /** Share of fakes in the bin. */
  observed: number;
  n: number;
}

/** The reliability diagram's bins (equal width on [0, 1], the last closed); empty bins are left out. */
export function reliabilityBins({ detector, scores, labels }: DetectorScoresForCurves): ReliabilityBin[] {
  const sum = new Array<number>(RELIABILITY_BINS).fill(0);
  const pos = new Array<number>(RELIABILITY_BINS).fill(0);
  const n = new Array<number>(RELIABILITY_BINS).fill(0);
  scores.forEach((s, i) => {
    const b = Math.min(RELIABILITY_BINS - 1, Math.floor(s * RELIABILITY_BINS));
    sum[b] += s;
    pos[b] += labels[i];
    n[b]++;
  });
  return n.flatMap((count, b) => (count ? [{ detector, bin: b + 1, predicted: sum[b] / count, observed: pos[b] / count, n: count }] : []));
}
