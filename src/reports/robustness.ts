import { join } from 'node:path';
import { isFormatControl, parseCondition, strength } from '../conditions/spec.js';
import type { MetricKey } from '../metrics/index.js';
import type { MetricCell, SliceRow } from '../slices/aggregate.js';
import { ALL_SLICE } from '../slices/spec.js';
import { writeCsv } from './csv.js';
import type { DetectorScores } from '../slices/scores.js';
import { sliceDeltas, type CompareRow, type DeltaOptions, type DeltaSide } from './paired-delta.js';

/** Metrics on the robustness curves. */
export const CURVE_METRICS: MetricKey[] = ['auc', 'paired_auc', 'ap', 'accuracy', 'balanced_accuracy', 'recall_fake', 'specificity_real'];
/** Metrics the format-shortcut verdict checks. */
export const SHORTCUT_METRICS: MetricKey[] = ['auc', 'paired_auc'];

/** One point of a robustness curve: a detector's overall metric under one condition, next to its clean value. */
export interface CurvePoint {
  detector: string;
  condition: string;
  /** The swept op (`jpeg`, `blur`, `resize:bicubic`, ...); '' for the clean run; the condition itself for chains. */
  op: string;
  /** The op's parameter (quality, radius, scale, fraction, sigma); null for the clean run, chains and format controls. */
  strength: number | null;
  metric: MetricKey;
  value: number | null;
  lo: number | null;
  hi: number | null;
  /** value − the clean run's value (null without both). */
  delta: number | null;
  n_real: number;
  n_fake: number;
}

/**
 * One metric of one detector, clean vs one format control, on the same images: the paired difference
 * equalised − clean with its 95% interval (a cluster bootstrap drawing the same source images for both, or
 * the normal interval of the paired influences on large runs; paired-delta.ts).
 */
export interface ShortcutCheck {
  detector: string;
  condition: string;
  metric: MetricKey;
  clean: { value: number | null; lo: number | null; hi: number | null };
  equalised: { value: number | null; lo: number | null; hi: number | null };
  delta: number | null;
  delta_lo: number | null;
  delta_hi: number | null;
  ci_method: 'bootstrap' | 'normal' | 'none';
  /** 'paired' when both sides scored the same images (a row missing on one side makes it 'partly paired'). */
  pairing: 'paired' | 'partly paired' | 'independent';
  /** The paired difference's 95% interval excludes 0; null without an interval. */
  moved: boolean | null;
  /** Why there is no interval, when there is none. */
  reason?: string;
}

/** Per detector: 'format shortcut' when any check moved, 'no shift beyond the interval' when none did, else 'undetermined'. */
export interface ShortcutVerdict {
  detector: string;
  verdict: 'format shortcut' | 'no shift beyond the interval' | 'undetermined';
  checks: ShortcutCheck[];
}

export interface Robustness {
  curves: CurvePoint[];
  formatShortcut: ShortcutVerdict[];
}

/**
 * Robustness curves and the format-shortcut verdict, from the overall slice rows of each (detector, condition)
 * the report already computed (scores.ts names them `detector@condition`), and for the verdict the paired
 * difference of the overall slice, clean vs each format control. Empty when the run had no conditions.
 */
export function robustness(report: DeltaSide, detectors: readonly DetectorScores[], ci: Omit<DeltaOptions, 'metrics' | 'slices'>): Robustness {
  const { rows } = report;
  const overall = new Map(rows.filter((r) => r.slice === ALL_SLICE).map((r) => [r.detector, r]));
  const conditioned = detectors.filter((d) => d.condition !== 'none');
  if (conditioned.length === 0) return { curves: [], formatShortcut: [] };
  const bases = [...new Set(conditioned.map((d) => d.base))];
  const curves: CurvePoint[] = [];
  const formatShortcut: ShortcutVerdict[] = [];
  for (const base of bases) {
    const clean = overall.get(base);
    const views = detectors.filter((d) => d.base === base);
    for (const v of views) {
      const row = overall.get(v.detector);
      if (!row) continue;
      const c = v.condition === 'none' ? undefined : parseCondition(v.condition);
      const s = c && strength(c);
      for (const metric of CURVE_METRICS) {
        const cell = row.metrics[metric];
        const ref = clean?.metrics[metric].value ?? null;
        curves.push({
          detector: base,
          condition: v.condition,
          op: c === undefined ? '' : (s?.op ?? v.condition),
          strength: s?.value ?? null,
          metric,
          value: cell.value,
          lo: cell.lo,
          hi: cell.hi,
          delta: cell.value !== null && ref !== null ? cell.value - ref : null,
          n_real: row.n_real,
          n_fake: row.n_fake,
        });
      }
    }
    const controls = views.filter((v) => v.condition !== 'none' && isFormatControl(parseCondition(v.condition)));
    if (controls.length === 0) continue;
    const deltas = sliceDeltas(report, report, controls.map((v) => [base, v.detector]), { ...ci, metrics: SHORTCUT_METRICS, slices: [ALL_SLICE] });
    const checks = controls.flatMap((v) =>
      SHORTCUT_METRICS.map((metric) => shortcutCheck(base, v.condition, metric, clean, overall.get(v.detector), deltas.find((d) => d.detector_b === v.detector && d.metric === metric))),
    );
    const verdict = checks.some((k) => k.moved) ? 'format shortcut' : checks.some((k) => k.moved === false) ? 'no shift beyond the interval' : 'undetermined';
    formatShortcut.push({ detector: base, verdict, checks });
  }
  return { curves, formatShortcut };
}

function shortcutCheck(detector: string, condition: string, metric: MetricKey, clean: SliceRow | undefined, equalised: SliceRow | undefined, paired: CompareRow | undefined): ShortcutCheck {
  const cell = (r: SliceRow | undefined) => {
    const m: MetricCell | undefined = r?.metrics[metric];
    return { value: m?.value ?? null, lo: m?.lo ?? null, hi: m?.hi ?? null };
  };
  const lo = paired?.delta_lo ?? null;
  const hi = paired?.delta_hi ?? null;
  const a = cell(clean);
  const b = cell(equalised);
  return {
    detector,
    condition,
    metric,
    clean: a,
    equalised: b,
    delta: a.value !== null && b.value !== null ? b.value - a.value : null,
    delta_lo: lo,
    delta_hi: hi,
    ci_method: paired?.ci_method ?? 'none',
    pairing: paired?.pairing ?? 'independent',
    moved: lo !== null && hi !== null ? lo > 0 || hi < 0 : null,
    ...(lo === null ? { reason: paired?.reason || 'no paired interval' } : {}),
  };
}

/** Writes OUT/slices/robustness.csv (one row per detector, condition and curve metric); undefined without conditions. */
export function writeRobustnessCsv(outDir: string, r: Robustness): string | undefined {
  if (r.curves.length === 0) return undefined;
  const file = join(outDir, 'slices', 'robustness.csv');
  writeCsv(file, r.curves, ['detector', 'condition', 'op', 'strength', 'metric', 'value', 'lo', 'hi', 'delta', 'n_real', 'n_fake']);
  return file;
}

/** The summary.md section: the verdict, then AUC per condition with its interval. */
export function robustnessMarkdown(r: Robustness): string[] {
  if (r.curves.length === 0) return [];
  const out = ['', '## Stress conditions', '', 'Overall AUC [95% interval] per condition (Δ vs the clean run); every metric in slices/robustness.csv, every slice per condition as `detector@condition` rows.', ''];
  const conditions = [...new Set(r.curves.map((p) => p.condition))];
  out.push(`| detector | ${conditions.join(' | ')} |`, `|---|${conditions.map(() => '---|').join('')}`);
  for (const d of [...new Set(r.curves.map((p) => p.detector))]) {
    const cell = (c: string) => {
      const p = r.curves.find((x) => x.detector === d && x.condition === c && x.metric === 'auc');
      if (!p || p.value === null) return '–';
      const ci = p.lo !== null && p.hi !== null ? ` [${p.lo.toFixed(3)}, ${p.hi.toFixed(3)}]` : '';
      return `${p.value.toFixed(3)}${ci}${c === 'none' || p.delta === null ? '' : ` (${p.delta >= 0 ? '+' : ''}${p.delta.toFixed(3)})`}`;
    };
    out.push(`| ${d} | ${conditions.map(cell).join(' | ')} |`);
  }
  if (r.formatShortcut.length) {
    out.push('', '### Format shortcut', '', `${SHORTCUT_RULE} (docs/stress-conditions.md).`, '');
    for (const v of r.formatShortcut) {
      const interval = (k: ShortcutCheck) => (k.delta_lo === null ? '' : `, paired Δ ${signed(k.delta)} [${signed(k.delta_lo)}, ${signed(k.delta_hi)}]`);
      const moved = v.checks.filter((k) => k.moved).map((k) => `${k.metric} ${fmt(k.clean.value)} → ${fmt(k.equalised.value)} under ${k.condition}${interval(k)}`);
      out.push(`- ${v.detector}: **${v.verdict}**${moved.length ? ` (${moved.join('; ')})` : ''}`);
    }
  }
  return out;
}

const fmt = (x: number | null) => (x === null ? '–' : x.toFixed(3));
const signed = (x: number | null) => (x === null ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(3)}`);

/** The verdict's rule, in summary.md and results.json. */
export const SHORTCUT_RULE =
  'Flagged when the paired difference of AUC or paired AUC, format-equalised (format:png / format:jpeg:Q) minus clean on the same images, has a 95% interval that excludes 0';
