import { join } from 'node:path';
import { INVALID_REASONS, STATUS } from '../slices/scores.js';
import { describeBins } from '../slices/bins.js';
import { METRICS, Z95 } from '../metrics/index.js';
import { toolVersions } from '../util/versions.js';
import { writeAtomic } from './csv.js';
import { SHORTCUT_RULE } from './robustness.js';
import type { Report } from './report.js';

/** Version of the results.json layout; bump when a field changes meaning. */
export const RESULTS_SCHEMA = 'semibench.results/1';

/**
 * Everything a reader needs to trust (or reproduce) the numbers: every slice row with intervals and reasons,
 * the threshold policy and each detector's value, bin edges, protocol, model hashes (from run.json), the
 * dataset fingerprint, interval settings, and what was excluded and why. No timestamps: the same inputs give
 * the same bytes.
 */
export function resultsDocument(report: Report): Record<string, unknown> {
  const { run, meta, scores } = report;
  const fakes = meta.label.reduce((a, b) => a + b, 0);
  return {
    schema: RESULTS_SCHEMA,
    versions: toolVersions(),
    run: {
      dir: report.runDir,
      runId: run.runId ?? null,
      protocol: run.protocol ?? null,
      detectors: report.scores.detectors.map((v) => {
        const d = run.detectors.find((x) => x.name === v.base);
        return { name: v.detector, detector: v.base, condition: v.condition, origin: d?.origin ?? null, protocol: d?.protocol ?? null, modelSha256: d?.modelSha256 ?? null, calibrated: d?.calibrated ?? report.thresholds.get(v.detector)?.calibrated ?? null };
      }),
    },
    dataset: {
      root: report.dataDir,
      metadata: meta.source,
      sha256: meta.fingerprint,
      fingerprint: meta.source.endsWith('.csv') ? 'sha256 of metadata.csv bytes' : 'sha256 of the sorted "id<TAB>label" lines (no metadata.csv)',
      rows: meta.rowCount,
      reals: meta.rowCount - fakes,
      fakes,
      sourceImages: meta.pairIds.length,
    },
    threshold: {
      policy: report.thresholdPolicy,
      detectors: Object.fromEntries(
        [...report.thresholds.values()].map((t) => [
          t.detector,
          { value: t.threshold?.value ?? null, optimistic: t.threshold?.optimistic ?? false, note: t.threshold?.note ?? null, reason: t.reason ?? null, calibrated: t.calibrated ?? null, warning: t.warning ?? null },
        ]),
      ),
    },
    metrics: METRICS.map((m) => ({ key: m.key, describe: m.describe, higherIsBetter: m.higherIsBetter, undefinedWhen: m.undefinedWhen })),
    intervals: {
      level: 0.95,
      unit: 'source image (pairId = image_id): a real photo and all its edits are resampled together',
      bootstrap: { method: 'percentile cluster bootstrap (src/metrics computeMetrics)', resamples: report.bootstrap.resamples, seed: report.bootstrap.seed },
      normal: {
        method: 'cluster-robust normal interval: value ± z·sqrt(C/(C−1)·Σ z_c²) from per-image influences (ratio metrics: linearised; AUC: clustered DeLong, Obuchowski 1997)',
        z: Z95,
        metrics: METRICS.filter((m) => 'normal' in m).map((m) => m.key).join(', '),
      },
      wilson: {
        method: 'Wilson score interval on the rows (statsmodels proportion_confint method=wilson), not clustered',
        when: 'a proportion whose bootstrap or normal interval has zero width (e.g. 8/8 → [1, 1]) or could not be formed',
        metrics: METRICS.filter((m) => 'proportion' in m).map((m) => m.key).join(', '),
      },
      assignment: 'groups are bootstrapped smallest first while rows x resamples fits the budget; larger groups use the normal interval (each row says which in ci_method, each cell in its ci_method)',
      ...report.ci,
    },
    slices: report.slices.map((s) => ({
      name: s.name,
      kind: s.fakeOnly ? 'fake-only' : 'both',
      type: s.planned?.kind ?? 'all',
      column: s.planned?.column ?? null,
      derived: s.planned?.derived ?? false,
      categoryColumn: s.planned?.categoryColumn ?? null,
      cross: s.planned?.kind === 'crossed' ? (s.planned.spec as { cross: readonly string[] }).cross : null,
      values: s.values,
      bins: s.bins ? { ...s.bins, describe: describeBins(s.bins) } : null,
    })),
    skippedSlices: report.plan.skipped,
    inputs: {
      predictions: join(report.runDir, 'predictions.csv'),
      predictionRows: scores.rows,
      notInMetadata: { count: scores.unknownIds.count, listed: scores.unknownIds.ids.length, ids: scores.unknownIds.ids },
      detectors: Object.fromEntries(
        scores.detectors.map((d) => [
          d.detector,
          {
            ...d.counts,
            errors: Object.fromEntries([...d.errors].sort(([a], [b]) => (a < b ? -1 : 1))),
            excluded: {
              [INVALID_REASONS[STATUS.nonFinite]]: d.counts.nonFinite,
              [INVALID_REASONS[STATUS.outOfRange]]: d.counts.outOfRange,
            },
          },
        ]),
      ),
    },
    rows: report.rows,
    robustness: {
      about: 'overall metric per detector and stress condition with its 95% interval and delta vs the clean run (docs/stress-conditions.md)',
      curves: report.robustness.curves,
    },
    formatShortcut: {
      rule: SHORTCUT_RULE,
      detectors: report.robustness.formatShortcut,
    },
  };
}

/** Writes OUT/results.json. */
export function writeResultsJson(outDir: string, report: Report): string {
  const file = join(outDir, 'results.json');
  writeAtomic(file, `${JSON.stringify(resultsDocument(report), jsonNumber, 2)}\n`);
  return file;
}

/** JSON has no NaN/Infinity: write them as null (never as a number that looks meaningful). */
export function jsonNumber(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}
