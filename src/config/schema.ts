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
  /** Images per inference call (images of different sizes are never batched together). */
  batchSize: number;
  /** Images decoded and preprocessed ahead of inference. */
  prefetch: number;
  /** Slices written by `run` and `report`. */
  slices: SliceSpec[];
  /** `semibench measure` QC gate: metric → [min, max], inclusive (Semi-Truths config.yaml `metric_thresholds`). */
  qc: Record<string, [number, number]>;
  /** Bootstrap resamples for 95% intervals, and the seed that makes them reproducible. */
  bootstrap: { resamples: number; seed: number };
  /** `semibench generate` defaults; its flags override each key. */
  generate: GenerateConfig;
}

export interface GenerateConfig {
  /** Label backend: 'offline' (WordNet, no model) or an OpenAI-compatible server URL. */
  llm: string;
  /** The model the LLM server serves (with a URL in `llm`). */
  llmModel?: string;
  /** Inpainting backend: 'classical', 'a1111:URL', 'comfyui:URL' or 'diffusers:URL'. */
  inpaint: string;
  /** Inpainting models to produce (default: every model of the backend). */
  models?: string[];
  seed: number;
  /** Items in flight per backend. */
  concurrency: number;
}

export type UserConfig = Partial<BenchConfig>;
