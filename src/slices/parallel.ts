import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { parseThresholdPolicy } from '../metrics/index.js';
import { workerEntry } from '../util/worker-entry.js';
import { aggregateContext, aggregateDetector, orderRows, type AggregateContext, type AggregateOptions, type CiSummary, type SliceRow } from './aggregate.js';
import type { AssignedSlice } from './assign.js';
import { detectorView, type DetectorView, type MetaCore } from './detector-view.js';
import type { DetectorScores } from './scores.js';
import { resolveDetectorThreshold, type DetectorThreshold, type ManifestFacts } from './threshold-policy.js';

/** One detector's share of a report, as a worker thread receives it. */
export interface DetectorJob {
  d: number;
  scores: DetectorScores;
  manifest?: ManifestFacts;
}

/** A worker's answer: each detector's rows per slice and its resolved threshold. */
export interface DetectorResult {
  d: number;
  rows: SliceRow[][];
  threshold: DetectorThreshold;
}

/** Prediction rows above which a report spreads its detectors over two threads. */
export const PARALLEL_ROWS = 2_000_000;

export interface AggregateAllOptions extends AggregateOptions {
  policy: string;
  manifests: ReadonlyMap<string, ManifestFacts>;
  /** Threads (1 = this one only); default: 2 for runs over PARALLEL_ROWS with two or more detectors and cores. */
  workers?: number;
  /** A worker started ahead of time with startWorker (used when two threads are chosen, else terminated). */
  worker?: Worker;
}

/** Starts the aggregation worker early, so its module loading overlaps the report's reading. */
export function startWorker(): Worker {
  const worker = new Worker(workerEntry('aggregate-worker', import.meta.url));
  worker.unref();
  return worker;
}

/**
 * Ranks each detector, resolves its threshold and computes its slice rows. Detectors are independent, so a
 * large report gives every other detector to a worker thread (the slice codes shared, not copied); the rows
 * are the same either way (tests/slices/parallel.test.ts). Returns the views built on this thread (the
 * worker's stay there).
 */
export async function aggregateAll(
  meta: MetaCore,
  detectors: readonly DetectorScores[],
  slices: readonly AssignedSlice[],
  opts: AggregateAllOptions,
): Promise<{ rows: SliceRow[]; thresholds: Map<string, DetectorThreshold>; ci: CiSummary; views: Map<string, DetectorView> }> {
  parseThresholdPolicy(opts.policy); // a malformed policy fails before any work
  const predictionRows = detectors.reduce((n, d) => n + d.counts.ok, 0);
  const workers = Math.max(1, Math.min(2, opts.workers ?? (predictionRows >= PARALLEL_ROWS && detectors.length >= 2 && availableParallelism() >= 2 ? 2 : 1)));
  const { policy, manifests, workers: _w, worker: early, ...aggregateOptions } = opts;
  const ctx = aggregateContext(slices, detectors.length, aggregateOptions, workers > 1);
  const jobs: DetectorJob[] = detectors.map((scores, d) => ({ d, scores, manifest: manifests.get(scores.detector) }));
  const elsewhere = workers > 1 ? jobs.filter((j) => j.d % 2 === 1) : [];
  const here = jobs.filter((j) => !elsewhere.includes(j));
  if (!elsewhere.length) void early?.terminate();
  const pending = elsewhere.length ? inWorker(early ?? startWorker(), meta, ctx, elsewhere, policy) : Promise.resolve([]);
  // this thread's share runs while the worker works; a worker failure surfaces at the await
  pending.catch(() => {});
  const views = new Map<string, DetectorView>();
  const results: DetectorResult[] = here.map((job) => {
    const view = detectorView(meta, job.scores);
    views.set(view.detector, view);
    return runJob(view, job, ctx, policy);
  });
  results.push(...(await pending));
  results.sort((a, b) => a.d - b.d);
  return {
    rows: orderRows(results.map((r) => r.rows), slices.length),
    thresholds: new Map(results.map((r) => [r.threshold.detector, r.threshold])),
    ci: ctx.plan.summary,
    views,
  };
}

/** One detector, start to end: the work a thread does per job. */
export function runJob(view: DetectorView, job: DetectorJob, ctx: AggregateContext, policy: string): DetectorResult {
  const threshold = resolveDetectorThreshold(policy, view, job.manifest);
  return { d: job.d, rows: aggregateDetector(view, job.d, threshold, ctx), threshold };
}

function inWorker(worker: Worker, meta: MetaCore, ctx: AggregateContext, jobs: DetectorJob[], policy: string): Promise<DetectorResult[]> {
  return new Promise((resolve, reject) => {
    worker.ref();
    worker.postMessage({ meta: { rowCount: meta.rowCount, label: meta.label, pair: meta.pair, pairIds: meta.pairIds }, ctx: { ...ctx, plan: { ...ctx.plan, methodOf: undefined } }, jobs, policy });
    worker.once('message', (msg: { results?: DetectorResult[]; error?: string }) => {
      void worker.terminate();
      if (msg.results) resolve(msg.results);
      else reject(new Error(`report worker failed: ${msg.error}`));
    });
    worker.once('error', reject);
  });
}
