import type { CurvePoint } from '../robustness.js';
import type { TopLevelSpec } from 'vega-lite';
import { metricDef, type MetricKey } from '../../metrics/index.js';
import type { MetricCell, SliceRow } from '../../slices/aggregate.js';
import { ALL_SLICE } from '../../slices/spec.js';
import { ECE_BINS } from '../../metrics/index.js';
import { prPoints, reliabilityBins, rocPoints, type DetectorScoresForCurves } from './curves.js';

/** The parts of results.json the figures read (src/reports/results-json.ts writes it). */
export interface ResultsDoc {
  /** `condition` is 'none' for the clean run, else the stress condition of a `detector@condition` row. */
  run: { dir: string; detectors: { name: string; calibrated: boolean | null; condition?: string }[] };
  dataset: { root: string; rows: number; reals: number; fakes: number; sourceImages: number };
  threshold: { policy: string; detectors: Record<string, { value: number | null }> };
  slices: { name: string; kind: 'fake-only' | 'both'; type: string; values: string[] }[];
  rows: SliceRow[];
  /**
   * Optional robustness curves (runs with stress conditions): one point per detector, condition and level.
   * Absent on runs without conditions; the figure is then left out.
   */
  robustness?: { curves: CurvePoint[] };
}

export type Cell = string | number | null;

/** One figure: its Vega-Lite spec (data inline), the table of the same data, and the slice CSV it comes from. */
export interface Figure {
  id: string;
  section: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
  table: { columns: string[]; rows: Cell[][] };
  /** The run folder's CSV this figure's data comes from (relative to the page), and what it holds. */
  csv?: string;
  csvHolds?: string;
}

const WIDTH = 230;
const HEIGHT = 160;
const INTERVALS = 'Error bars: 95% intervals, clustered by source image.';

/** Every figure the report shows, in page order, from results.json and the run's scores. */
export function buildFigures(doc: ResultsDoc, curves: DetectorScoresForCurves[]): Figure[] {
  // the clean run's rows: each stress condition (a `detector@condition` row of every slice) is in the robustness figure
  const stressed = new Set(doc.run.detectors.filter((d) => (d.condition ?? 'none') !== 'none').map((d) => d.name));
  const clean = { ...doc, rows: doc.rows.filter((r) => !stressed.has(r.detector)) };
  const policy = policyText(doc, (d) => !stressed.has(d));
  const figures: Figure[] = [leaderboard(clean, policy)];
  for (const s of doc.slices) {
    if (s.name === ALL_SLICE) continue;
    const rows = clean.rows.filter((r) => r.slice === s.name);
    if (rows.length === 0) continue;
    // fake-only cells: recall at the policy, then paired AUC (no threshold)
    if (s.type === 'crossed') figures.push(...(s.kind === 'fake-only' ? (['recall_fake', 'paired_auc'] as const) : (['auc'] as const)).map((m, i) => heatMap(s, rows, policy, m, i > 0)));
    else figures.push(sliceFigure(s, rows, policy));
  }
  figures.push(...curveFigures(doc, curves, policy));
  const robustness = robustnessFigure(doc, policyText(doc, () => true));
  if (robustness) figures.push(robustness);
  return figures;
}

function policyText(doc: ResultsDoc, shown: (detector: string) => boolean): string {
  const values = Object.entries(doc.threshold.detectors).filter(([d]) => shown(d)).map(([d, t]) => `${d} ${t.value === null ? 'none' : +t.value.toPrecision(4)}`);
  return `Threshold policy ${doc.threshold.policy} (fake iff score ≥ threshold; ${values.join(', ')}).`;
}

/** Long-form points of `metrics` for a chart: one per detector, value and metric. */
function points(rows: SliceRow[], metrics: MetricKey[]) {
  return rows.flatMap((r) =>
    metrics.map((m) => ({ detector: r.detector, value: r.value, metric: metricDef(m).label, v: r.metrics[m].value, lo: r.metrics[m].lo, hi: r.metrics[m].hi })),
  );
}

function labels(metrics: MetricKey[]): string[] {
  return metrics.map((m) => metricDef(m).label);
}

/** Columns "metric", "metric lo", "metric hi" for each metric. */
function metricColumns(metrics: MetricKey[]): string[] {
  return metrics.flatMap((m) => [metricDef(m).label, `${metricDef(m).label} lo`, `${metricDef(m).label} hi`]);
}
function metricCells(r: SliceRow, metrics: MetricKey[]): Cell[] {
  return metrics.flatMap((m) => cell(r.metrics[m]));
}
function cell(c: MetricCell): Cell[] {
  return [c.value, c.lo, c.hi];
}

/**
 * Point + interval chart, one small multiple per metric; `x` the category axis, `detector` the colour. Values
 * on [0, 1] by default; `delta` draws differences on [−1, 1] with a rule at 0 (compare.html).
 */
export function intervalChart(values: object[], x: { field: string; title: string; sort?: string[] }, metrics: string[], opts: { delta?: boolean } = {}): TopLevelSpec {
  const xEnc = { field: x.field, type: 'nominal' as const, title: x.title, sort: x.sort ?? null, scale: { type: 'band' as const, paddingInner: 0.2 }, axis: { labelAngle: -30 } };
  const zero = opts.delta ? [{ mark: { type: 'rule', color: '#888', strokeDash: [3, 3] }, encoding: { y: { datum: 0, type: 'quantitative' } } }] : [];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    // metrics in the caller's order, at most four a row
    facet: { field: 'metric', title: null, sort: metrics, header: { labelFontSize: 12, labelFontWeight: 'bold' } },
    columns: 4,
    spec: {
      width: Math.max(WIDTH / Math.max(1, metrics.length / 3), 120),
      height: HEIGHT,
      layer: [
        ...zero,
        { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { x: xEnc, xOffset: { field: 'detector' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'detector', type: 'nominal' } } },
        {
          mark: { type: 'point', filled: true, size: 45 },
          encoding: {
            x: xEnc,
            xOffset: { field: 'detector' },
            y: { field: 'v', type: 'quantitative', title: opts.delta ? 'B − A' : null, scale: { domain: opts.delta ? [-1, 1] : [0, 1] } },
            color: { field: 'detector', type: 'nominal', title: 'detector' },
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  } as TopLevelSpec;
}

const LEADERBOARD: MetricKey[] = ['auc', 'ap', 'accuracy'];

function leaderboard(doc: ResultsDoc, policy: string): Figure {
  const rows = doc.rows.filter((r) => r.slice === ALL_SLICE);
  return {
    id: 'leaderboard',
    section: 'Leaderboard',
    title: 'Leaderboard: AUC, AP and accuracy at the threshold policy',
    caption: `Every detector on the whole eval set (${doc.dataset.rows} images: ${doc.dataset.reals} real, ${doc.dataset.fakes} fake, ${doc.dataset.sourceImages} source images). AUC and AP need no threshold; accuracy is at the policy. ${policy} ${INTERVALS} Click a column header to sort.`,
    spec: intervalChart(points(rows, LEADERBOARD), { field: 'detector', title: 'detector' }, labels(LEADERBOARD)),
    table: {
      columns: ['detector', 'threshold', 'n real', 'n fake', ...metricColumns(LEADERBOARD)],
      rows: rows.map((r) => [r.detector, r.threshold, r.n_real, r.n_fake, ...metricCells(r, LEADERBOARD)]),
    },
    csv: `slices/${ALL_SLICE}.csv`,
  };
}

/** Where a slice goes on the page: the paper's families. */
export function sectionOf(name: string, kind: string): string {
  if (name.endsWith('_5bin')) return 'Change metrics, five bins';
  if (['area_ratio', 'post_edit_ratio', 'ssim', 'mse', 'lpips', 'dreamsim', 'sen_sim'].includes(name)) return 'Change metrics, small / medium / large';
  if (name.startsWith('scene_')) return 'Scene diversity and complexity';
  if (kind === 'both') return 'Source datasets and slices with both classes';
  return 'Edits: semantic magnitude, localisation, method, models';
}

function sliceFigure(s: ResultsDoc['slices'][number], rows: SliceRow[], policy: string): Figure {
  const fakeOnly = s.kind === 'fake-only';
  const metrics: MetricKey[] = fakeOnly ? ['recall_fake', 'paired_auc'] : ['f1_macro', 'auc'];
  const what = fakeOnly
    ? 'Recall on fakes (at the policy) and paired AUC (each fake against its own source photo, no threshold)'
    : 'Macro-F1 (at the policy) and AUC (no threshold)';
  return {
    id: `slice-${s.name}`,
    section: sectionOf(s.name, s.kind),
    title: `${fakeOnly ? 'Recall(fake) and paired AUC' : 'Macro-F1 and AUC'} by ${s.name}`,
    caption: `${what} per ${s.name} value.${fakeOnly ? ' Reals carry no value of this column.' : ''} ${policy} ${INTERVALS}`,
    spec: intervalChart(points(rows, metrics), { field: 'value', title: s.name, sort: s.values }, labels(metrics)),
    table: {
      columns: ['detector', 'value', 'n real', 'n fake', ...metricColumns(metrics)],
      rows: rows.map((r) => [r.detector, r.value, r.n_real, r.n_fake, ...metricCells(r, metrics)]),
    },
    csv: `slices/${s.name}.csv`,
  };
}

/** One metric per cell of a crossed slice, its 95% interval under the value; `variant` figures get the metric in their id. */
function heatMap(s: ResultsDoc['slices'][number], rows: SliceRow[], policy: string, metric: MetricKey, variant: boolean): Figure {
  const label = metricDef(metric).label;
  const [a, b] = s.name.split('_x_');
  const values = rows.map((r) => {
    const [row, column] = r.value.split(' x ');
    const { value: v, lo, hi } = r.metrics[metric];
    const ci = lo === null || hi === null ? '' : `${lo.toFixed(2)}–${hi.toFixed(2)}`;
    return { detector: r.detector, row, column, v, lo, hi, ci, n: r.n_fake };
  });
  const order = (k: 0 | 1) => [...new Set(s.values.map((v) => v.split(' x ')[k]))];
  const enc = {
    x: { field: 'column', type: 'nominal', title: b, sort: order(1), axis: { labelAngle: -30 } },
    y: { field: 'row', type: 'nominal', title: a, sort: order(0) },
  };
  const ink = { condition: { test: 'datum.v > 0.6', value: 'black' }, value: 'white' };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    facet: { column: { field: 'detector', title: null, header: { labelFontSize: 12, labelFontWeight: 'bold' } } },
    spec: {
      // cells tall enough for the value and its interval below it
      width: { step: 58 },
      height: { step: 30 },
      layer: [
        { mark: 'rect', encoding: { ...enc, color: { field: 'v', type: 'quantitative', title: label, scale: { domain: [0, 1], scheme: 'viridis' } } } },
        { mark: { type: 'text', fontSize: 10, dy: -5 }, encoding: { ...enc, text: { field: 'v', type: 'quantitative', format: '.2f' }, color: ink } },
        { mark: { type: 'text', fontSize: 8, dy: 7 }, encoding: { ...enc, text: { field: 'ci' }, color: ink } },
      ],
    },
  } as TopLevelSpec;
  return {
    id: variant ? `heat-${s.name}-${metric}` : `heat-${s.name}`,
    section: `Heat maps: ${a} × ${b}`,
    title: `${label} by ${a} × ${b}`,
    caption: `${label}${metric === 'paired_auc' ? ' (each fake against its own source photo, no threshold)' : ''} per ${a} × ${b} cell, its 95% interval (clustered by source image) under it; n fake in the table; cells without rows are blank. ${policy}`,
    spec,
    table: {
      columns: ['detector', a, b, 'n fake', label, `${label} lo`, `${label} hi`],
      rows: values.map((v) => [v.detector, v.row, v.column, v.n, v.v, v.lo, v.hi]),
    },
    csv: `slices/${s.name}.csv`,
  };
}

/** The curves are drawn from the run's scores. */
const SCORES_CSV = { csv: 'predictions.csv', csvHolds: 'the scores (status ok rows are drawn)' };

function curveFigures(doc: ResultsDoc, curves: DetectorScoresForCurves[], policy: string): Figure[] {
  const out: Figure[] = [];
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: WIDTH + 60, height: WIDTH + 20 };
  // the points in the data's order (descending threshold), not sorted by x: vertical segments keep their direction
  const line = (interpolate: string, x: string, y: string, xt: string, yt: string) => ({
    mark: { type: 'line', interpolate, clip: true },
    encoding: {
      x: { field: x, type: 'quantitative', title: xt, scale: { domain: [0, 1] } },
      y: { field: y, type: 'quantitative', title: yt, scale: { domain: [0, 1] } },
      color: { field: 'detector', type: 'nominal' },
      order: { value: null },
    },
  });
  const roc = curves.flatMap(rocPoints);
  if (roc.length) {
    out.push({
      id: 'roc',
      section: 'ROC and precision–recall curves',
      title: 'ROC curves',
      caption: `True-positive rate on fakes against false-positive rate on reals at every threshold, per detector (status-ok scores; the diagonal is chance): sklearn's roc_curve with drop_intermediate=True, joined by straight lines (the area under them is the AUC). Threshold-free; the policy's operating point is one point on each curve. ${policy}`,
      spec: { ...base, data: { values: roc }, layer: [{ data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] }, mark: { type: 'line', strokeDash: [4, 4], color: '#999' }, encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } } }, line('linear', 'fpr', 'tpr', 'false-positive rate (reals)', 'true-positive rate (fakes)')] } as TopLevelSpec,
      table: { columns: ['detector', 'threshold', 'FPR', 'TPR'], rows: roc.map((p) => [p.detector, p.threshold, p.fpr, p.tpr]) },
      ...SCORES_CSV,
    });
  }
  const pr = curves.flatMap(prPoints);
  if (pr.length) {
    out.push({
      id: 'pr',
      section: 'ROC and precision–recall curves',
      title: 'Precision–recall curves',
      caption: `Precision against recall on fakes at every threshold, per detector (base rate ${(doc.dataset.fakes / Math.max(1, doc.dataset.rows)).toFixed(2)} fake): sklearn's precision_recall_curve, drawn as steps (each recall interval at the precision of its upper end: the area is the AP). ${policy}`,
      spec: { ...base, data: { values: pr }, layer: [line('step-before', 'recall', 'precision', 'recall (fakes)', 'precision')] } as TopLevelSpec,
      table: { columns: ['detector', 'threshold', 'recall', 'precision'], rows: pr.map((p) => [p.detector, p.threshold, p.recall, p.precision]) },
      ...SCORES_CSV,
    });
  }
  const calibrated = new Set(doc.run.detectors.filter((d) => d.calibrated).map((d) => d.name));
  const bins = curves.filter((c) => calibrated.has(c.detector)).flatMap(reliabilityBins);
  if (bins.length) {
    out.push({
      id: 'reliability',
      section: 'Calibration',
      title: 'Reliability diagram (calibrated detectors)',
      caption: `Share of fakes against mean predicted P(fake) in ${ECE_BINS} equal-width bins (the ECE's bins; sklearn's calibration_curve with strategy='uniform', n_bins=${ECE_BINS}); on the diagonal the score is a calibrated probability. Only detectors marked calibrated are shown. ${policy}`,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        width: WIDTH + 60,
        height: WIDTH + 20,
        data: { values: bins },
        layer: [
          { data: { values: [{ predicted: 0, observed: 0 }, { predicted: 1, observed: 1 }] }, mark: { type: 'line', strokeDash: [4, 4], color: '#999' }, encoding: { x: { field: 'predicted', type: 'quantitative' }, y: { field: 'observed', type: 'quantitative' } } },
          {
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 'predicted', type: 'quantitative', title: 'mean predicted P(fake)', scale: { domain: [0, 1] } },
              y: { field: 'observed', type: 'quantitative', title: 'share of fakes', scale: { domain: [0, 1] } },
              color: { field: 'detector', type: 'nominal' },
            },
          },
        ],
      } as TopLevelSpec,
      table: { columns: ['detector', 'bin', 'mean predicted', 'share fake', 'n'], rows: bins.map((b) => [b.detector, b.bin, b.predicted, b.observed, b.n]) },
      ...SCORES_CSV,
    });
  }
  return out;
}

function robustnessFigure(doc: ResultsDoc, policy: string): Figure | undefined {
  // One curve per swept op (jpeg, blur, ...); the clean run, chains and format controls have no strength.
  const points = (doc.robustness?.curves ?? []).filter((p) => p.op !== '' && p.strength !== null).map((p) => ({ ...p, level: p.strength }));
  if (!points.length) return undefined;
  return {
    id: 'robustness',
    section: 'Robustness to stress conditions',
    title: 'Robustness curves',
    caption: `Each metric as the stress strength changes (JPEG quality, blur radius, scale, ...), one small multiple per stress op and metric; slices/robustness.csv has the deltas against the clean run. ${policy} ${INTERVALS}`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values: points },
      facet: { row: { field: 'metric', title: null }, column: { field: 'op', title: null } },
      spec: {
        width: WIDTH - 40,
        height: HEIGHT - 20,
        layer: [
          { mark: 'rule', encoding: { x: { field: 'level', type: 'ordinal' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'detector', type: 'nominal' } } },
          { mark: { type: 'line', point: true }, encoding: { x: { field: 'level', type: 'ordinal', title: 'level' }, y: { field: 'value', type: 'quantitative', title: null, scale: { domain: [0, 1] } }, color: { field: 'detector', type: 'nominal' } } },
        ],
      },
      resolve: { scale: { x: 'independent' } },
    } as TopLevelSpec,
    table: { columns: ['detector', 'condition', 'strength', 'metric', 'value', 'lo', 'hi'], rows: points.map((p) => [p.detector, p.condition, p.level, p.metric, p.value, p.lo, p.hi]) },
    csv: 'slices/robustness.csv',
    csvHolds: 'with the deltas against the clean run',
  };
}
