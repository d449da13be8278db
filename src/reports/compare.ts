import { parseCondition } from '../conditions/spec.js';
import { METRICS, type MetricKey } from '../metrics/index.js';
import type { Bins } from '../slices/bins.js';
import { conditionedName } from '../slices/scores.js';
import { UserError } from '../util/errors.js';
import { mdCell } from './markdown.js';
import { SIGNIFICANCE_MIN_N, sliceDeltas, type CompareRow } from './paired-delta.js';
import { buildReport, type Report, type ReportOptions } from './report.js';

export { COMPARE_COLUMNS, SIGNIFICANCE_MIN_N, type CompareRow } from './paired-delta.js';

/** Metrics `compare` reports by default: the registry's headline metrics. */
export const COMPARE_METRICS: MetricKey[] = METRICS.filter((m) => m.headline).map((m) => m.key);

export interface CompareOptions extends Omit<ReportOptions, 'runDir' | 'fixedBins' | 'notebook'> {
  runA: string;
  runB: string;
  metrics?: MetricKey[];
}

export interface Comparison {
  a: Report;
  b: Report;
  rows: CompareRow[];
  /** Detector pairs compared (same name, or the only detector of each run). */
  pairs: [string, string][];
  /** Detectors present in one run only (not compared). */
  onlyA: string[];
  onlyB: string[];
  /** Two conditions of one run compared (a and b are then the same report): A's and B's canonical specs. */
  conditions?: [string, string];
}

export interface CompareConditionsOptions extends Omit<ReportOptions, 'runDir' | 'fixedBins' | 'notebook'> {
  run: string;
  /** Condition specs A and B (`none` for the clean run), as given to --condition. */
  conditions: [string, string];
  metrics?: MetricKey[];
}

/**
 * Compares two stress conditions of one run: per detector that ran under both and per slice value, B − A with
 * a 95% interval of the paired difference (same images, same detector: the bootstrap draws each source image
 * for both conditions at once; paired-delta.ts).
 */
export async function compareConditions(opts: CompareConditionsOptions): Promise<Comparison> {
  const { run, metrics = COMPARE_METRICS, ...shared } = opts;
  const [ca, cb] = opts.conditions.map((c) => parseCondition(c).name);
  const report = await buildReport({ ...shared, runDir: run, resamples: 0 });
  const views = report.scores.detectors;
  const present = [...new Set(views.map((d) => d.condition))];
  for (const c of [ca, cb]) {
    if (!present.includes(c)) throw new UserError(`${run} has no predictions under condition '${c}' (it has: ${present.join(', ')}).`, 'E_USAGE');
  }
  const bases = [...new Set(views.map((d) => d.base))];
  const has = (base: string, c: string) => views.some((d) => d.base === base && d.condition === c);
  const both = bases.filter((b) => has(b, ca) && has(b, cb));
  if (both.length === 0) throw new UserError(`${run}: no detector has predictions under both '${ca}' and '${cb}'.`, 'E_USAGE');
  const pairs = both.map((b): [string, string] => [conditionedName(b, ca), conditionedName(b, cb)]);
  const rows = sliceDeltas(report, report, pairs, { metrics, resamples: opts.resamples ?? opts.config.bootstrap.resamples, seed: opts.config.bootstrap.seed, ciBudget: opts.ciBudget });
  const onlyA = bases.filter((b) => has(b, ca) && !has(b, cb)).map((b) => conditionedName(b, ca));
  const onlyB = bases.filter((b) => has(b, cb) && !has(b, ca)).map((b) => conditionedName(b, cb));
  return { a: report, b: report, rows, pairs, onlyA, onlyB, conditions: [ca, cb] };
}

/**
 * Compares two runs slice by slice: B − A for each metric, with a 95% interval of the difference from a
 * cluster bootstrap that draws the same source images (pairId) in both runs, so runs on the same samples
 * are compared paired and runs on disjoint samples independently, by one rule (paired-delta.ts). Run B's
 * quantile bins use run A's edges, so a bin means the same range in both.
 */
export async function compareRuns(opts: CompareOptions): Promise<Comparison> {
  const { runA, runB, metrics = COMPARE_METRICS, ...shared } = opts;
  const a = await buildReport({ ...shared, runDir: runA, resamples: 0 });
  const fixedBins = new Map<string, Bins>(a.slices.filter((s) => s.bins && s.bins.source !== 'category column').map((s) => [s.name, s.bins!]));
  const b = await buildReport({ ...shared, runDir: runB, resamples: 0, fixedBins });
  const pairs = detectorPairs(a, b);
  const paired = (side: 0 | 1) => new Set(pairs.map((p) => p[side]));
  const onlyA = a.views.map((v) => v.detector).filter((d) => !paired(0).has(d));
  const onlyB = b.views.map((v) => v.detector).filter((d) => !paired(1).has(d));
  const rows = sliceDeltas(a, b, pairs, { metrics, resamples: opts.resamples ?? opts.config.bootstrap.resamples, seed: opts.config.bootstrap.seed, ciBudget: opts.ciBudget });
  return { a, b, rows, pairs, onlyA, onlyB };
}

function detectorPairs(a: Report, b: Report): [string, string][] {
  const namesA = a.views.map((v) => v.detector);
  const namesB = b.views.map((v) => v.detector);
  const common = namesA.filter((n) => namesB.includes(n));
  if (common.length) return common.map((n) => [n, n]);
  if (namesA.length === 1 && namesB.length === 1) return [[namesA[0], namesB[0]]];
  throw new UserError(`The runs share no detector (A: ${namesA.join(', ')}; B: ${namesB.join(', ')}), and are not one detector each.`, 'E_USAGE');
}

/** The comparison as Markdown: per detector pair and slice, headline metrics as Δ [lo, hi], '*' = excludes 0. */
export function compareMarkdown(c: Comparison): string {
  const side = (r: Report): string => `${r.runDir} (protocol ${r.run.protocol ? `\`${r.run.protocol}\`` : 'not recorded'}; threshold policy \`${r.thresholdPolicy}\`)`;
  const out: string[] = c.conditions
    ? [`# semibench compare: B − A`, '', `Run: ${side(c.a)}`, `A: condition \`${c.conditions[0]}\``, `B: condition \`${c.conditions[1]}\` (the same images: every difference is paired)`, '']
    : [`# semibench compare: B − A`, '', `A: ${side(c.a)}`, `B: ${side(c.b)}`, ''];
  if (c.a.thresholdPolicy !== c.b.thresholdPolicy) {
    out.push(`The threshold policies differ (A \`${c.a.thresholdPolicy}\`, B \`${c.b.thresholdPolicy}\`): a difference in a thresholded metric mixes the two runs with the two thresholds.`, '');
  }
  if (c.onlyA.length || c.onlyB.length) {
    out.push(`Not compared (${c.conditions ? 'under one condition only' : 'in one run only'}): ${[...c.onlyA.map((d) => `${d} (A)`), ...c.onlyB.map((d) => `${d} (B)`)].join(', ')}.`, '');
  }
  const fmt = (v: number | null, sign = false): string => (v === null ? '–' : `${sign && v >= 0 ? '+' : ''}${v.toFixed(3)}`);
  const cell = (r: CompareRow | undefined): string =>
    !r || r.delta === null ? '–' : `${fmt(r.delta, true)}${r.delta_lo !== null ? ` [${fmt(r.delta_lo, true)}, ${fmt(r.delta_hi, true)}]` : ''}${r.significant ? ' *' : ''}`;
  for (const [da, db] of c.pairs) {
    out.push(`## ${da === db ? da : `${da} (A) vs ${db} (B)`}`, '');
    const thresholdA = c.a.thresholds.get(da)?.threshold?.value;
    const thresholdB = c.b.thresholds.get(db)?.threshold?.value;
    const protocol = (r: Report, d: string): string => r.run.detectors.find((x) => x.name === d)?.protocol ?? r.run.protocol ?? 'not recorded';
    const policies = c.a.thresholdPolicy === c.b.thresholdPolicy ? `Threshold policy \`${c.a.thresholdPolicy}\`` : `Threshold policies A \`${c.a.thresholdPolicy}\`, B \`${c.b.thresholdPolicy}\``;
    out.push(`${policies}: A ${thresholdA ?? 'none'}, B ${thresholdB ?? 'none'}. Protocol: A ${protocol(c.a, da)}, B ${protocol(c.b, db)}.`, '');
    out.push('| slice | value | pairing | Δ recall fake | Δ AUC / paired AUC | Δ accuracy |', '|---|---|---|---|---|---|');
    const mine = c.rows.filter((r) => r.detector_a === da && r.detector_b === db);
    const keys = [...new Set(mine.map((r) => `${r.slice}\u0000${r.value}`))];
    for (const key of keys) {
      const [slice, value] = key.split('\u0000');
      const rows = mine.filter((r) => r.slice === slice && r.value === value);
      const get = (m: MetricKey) => rows.find((r) => r.metric === m);
      const auc = rows[0].kind === 'fake-only' ? get('paired_auc') : get('auc');
      out.push(`| ${mdCell(slice)} | ${mdCell(value)} | ${rows[0].pairing} | ${cell(get('recall_fake'))} | ${cell(auc)} | ${cell(get('accuracy'))} |`);
    }
    out.push('');
  }
  out.push(`'*': the 95% interval of B − A excludes 0 and both sides have at least ${SIGNIFICANCE_MIN_N} rows. Every metric is in compare.csv.`);
  return `${out.join('\n')}\n`;
}
