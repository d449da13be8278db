import type { SliceSpec } from '../slices/spec.js';

/** Everything a benchmark run needs; bench.config.ts supplies it through defineConfig. CLI flags override. */
export interface BenchConfig {
  /** Eval set folder (Evalset layout with metadata.csv, or real/ + fake/). */
  data: string;
  /** Output folder of `semibench run`. */
  out: string;
  /** Detector names, or ['all']. */
  detectors: string[];
  /** Preprocessing protocol: `native` (each detector's own) or `semitruths` (the paper's stress test). */
  protocol: string;
  /** Where exported ONNX files live; manifest model paths resolve against it. */
  modelsDir: string;
  /** Folder of user detector manifests (*.json). */
  manifestsDir: string;
  /** Threshold policy for thresholded metrics: a number like "0.5", "native", "fpr@0.05" or "oracle". */
  threshold: string;
  /** Images scored between two durable writes of predictions.csv (each is inferred alone: scores never depend on the batch). */
  batchSize: number;
  /** Images decoded and preprocessed ahead of inference. */
  prefetch: number;
  /** Slices written by `run` and `report`. */
  slices: SliceSpec[];
  /** `semibench measure` QC gate: metric → [min, max], inclusive (Semi-Truths config.yaml `metric_thresholds`). */
  qc: Record<string, [number, number]>;
  /** Bootstrap resamples for 95% intervals, and the seed that makes them reproducible. */
  bootstrap: { resamples: number; seed: number };
}

export type UserConfig = Partial<BenchConfig>;
