import { basename, dirname, join, relative } from 'node:path';
import type { MetricCell, SliceRow } from '../slices/aggregate.js';
import type { AssignedSlice } from '../slices/assign.js';
import { describeBins } from '../slices/bins.js';
import { ALL_SLICE } from '../slices/spec.js';
import { METRICS } from '../metrics/index.js';
import { writeAtomic } from './csv.js';
import { mdCell } from './markdown.js';
import { robustnessMarkdown } from './robustness.js';
import type { Report } from './report.js';

/** The overall table's metrics: the registry's headline metrics. */
const OVERALL = METRICS.filter((m) => m.headline).map((m) => [m.key, m.label] as const);

/**
 * The compact Markdown summary printed after a report and saved as summary.md: the overall table per
 * detector (with 95% intervals), fake-only slices as recall / paired AUC / 2AFC, other slices as acc / AUC,
 * and what was excluded. The threshold policy and value sit next to every thresholded number.
 */
export function summaryMarkdown(report: Report): string {
  const { meta, rows } = report;
  const fakes = meta.label.reduce((a, b) => a + b, 0);
  const detectors = report.scores.detectors.map((v) => v.detector);
  const out: string[] = [`# semibench report: ${basename(report.runDir)}`, ''];
  out.push(
    `Data: ${report.dataDir} (metadata sha256 ${meta.fingerprint.slice(0, 12)}…; ${meta.rowCount} samples: ${meta.rowCount - fakes} real, ${fakes} fake, ${meta.pairIds.length} source images)`,
    `Protocol: ${protocolText(report)}.`,
    `Threshold policy: \`${report.thresholdPolicy}\` (fake iff score >= threshold; value per detector below).`,
    `Intervals: 95%, clustered by source image; ${intervalLine(report)}.`,
    '',
    '## Overall',
    '',
    `| detector | threshold | n real / fake | ${OVERALL.map(([, h]) => h).join(' | ')} |`,
    `|---|---|---|${OVERALL.map(() => '---|').join('')}`,
  );
  for (const r of rows.filter((x) => x.slice === ALL_SLICE)) {
    out.push(`| ${mdCell(r.detector)} | ${mdCell(thresholdText(r))} | ${r.n_real} / ${r.n_fake} | ${OVERALL.map(([m]) => withInterval(r.metrics[m])).join(' | ')} |`);
  }
  const notes = [...report.thresholds.values()].filter((t) => t.warning || t.reason).map((t) => `- ${t.detector}: ${t.warning ?? `no threshold (${t.reason})`}`);
  if (notes.length) out.push('', ...notes);

  const fakeOnly = report.slices.filter((s) => s.fakeOnly);
  if (fakeOnly.length) out.push('', '## Fake-only slices: recall on fakes / paired AUC / 2AFC', '', 'Reals carry no value of these columns; paired metrics compare each slice\'s fakes with their own source photos.');
  for (const s of fakeOnly) table(out, s.name, binsHeading(s), detectors, rows, (r) => `${num(r.metrics.recall_fake)} / ${num(r.metrics.paired_auc)} / ${num(r.metrics.two_afc)}`, 'n fake', (r) => `${r.n_fake}`);
  const both = report.slices.filter((s) => !s.fakeOnly && s.name !== ALL_SLICE);
  if (both.length) out.push('', '## Slices with both classes: acc / AUC');
  for (const s of both) table(out, s.name, binsHeading(s), detectors, rows, (r) => `${num(r.metrics.accuracy)} / ${num(r.metrics.auc)}`, 'n real / fake', (r) => `${r.n_real} / ${r.n_fake}`);

  out.push(...robustnessMarkdown(report.robustness));
  out.push('', '## Inputs', '', `- ${report.scores.rows} prediction rows from ${join(report.runDir, 'predictions.csv')}`);
  if (report.scores.unknownIds.count) out.push(`- ${report.scores.unknownIds.count} prediction rows name samples not in the metadata (listed in results.json), e.g. ${report.scores.unknownIds.ids.slice(0, 3).join(', ')}`);
  for (const d of report.scores.detectors) {
    const c = d.counts;
    const parts = [`${c.ok} scored`];
    if (c.error) parts.push(`${c.error} errors`);
    if (c.nonFinite) parts.push(`${c.nonFinite} non-finite scores excluded`);
    if (c.outOfRange) parts.push(`${c.outOfRange} scores outside [0, 1] excluded`);
    if (c.missing) parts.push(`${c.missing} samples without a prediction`);
    if (c.duplicates) parts.push(`${c.duplicates} duplicate rows (last kept)`);
    out.push(`- ${d.detector}: ${parts.join(', ')}`);
  }
  if (report.plan.skipped.length) out.push(`- skipped optional slices (their column is absent or empty in this metadata; reasons in results.json): ${report.plan.skipped.map((s) => s.name).join(', ')}`);
  return `${out.join('\n')}\n`;
}

function table(
  out: string[],
  name: string,
  bins: string | undefined,
  detectors: string[],
  rows: SliceRow[],
  cell: (r: SliceRow) => string,
  countHeader: string,
  count: (r: SliceRow) => string,
): void {
  const mine = rows.filter((r) => r.slice === name);
  const values = [...new Set(mine.map((r) => r.value))];
  out.push('', `### ${name}${bins ? ` (${bins})` : ''}`, '', `| value | ${countHeader} | ${detectors.map(mdCell).join(' | ')} |`, `|---|---|${detectors.map(() => '---|').join('')}`);
  for (const v of values) {
    const cells = detectors.map((d) => mine.find((r) => r.value === v && r.detector === d));
    const first = cells.find((c) => c !== undefined)!;
    out.push(`| ${mdCell(v)} | ${count(first)} | ${cells.map((c) => (c ? cell(c) : '–')).join(' | ')} |`);
  }
}

function binsHeading(s: AssignedSlice): string | undefined {
  if (!s.bins) return undefined;
  const kept = s.bins.kept ? `; kept ${Object.entries(s.bins.kept).map(([from, to]) => `${from} as ${to}`).join(', ')}, other bins left out` : '';
  return (s.bins.source === 'category column' ? `bins as given in ${s.bins.column}` : describeBins(s.bins)) + kept;
}

function intervalLine(report: Report): string {
  const { ci, bootstrap } = report;
  if (bootstrap.resamples === 0) return 'off (resamples = 0)';
  const parts = [`cluster bootstrap (${bootstrap.resamples} resamples, seed ${bootstrap.seed}) for ${ci.bootstrapGroups} groups`];
  if (ci.normalGroups) parts.push(`cluster-robust normal approximation for the ${ci.normalGroups} largest (bootstrap budget ${ci.budget.toExponential(0)} row-resamples)`);
  const wilson = report.rows.reduce((n, r) => n + Object.values(r.metrics).filter((c) => c.ci_method === 'wilson').length, 0);
  if (wilson) parts.push(`Wilson score interval for ${wilson} proportions whose interval had zero width (e.g. 8 of 8), each marked in its CSV column \`<metric>_ci_method\``);
  return parts.join('; ');
}

function thresholdText(r: SliceRow): string {
  if (r.threshold === null) return `${r.threshold_policy}: none`;
  const value = String(+r.threshold.toPrecision(4));
  return value === r.threshold_policy ? value : `${r.threshold_policy} = ${value}`;
}

function num(c: MetricCell): string {
  return c.value === null ? '–' : c.value.toFixed(3);
}

function withInterval(c: MetricCell): string {
  if (c.value === null) return '–';
  return c.lo === null || c.hi === null ? c.value.toFixed(3) : `${c.value.toFixed(3)} [${c.lo.toFixed(2)}, ${c.hi.toFixed(2)}]`;
}

/** The preprocessing protocol the scores were made under: the run's, or each detector's where they differ. */
function protocolText(report: Report): string {
  const { run } = report;
  const per = report.scores.detectors.map((d) => [d.detector, run.detectors.find((x) => x.name === d.detector)?.protocol ?? run.protocol] as const);
  const distinct = new Set(per.map(([, p]) => p));
  if (distinct.size === 1 && [...distinct][0] !== undefined) return `\`${[...distinct][0]}\``;
  if (distinct.size === 1) return 'not recorded (no run.json: imported predictions)';
  return per.map(([d, p]) => `${d} \`${p ?? 'not recorded'}\``).join(', ');
}

/** Rows a slice value needs before the terminal names it as where a detector fails most. */
export const WORST_MIN_ROWS = 30;

/**
 * The short summary the terminal prints: protocol, threshold policy, the overall table (values only) and, per
 * detector, the slice values where it fails most (lowest recall on fakes; paired AUC without a threshold).
 * Intervals and every slice table stay in summary.md, slices/*.csv and results.json.
 */
export function terminalSummary(report: Report): string {
  const out = [`semibench report: ${report.runDir}`, `protocol ${protocolText(report).replaceAll('`', '')}; threshold policy ${report.thresholdPolicy} (fake iff score >= threshold)`, ''];
  const overall = report.rows.filter((r) => r.slice === ALL_SLICE);
  const header = ['detector', 'threshold', 'real/fake', ...OVERALL.map(([, h]) => h)];
  const lines = overall.map((r) => [r.detector, thresholdText(r), `${r.n_real}/${r.n_fake}`, ...OVERALL.map(([m]) => num(r.metrics[m]))]);
  const width = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  for (const l of [header, ...lines]) out.push(l.map((c, i) => c.padEnd(width[i])).join('  ').trimEnd());
  out.push('', `Where each detector fails most (slice values with ${WORST_MIN_ROWS}+ rows):`);
  for (const r of overall) {
    const metric = r.threshold === null ? 'paired_auc' : 'recall_fake';
    const worst = report.rows
      .filter((x) => x.detector === r.detector && x.slice !== ALL_SLICE && x.metrics[metric].value !== null)
      .filter((x) => (metric === 'recall_fake' ? x.n_fake : x.n_fake + x.n_paired_real) >= WORST_MIN_ROWS)
      .sort((a, b) => a.metrics[metric].value! - b.metrics[metric].value!)
      .slice(0, 3);
    const said = worst.map((x) => `${x.slice}=${x.value} ${num(x.metrics[metric])} (n fake ${x.n_fake})`).join('; ');
    out.push(`  ${r.detector}: ${worst.length ? `${metric} ${said}` : `no slice value with ${WORST_MIN_ROWS}+ rows`}`);
  }
  if (report.robustness.formatShortcut.length) out.push('', 'Format shortcut (paired Δ AUC / paired AUC, formats equalised − clean, interval excluding 0):');
  for (const v of report.robustness.formatShortcut) out.push(`  ${v.detector}: ${v.verdict}`);
  return `${out.join('\n')}\n`;
}

/** What a command wrote, for the terminal: files by name, and the per-slice CSVs as one line per folder. */
export function wroteLines(files: readonly string[], cwd = process.cwd()): string[] {
  const slices = files.filter((f) => basename(dirname(f)) === 'slices' && f.endsWith('.csv'));
  const rest = files.filter((f) => !slices.includes(f)).map((f) => `  ${relative(cwd, f)}`);
  const folders = [...new Set(slices.map((f) => dirname(f)))].map((d) => `  ${relative(cwd, d)}/ (${slices.filter((f) => dirname(f) === d).length} slice CSVs)`);
  const html = files.find((f) => basename(f) === 'report.html');
  // the last line is the page to open: the figures live there
  return ['Wrote:', ...rest, ...folders, ...(html ? [`Open the report: ${relative(cwd, html)}`] : [])];
}

/** Writes OUT/summary.md; returns the path and the short terminal summary (the CLI prints it; the file has the rest). */
export function writeSummary(outDir: string, report: Report): { file: string; text: string } {
  const file = join(outDir, 'summary.md');
  writeAtomic(file, summaryMarkdown(report));
  return { file, text: terminalSummary(report) };
}
