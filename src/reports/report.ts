import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchConfig } from '../config/schema.js';
import { listDetectors } from '../detectors/registry.js';
import { openDataSource } from '../loaders/index.js';
import { DEFAULT_CI_BUDGET, type CiSummary, type SliceRow } from '../slices/aggregate.js';
import { allSlice, type AssignedSlice } from '../slices/assign.js';
import type { Bins } from '../slices/bins.js';
import { detectorView, type DetectorView } from '../slices/detector-view.js';
import { MISSING } from '../slices/assign.js';
import { metadataCsv, readColumns, type MetadataTable } from '../slices/metadata.js';
import { planSlices, type SlicePlan } from '../slices/plan.js';
import type { ScoreTable } from '../slices/scores.js';
import { PARALLEL_METADATA_BYTES, readInputs } from '../slices/read-inputs.js';
import { aggregateAll, startWorker } from '../slices/parallel.js';
import type { DetectorThreshold, ManifestFacts } from '../slices/threshold-policy.js';
import { UserError } from '../util/errors.js';
import { notebookColumns } from './notebook-tables.js';
import { robustness, type Robustness } from './robustness.js';
import { readRunInfo, type RunInfo } from './run-info.js';

export interface ReportOptions {
  /** The run folder: predictions.csv, and run.json when `semibench run` made it. */
  runDir: string;
  /** bench.config.ts (slices, bootstrap settings, where manifests live). */
  config: BenchConfig;
  /** Eval set folder; default: the run's (run.json config.data), then the config's. */
  dataDir?: string;
  /** Threshold policy; default: the run's, then the config's. */
  threshold?: string;
  /** Slice names to report (crossed slices bring their parts); default: all of the config's. */
  slices?: string[];
  /** Bootstrap resamples; default config.bootstrap.resamples. */
  resamples?: number;
  /** Row-resamples the bootstrap may spend (see aggregate.ts); default DEFAULT_CI_BUDGET. */
  ciBudget?: number;
  /** Also read the columns of the Semi-Truths notebook tables. */
  notebook?: boolean;
  /** Bin edges to use instead of computing them (compare: run A's bins for run B). */
  fixedBins?: ReadonlyMap<string, Bins>;
  /** Threads (1 or 2; default: 2 for large runs, see slices/read-inputs.ts and slices/parallel.ts). */
  workers?: number;
}

/** Everything a report computed, before it is written anywhere. */
export interface Report {
  runDir: string;
  dataDir: string;
  run: RunInfo;
  config: BenchConfig;
  meta: MetadataTable;
  scores: ScoreTable;
  /** Each detector's ranking (built on first use when a worker thread did the report's share). */
  readonly views: DetectorView[];
  plan: SlicePlan;
  slices: AssignedSlice[];
  thresholds: Map<string, DetectorThreshold>;
  thresholdPolicy: string;
  bootstrap: { resamples: number; seed: number };
  rows: SliceRow[];
  ci: CiSummary;
  /** Robustness curves and the format-shortcut verdict (empty without stress conditions). */
  robustness: Robustness;
  /** Milliseconds per phase (not written to results.json, which must not change between identical reports). */
  timings: Record<string, number>;
}

/**
 * Re-slices a run's saved predictions against the eval set's metadata: no model is touched. Phases: plan the
 * slices against the metadata header, read only the needed columns, read predictions, assign slice groups,
 * then per detector (two threads for large runs): rank once, resolve the threshold, compute every group's
 * metrics.
 */
export async function buildReport(opts: ReportOptions): Promise<Report> {
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string): void => {
    const t = performance.now();
    timings[name] = Math.round(t - t0);
    t0 = t;
  };
  const runDir = resolve(opts.runDir);
  const run = readRunInfo(runDir);
  const dataDir = resolve(opts.dataDir ?? run.data ?? opts.config.data);
  const thresholdPolicy = opts.threshold ?? run.threshold ?? opts.config.threshold;

  // a large run spreads detectors over two threads: start the worker now, it loads while the files are read
  const csv = metadataCsv(dataDir);
  const early = opts.workers !== 1 && csv && (opts.workers === 2 || statSync(csv).size >= PARALLEL_METADATA_BYTES) ? startWorker() : undefined;
  const computed = await (async () => {
    // Without metadata.csv the columns and the table come from the loader's listing: one source, indexed once.
    const source = csv ? undefined : openDataSource(dataDir);
    const header = await readColumns(dataDir, source);
    const plan = planSlices(opts.config.slices, header, opts.slices);
    if (opts.notebook) for (const c of notebookColumns(header)) plan.needs.categorical.add(c);
    const inputs = await readInputs(dataDir, plan.needs, plan.slices, join(runDir, 'predictions.csv'), { fixedBins: opts.fixedBins, workers: opts.workers, source });
    const { meta, scores } = inputs;
    if (scores.detectors.length === 0) throw new UserError(`${join(runDir, 'predictions.csv')} has no prediction rows.`, 'E_DATA');
    // An optional slice whose column is present but empty everywhere (a learned metric whose model was missing
    // when the set was measured) has nothing to say: skip it, as if the column were absent.
    const empty = (a: (typeof inputs.slices)[number]) => a.values.every((v) => v === MISSING) && a.planned?.spec.optional && !opts.slices?.includes(a.name);
    for (const a of inputs.slices.filter(empty)) plan.skipped.push({ name: a.name, reason: `its column has no values in ${dataDir}` });
    const slices = [allSlice(meta), ...inputs.slices.filter((a) => !empty(a))];
    lap('read + assign');
    const bootstrap = { resamples: opts.resamples ?? opts.config.bootstrap.resamples, seed: opts.config.bootstrap.seed };
    const manifests = manifestFacts(opts.config, run);
    // a detector under a stress condition keeps its own native threshold and calibration
    for (const d of scores.detectors) if (d.condition !== 'none' && manifests.has(d.base)) manifests.set(d.detector, manifests.get(d.base)!);
    const { rows, ci, thresholds, views: built } = await aggregateAll(meta, scores.detectors, slices, {
      ...bootstrap,
      ciBudget: opts.ciBudget ?? DEFAULT_CI_BUDGET,
      policy: thresholdPolicy,
      manifests,
      workers: opts.workers,
      worker: early,
    });
    return { meta, scores, plan, slices, bootstrap, rows, ci, thresholds, built };
  })().catch((error: unknown) => {
    void early?.terminate();
    throw error;
  });
  const { meta, scores, plan, slices, bootstrap, rows, ci, thresholds, built } = computed;
  lap('rank + metrics');
  let views: DetectorView[] | undefined;
  const report: Report = {
    runDir,
    dataDir,
    run,
    config: opts.config,
    meta,
    scores,
    get views() {
      return (views ??= scores.detectors.map((d) => built.get(d.detector) ?? detectorView(meta, d)));
    },
    plan,
    slices,
    thresholds,
    thresholdPolicy,
    bootstrap,
    rows,
    ci,
    robustness: { curves: [], formatShortcut: [] },
    timings,
  };
  report.robustness = robustness(report, scores.detectors, { ...bootstrap, ciBudget: opts.ciBudget });
  return report;
}

/** Native threshold and calibration per detector: from the registry (manifests), else from run.json. */
function manifestFacts(config: BenchConfig, run: RunInfo): Map<string, ManifestFacts> {
  const out = new Map<string, ManifestFacts>();
  let entries: ReturnType<typeof listDetectors> = [];
  try {
    entries = listDetectors(config);
  } catch (error) {
    // a broken user manifest must not stop a report on other detectors; `native` then says "no manifest"
    if (!(error instanceof UserError)) throw error;
  }
  for (const e of entries) out.set(e.manifest.name, { nativeThreshold: e.manifest.output.threshold, calibrated: e.manifest.provenance.calibrated });
  for (const d of run.detectors) {
    const known = out.get(d.name);
    if (known && d.calibrated !== undefined) known.calibrated = d.calibrated;
  }
  return out;
}
