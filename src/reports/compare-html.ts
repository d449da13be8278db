import { basename } from 'node:path';
import { metricDef } from '../metrics/index.js';
import { ALL_SLICE } from '../slices/spec.js';
import { SIGNIFICANCE_MIN_N, type Comparison, type CompareRow } from './compare.js';
import { writeAtomic } from './csv.js';
import { intervalChart, sectionOf, type Figure } from './html/figures.js';
import { esc, renderPage, type HtmlReport } from './html/page.js';
import type { Report } from './report.js';

/**
 * compare.html beside compare.csv (`semibench compare A B --html`): the same page as report.html, one figure
 * per slice with B − A and its 95% interval for every compared metric and detector pair. Returns its path.
 */
export async function writeCompareHtml(c: Comparison, csvFile: string): Promise<string> {
  const file = `${csvFile.replace(/\.csv$/i, '')}.html`;
  writeAtomic(file, (await compareHtml(c, basename(csvFile))).html);
  return file;
}

/** The page of a comparison; `csv` is compare.csv's path relative to the page (every figure links to it). */
export function compareHtml(c: Comparison, csv: string): Promise<HtmlReport> {
  const figures = compareFigures(c, csv);
  const side = (r: Report) => `<code>${esc(r.runDir)}</code> (protocol ${esc(r.run.protocol ?? 'not recorded')}; threshold policy <code>${esc(r.thresholdPolicy)}</code>)`;
  const notes: string[] = [];
  if (c.a.thresholdPolicy !== c.b.thresholdPolicy) notes.push(`The threshold policies differ: a difference in a thresholded metric mixes the two runs with the two thresholds.`);
  if (c.onlyA.length || c.onlyB.length) notes.push(`Not compared (in one run only): ${esc([...c.onlyA.map((d) => `${d} (A)`), ...c.onlyB.map((d) => `${d} (B)`)].join(', '))}.`);
  const intro = `<p>B − A per slice value. A: ${side(c.a)}.<br>B: ${side(c.b)}.</p>
<p>${notes.map((n) => `${n} `).join('')}${figures.length} figures; every number comes from <a href="${esc(csv)}">${esc(csv)}</a>.</p>`;
  return renderPage(`semibench compare: ${basename(c.b.runDir)} − ${basename(c.a.runDir)}`, intro, figures);
}

/** How compareRuns draws its intervals (src/reports/compare.ts). */
const INTERVALS_DELTA = `Error bars: 95% intervals of B − A, from a cluster bootstrap that draws the same source images in both runs (paired where the runs share images; a normal approximation for groups over the bootstrap budget). '*' in the table: the interval excludes 0 with at least ${SIGNIFICANCE_MIN_N} rows a side.`;

/** The columns of every compare figure's table: compare.csv's, less the slice (one figure per slice). */
export const COMPARE_TABLE: { column: string; key: keyof CompareRow }[] = [
  { column: 'detector A', key: 'detector_a' },
  { column: 'detector B', key: 'detector_b' },
  { column: 'value', key: 'value' },
  { column: 'metric', key: 'metric' },
  { column: 'A', key: 'a' },
  { column: 'B', key: 'b' },
  { column: 'B − A', key: 'delta' },
  { column: 'B − A lo', key: 'delta_lo' },
  { column: 'B − A hi', key: 'delta_hi' },
  { column: 'significant', key: 'significant' },
  { column: 'interval', key: 'ci_method' },
  { column: 'pairing', key: 'pairing' },
  { column: 'n A', key: 'n_a' },
  { column: 'n B', key: 'n_b' },
];

/** One figure per slice (in compare.csv's order), detector pairs as colours, one small multiple per metric. */
export function compareFigures(c: Comparison, csv: string): Figure[] {
  const policy = policyText(c);
  const slices = [...new Set(c.rows.map((r) => r.slice))];
  return slices.map((slice) => {
    const rows = c.rows.filter((r) => r.slice === slice);
    const metrics = [...new Set(rows.map((r) => r.metric))];
    const values = [...new Set(rows.map((r) => r.value))];
    const pair = (r: CompareRow) => (r.detector_a === r.detector_b ? r.detector_a : `${r.detector_a} vs ${r.detector_b}`);
    const points = rows.map((r) => ({ detector: pair(r), value: r.value, metric: metricDef(r.metric).label, v: r.delta, lo: r.delta_lo, hi: r.delta_hi }));
    const labels = metrics.map((m) => metricDef(m).label);
    return {
      id: `delta-${slice}`,
      section: slice === ALL_SLICE ? 'Overall' : slice.includes('_x_') ? 'Crossed slices' : sectionOf(slice, rows[0].kind),
      title: slice === ALL_SLICE ? 'B − A on the whole eval set' : `B − A by ${slice}`,
      caption: `Difference B − A of ${labels.join(', ')} per ${slice} value and detector${rows[0].kind === 'fake-only' ? ' (a fake-only slice: metrics on fakes, paired AUC against their own source photos)' : ''}; the dashed line is no difference. ${policy} ${INTERVALS_DELTA}`,
      spec: intervalChart(points, { field: 'value', title: slice, sort: values }, labels, { delta: true }),
      table: { columns: COMPARE_TABLE.map((t) => t.column), rows: rows.map((r) => COMPARE_TABLE.map((t) => r[t.key] as string | number | null)) },
      csv,
    };
  });
}

function policyText(c: Comparison): string {
  const side = (r: Report) =>
    `${r.thresholdPolicy} (${[...r.thresholds.entries()].map(([d, t]) => `${d} ${t.threshold?.value === undefined || t.threshold.value === null ? 'none' : +t.threshold.value.toPrecision(4)}`).join(', ')})`;
  return `Threshold policy A ${side(c.a)}, B ${side(c.b)}; fake iff score ≥ threshold.`;
}
