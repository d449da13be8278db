import { classificationFromConfusion, type ClassificationMetrics, type Confusion } from '../metrics/index.js';
import type { MetadataTable } from '../slices/metadata.js';
import { STATUS, type DetectorScores } from '../slices/scores.js';
import type { DetectorThreshold } from '../slices/threshold-policy.js';
import { PAPER_SIZE_BINS } from '../slices/semitruths.js';
import { compareValues } from '../slices/value-order.js';
import { mdCell } from './markdown.js';

/**
 * The tables of the Semi-Truths evaluation notebook (Stress_Testing_5Bins.ipynb; semi-truths-dataset.md §6,
 * §8), recomputed from saved predictions: rows with no usable prediction are dropped (the notebook drops NaN
 * predictions), fake iff score >= the report's threshold, and sklearn's zero_division=0 for 0/0 precision and
 * recall (the notebook's default "warn" returns 0).
 */
export interface NotebookTables {
  overall: { detector: string; n: number; m: ClassificationMetrics }[];
  perDataset: { dataset: string; cells: { detector: string; n: number; m: ClassificationMetrics }[] }[];
  /** Recall on fakes per value of each fake-only grouping the metadata has. */
  fakeSlices: RecallTable[];
  /** Recall on fakes per bin (bin1..bin5) of each released 5-bin category column the metadata has. */
  binSlices: RecallTable[];
  /**
   * The notebook's "small / medium / large" figures: the same columns with `thin_bins` (bin1 → small, bin3 →
   * medium, bin5 → large; bins 2 and 4 left out). Not semibench's P25 / P75 3-bin slices.
   */
  paperSizeSlices: RecallTable[];
}

export interface RecallTable {
  title: string;
  column: string;
  values: string[];
  /** detector → value → recall on fakes (null: no fakes there), with the fake count. */
  recall: Map<string, Map<string, { recall: number | null; n: number }>>;
}

/** The notebook's fake-only groupings, first present column wins. */
export const NOTEBOOK_FAKE_SLICES: { title: string; columns: string[] }[] = [
  { title: 'method', columns: ['method'] },
  { title: 'editing model', columns: ['model', 'diffusion_model'] },
  { title: 'sem_magnitude', columns: ['sem_magnitude'] },
  { title: 'localization', columns: ['change_location_category', 'localization'] },
  { title: 'scene diversity', columns: ['scene_diversity_category'] },
  { title: 'scene complexity', columns: ['scene_complexity_category'] },
];

/** The notebook's 5-bin change-metric panels (released `*_category` columns). */
export const NOTEBOOK_BIN_SLICES: { title: string; columns: string[] }[] = [
  { title: 'ratio (area)', columns: ['ratio_category'] },
  { title: 'size_mag', columns: ['size_mag_category'] },
  { title: 'ratio_rgb (post-edit)', columns: ['ratio_rgb_category'] },
  { title: 'dreamsim', columns: ['dreamsim_category'] },
  { title: 'lpips', columns: ['lpips_score_category'] },
  { title: 'sen_sim', columns: ['sen_sim_category'] },
  { title: 'clip_sim', columns: ['clip_sim_category'] },
  { title: 'mse_rgb', columns: ['mse_rgb_category'] },
  { title: 'ssim_rgb', columns: ['ssim_rgb_category'] },
];

/** The categorical columns the notebook tables read, of those the header has. */
export function notebookColumns(header: readonly string[]): string[] {
  const has = new Set(header);
  const out = ['dataset'];
  for (const t of [...NOTEBOOK_FAKE_SLICES, ...NOTEBOOK_BIN_SLICES]) {
    const c = t.columns.find((name) => has.has(name));
    if (c) out.push(c);
  }
  return out;
}

/** Computes the notebook tables (the metadata must have been read with notebookColumns). */
export function notebookTables(meta: MetadataTable, views: readonly DetectorScores[], thresholds: ReadonlyMap<string, DetectorThreshold>): NotebookTables {
  const has = new Set(meta.categorical.keys());
  const overall: NotebookTables['overall'] = [];
  const dataset = meta.categorical.get('dataset')!;
  const byDataset = new Map<string, NotebookTables['perDataset'][number]['cells']>();
  for (const view of views) {
    const t = thresholds.get(view.detector)?.threshold?.value ?? 0.5;
    const all = confusionOf(view, meta, t, () => true);
    overall.push({ detector: view.detector, n: total(all), m: classificationFromConfusion(all, { zeroDivision: 0 }) });
    dataset.values.forEach((value, code) => {
      if (value === '') return;
      const c = confusionOf(view, meta, t, (i) => dataset.codes[i] === code);
      const cells = byDataset.get(value) ?? [];
      cells.push({ detector: view.detector, n: total(c), m: classificationFromConfusion(c, { zeroDivision: 0 }) });
      byDataset.set(value, cells);
    });
  }
  const recallTables = (specs: typeof NOTEBOOK_FAKE_SLICES, relabel?: Record<string, string>): RecallTable[] =>
    specs.flatMap(({ title, columns }) => {
      const column = columns.find((c) => has.has(c));
      return column ? [recallTable(title, column, meta, views, thresholds, relabel)] : [];
    });
  return {
    overall,
    perDataset: [...byDataset.keys()].sort(compareValues).map((d) => ({ dataset: d, cells: byDataset.get(d)! })),
    fakeSlices: recallTables(NOTEBOOK_FAKE_SLICES),
    binSlices: recallTables(NOTEBOOK_BIN_SLICES),
    paperSizeSlices: recallTables(NOTEBOOK_BIN_SLICES, PAPER_SIZE_BINS),
  };
}

function confusionOf(view: DetectorScores, meta: MetadataTable, t: number, keep: (row: number) => boolean): Confusion {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  const { status, score } = view;
  const { label } = meta;
  for (let i = 0; i < status.length; i++) {
    if (status[i] !== STATUS.ok || !keep(i)) continue;
    const fake = score[i] >= t;
    if (label[i] === 1) fake ? c.tp++ : c.fn++;
    else fake ? c.fp++ : c.tn++;
  }
  return c;
}

function total(c: Confusion): number {
  return c.tp + c.fp + c.tn + c.fn;
}

function recallTable(
  title: string,
  column: string,
  meta: MetadataTable,
  views: readonly DetectorScores[],
  thresholds: ReadonlyMap<string, DetectorThreshold>,
  relabel?: Record<string, string>,
): RecallTable {
  const column_ = meta.categorical.get(column)!;
  const { codes } = column_;
  // thin_bins: a released bin is written `bin1` or `1`; bins the map does not name are left out
  const values = relabel ? column_.values.map((v) => relabel[v] ?? relabel[`bin${v}`] ?? '') : column_.values;
  const present = values.map((v) => v.trim() !== '');
  const recall = new Map<string, Map<string, { recall: number | null; n: number }>>();
  const seen = new Set<string>();
  for (const view of views) {
    const t = thresholds.get(view.detector)?.threshold?.value ?? 0.5;
    const hit = new Float64Array(values.length);
    const n = new Float64Array(values.length);
    const { status, score } = view;
    for (let i = 0; i < status.length; i++) {
      if (status[i] !== STATUS.ok || meta.label[i] !== 1 || !present[codes[i]]) continue;
      n[codes[i]]++;
      if (score[i] >= t) hit[codes[i]]++;
    }
    // summed per label: with relabel, `bin1` and `1` are one bar
    const sums = new Map<string, { hit: number; n: number }>();
    values.forEach((v, c) => {
      if (!present[c] || n[c] === 0) return;
      const sum = sums.get(v) ?? { hit: 0, n: 0 };
      sums.set(v, { hit: sum.hit + hit[c], n: sum.n + n[c] });
    });
    const row = new Map<string, { recall: number | null; n: number }>();
    for (const [v, sum] of sums) {
      seen.add(v);
      row.set(v, { recall: sum.hit / sum.n, n: sum.n });
    }
    recall.set(view.detector, row);
  }
  const order = relabel ? [...new Set(Object.values(relabel))] : undefined;
  return { title, column, values: order ? order.filter((v) => seen.has(v)) : [...seen].sort(compareValues), recall };
}

/** The tables as Markdown, three decimals as in the notebook summary (semi-truths-dataset.md §8). */
export function notebookMarkdown(tables: NotebookTables): string {
  const f = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v.toFixed(3));
  const out: string[] = ['## Semi-Truths notebook tables', ''];
  out.push('### Overall, all rows', '', '| detector | n | acc | P macro | R macro | F1 macro | P real | P fake | R real | R fake | F1 real | F1 fake |', '|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const { detector, n, m } of tables.overall) {
    out.push(`| ${mdCell(detector)} | ${n} | ${[m.accuracy, m.macro.precision, m.macro.recall, m.macro.f1, m.real.precision, m.fake.precision, m.real.recall, m.fake.recall, m.real.f1, m.fake.f1].map((v) => f(v.value)).join(' | ')} |`);
  }
  const detectors = tables.overall.map((o) => o.detector);
  out.push('', '### Per source dataset (acc / macro F1 / R real / R fake)', '', `| dataset | ${detectors.map(mdCell).join(' | ')} |`, `|---|${detectors.map(() => '---|').join('')}`);
  for (const { dataset, cells } of tables.perDataset) {
    const cell = (d: string): string => {
      const c = cells.find((x) => x.detector === d);
      return c ? [c.m.accuracy, c.m.macro.f1, c.m.real.recall, c.m.fake.recall].map((v) => f(v.value)).join(' / ') : '–';
    };
    out.push(`| ${mdCell(dataset)} | ${detectors.map(cell).join(' | ')} |`);
  }
  const recallSection = (title: string, list: RecallTable[]): void => {
    if (list.length === 0) return;
    out.push('', `### ${title}`, '', `| slice | value | ${detectors.map(mdCell).join(' | ')} |`, `|---|---|${detectors.map(() => '---|').join('')}`);
    for (const t of list) {
      for (const v of t.values) out.push(`| ${mdCell(t.title)} | ${mdCell(v)} | ${detectors.map((d) => f(t.recall.get(d)?.get(v)?.recall)).join(' | ')} |`);
    }
  };
  // The notebook ran its all-rows metrics on these fake-only groups and called the column "accuracy"; with no
  // reals there it is the share of fakes called fake, i.e. Recall(fake). semibench's own reports leave it blank.
  const accuracy = '"accuracy" as the notebook labels it; on these fake-only groups it equals Recall(fake)';
  recallSection(`Fake-only slices: ${accuracy}`, tables.fakeSlices);
  recallSection(`5-bin change slices (bin1..bin5): ${accuracy}`, tables.binSlices);
  recallSection(`The paper's small / medium / large (5-bin bins 1, 3, 5; notebook thin_bins, bins 2 and 4 left out; not semibench's P25/P75 3-bin slices): ${accuracy}`, tables.paperSizeSlices);
  return `${out.join('\n')}\n`;
}
