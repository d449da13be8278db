import { fieldNumber, fieldText, scanCsv } from '../../loaders/csv.js';
import { UserError } from '../../util/errors.js';
import type { Report } from '../report.js';
import { STATUS } from '../../slices/scores.js';
import { calibrationBins, clfCurve, ECE_BINS, rankScores, type ClfCurve } from '../../metrics/index.js';

/** One detector's usable scores with their labels (1 = fake): what the ROC, PR and reliability figures plot. */
export interface DetectorScoresForCurves {
  detector: string;
  scores: number[];
  labels: number[];
}

/** Curves keep at most this many points per detector, so a 100k-row run still gives a small page. */
export const MAX_CURVE_POINTS = 300;

/** The scores the report ranked: the clean run's (stress conditions have the robustness figure), status ok only, labels from the metadata. */
export function curveInputsFromReport(report: Report): DetectorScoresForCurves[] {
  return report.scores.detectors
    .filter((d) => d.condition === 'none')
    .map((d) => {
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

/**
 * The same from a run folder's predictions.csv (`semibench report RUN --html`, which reads no metadata): clean
 * rows, a later row for a detector and sample replacing an earlier one (as the report reads them), valid scores.
 */
export function curveInputsFromPredictions(file: string): DetectorScoresForCurves[] {
  // detector → sample id → [score, label], NaN score where the row is not a usable score
  const last = new Map<string, Map<string, [number, number]>>();
  let f: Record<'id' | 'detector' | 'score' | 'label' | 'status' | 'condition', number>;
  scanCsv(file, {
    onHeader: (columns) => {
      f = { id: columns.indexOf('sample_id'), detector: columns.indexOf('detector'), score: columns.indexOf('score'), label: columns.indexOf('label'), status: columns.indexOf('status'), condition: columns.indexOf('condition') };
      if (f.id < 0 || f.detector < 0 || f.score < 0 || f.label < 0 || f.status < 0) throw new UserError(`${file} is not a semibench predictions.csv (sample_id, detector, score, label, status).`, 'E_DATA');
      return Math.max(...Object.values(f)) + 1;
    },
    onRow: (row) => {
      const condition = f.condition >= 0 ? fieldText(row, f.condition) : '';
      if (condition !== '' && condition !== 'none') return;
      const detector = fieldText(row, f.detector);
      let mine = last.get(detector);
      if (!mine) last.set(detector, (mine = new Map()));
      const label = fieldText(row, f.label);
      const score = fieldNumber(row, f.score);
      const usable = fieldText(row, f.status) === 'ok' && score >= 0 && score <= 1 && (label === '0' || label === '1');
      mine.set(fieldText(row, f.id), [usable ? score : NaN, Number(label)]);
    },
  });
  return [...last].map(([detector, mine]) => {
    const rows = [...mine.values()].filter(([score]) => !Number.isNaN(score));
    return { detector, scores: rows.map((r) => r[0]), labels: rows.map((r) => r[1]) };
  });
}

/** A point of a ROC curve; `threshold` null for the (0, 0) start (sklearn: the top score + 1, or inf). */
export interface RocPoint {
  detector: string;
  threshold: number | null;
  fpr: number;
  tpr: number;
}

/** A point of a precision–recall curve; `threshold` null for the (recall 0, precision 1) end. */
export interface PrPoint {
  detector: string;
  threshold: number | null;
  recall: number;
  precision: number;
}

/**
 * sklearn.metrics.roc_curve(labels, scores) with its default drop_intermediate=True (points on a straight
 * segment between their neighbours are left out: the curve drawn is the same), from (0, 0) up; fake iff
 * score >= threshold. Thinned evenly to MAX_CURVE_POINTS (first and last kept). Empty without both classes.
 */
export function rocPoints(input: DetectorScoresForCurves): RocPoint[] {
  const { detector } = input;
  const curve = binaryCurve(input);
  if (!curve) return [];
  const { fps, tps, thresholds } = curve;
  const last = fps.length - 1;
  const points: RocPoint[] = [{ detector, threshold: null, fpr: 0, tpr: 0 }];
  for (let g = 0; g <= last; g++) {
    // sklearn keeps g where the second difference of fps or tps is non-zero, and both ends
    const kept = g === 0 || g === last || fps[g - 1] - 2 * fps[g] + fps[g + 1] !== 0 || tps[g - 1] - 2 * tps[g] + tps[g + 1] !== 0;
    if (kept) points.push({ detector, threshold: thresholds[g], fpr: fps[g] / fps[last], tpr: tps[g] / tps[last] });
  }
  return thin(points, MAX_CURVE_POINTS);
}

/**
 * sklearn.metrics.precision_recall_curve(labels, scores) (every distinct score; sklearn 1.2 has no
 * drop_intermediate here), in its reverse order: from (recall 0, precision 1) to the lowest threshold.
 * Thinned evenly to MAX_CURVE_POINTS. Empty without both classes.
 */
export function prPoints(input: DetectorScoresForCurves): PrPoint[] {
  const { detector } = input;
  const curve = binaryCurve(input);
  if (!curve) return [];
  const { fps, tps, thresholds } = curve;
  const fakes = tps[tps.length - 1];
  const points: PrPoint[] = [{ detector, threshold: null, recall: 0, precision: 1 }];
  for (let g = 0; g < fps.length; g++) points.push({ detector, threshold: thresholds[g], recall: tps[g] / fakes, precision: tps[g] / (tps[g] + fps[g]) });
  return thin(points, MAX_CURVE_POINTS);
}

// a report draws the ROC and the PR curve from the same inputs: rank each detector's scores (millions of rows at
// scale) once for both
const curveOf = new WeakMap<DetectorScoresForCurves, ClfCurve | undefined>();

/**
 * Cumulative fps and tps at each distinct score, highest first (sklearn's _binary_clf_curve); none without both
 * classes. Kept per input object (inputs are not changed once built).
 */
function binaryCurve(input: DetectorScoresForCurves): ClfCurve | undefined {
  if (curveOf.has(input)) return curveOf.get(input);
  const { scores, labels } = input;
  const fakes = labels.reduce((a, b) => a + b, 0);
  const curve = fakes === 0 || fakes === labels.length ? undefined : clfCurve(rankScores(labels, scores));
  curveOf.set(input, curve);
  return curve;
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

/**
 * The reliability diagram: sklearn.calibration.calibration_curve(labels, scores, n_bins=ECE_BINS,
 * strategy='uniform'), on the ECE's own bins (calibrationBins: edges i/15, right-inclusive, 0 in the first);
 * empty bins are left out. `bin` counts from 1.
 */
export function reliabilityBins({ detector, scores, labels }: DetectorScoresForCurves): ReliabilityBin[] {
  const sum = new Array<number>(ECE_BINS).fill(0);
  const pos = new Array<number>(ECE_BINS).fill(0);
  const n = new Array<number>(ECE_BINS).fill(0);
  calibrationBins(scores, ECE_BINS).forEach((b, i) => {
    sum[b] += scores[i];
    pos[b] += labels[i];
    n[b]++;
  });
  return n.flatMap((count, b) => (count ? [{ detector, bin: b + 1, predicted: sum[b] / count, observed: pos[b] / count, n: count }] : []));
}
