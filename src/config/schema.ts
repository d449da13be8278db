import { METHODS, type Method } from '../generation/generate/contracts.js';
import type { SliceSpec } from '../slices/spec.js';

/** onnxruntime's graph optimisation levels (SessionOptions.graphOptimizationLevel). */
export const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;
export type GraphOptimization = (typeof GRAPH_OPTIMIZATION_LEVELS)[number];

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
  /** Where onnxruntime runs the models: 'cpu', or 'cuda' (its CUDA execution provider; docs/scaling.md). */
  device: 'cpu' | 'cuda';
  /** onnxruntime threads inside one operator; 0: onnxruntime's own choice (one per physical core). */
  intraOpThreads: number;
  /** onnxruntime threads across independent operators; 0: onnxruntime's own choice. */
  interOpThreads: number;
  /**
   * Images inferred at once, each by its own onnxruntime session in its own worker thread; 0: chosen from the
   * core count (2 on 2 or more CPU cores, 1 otherwise and on CUDA). Scores are the same bits at any count.
   */
  inferenceWorkers: number;
  /** Whether onnxruntime's idle pool threads spin (holding a core that decoding needs) instead of sleeping. */
  spinning: boolean;
  /** onnxruntime's graph optimisation level: 'disabled', 'basic', 'extended' or 'all' (a score identity input). */
  graphOptimization: GraphOptimization;
  /** Images with more pixels than this get an error row instead of being decoded (bounds memory; docs/inputs.md). */
  maxImagePixels: number;
  /**
   * Stress conditions to score under besides the clean run (src/conditions, docs/stress-conditions.md), e.g.
   * ['jpeg:75', 'resize:0.5+jpeg:75', 'format:png']; each has its own rows (one pass over the data scores them all).
   */
  conditions: string[];
  /** A repeated Evalset image_path stops the run; otherwise the first row is kept and the repeats are reported. */
  strictData: boolean;
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
  /** Editing methods to run: 'inpainting', 'p2p' (prompt-based editing from captions), or both. */
  methods: Method[];
  /** p2p editing backend: 'offline', 'a1111:URL', 'comfyui:URL' or 'diffusers:URL'. */
  edit: string;
  /** p2p editing models to produce (default: every model of the editing backend). */
  editModels?: string[];
  seed: number;
  /** Items in flight per backend. */
  concurrency: number;
}

export type UserConfig = Partial<BenchConfig>;

/** A check for one value: undefined when fine, else what is wrong, worded to follow the key's name. */
type Check = (value: unknown) => string | undefined;

const describe = (v: unknown): string => (Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'number' ? `number ${v}` : `${typeof v} ${JSON.stringify(v)}`);
const nonEmptyString: Check = (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : `must be a non-empty string (got ${describe(v)})`);
const nonNegativeInt: Check = (v) => (Number.isInteger(v) && (v as number) >= 0 ? undefined : `must be an integer ≥ 0 (got ${describe(v)})`);
const positiveInt: Check = (v) => (Number.isInteger(v) && (v as number) > 0 ? undefined : `must be a positive integer (got ${describe(v)})`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The one schema for bench.config.ts and CLI overrides: each key of BenchConfig with its check. The threshold
 * policy and condition specs are checked by the functions passed in, so this module stays free of metric and
 * image code.
 */
export function configSchema(
  thresholdProblem: (policy: string) => string | undefined,
  conditionProblem: (spec: string) => string | undefined,
): Record<keyof BenchConfig, Check> {
  return {
    data: nonEmptyString,
    out: nonEmptyString,
    detectors: (v) =>
      Array.isArray(v) && v.length > 0 && v.every((d) => nonEmptyString(d) === undefined) ? undefined : `must be a list of detector names, e.g. ['all'] (got ${describe(v)})`,
    protocol: nonEmptyString,
    modelsDir: nonEmptyString,
    manifestsDir: nonEmptyString,
    threshold: (v) =>
      typeof v === 'string' ? thresholdProblem(v) : `must be a string such as '0.5', 'native', 'fpr@0.05' or 'oracle' (got ${describe(v)}${typeof v === 'number' ? `; write '${v}'` : ''})`,
    batchSize: positiveInt,
    prefetch: positiveInt,
    device: (v) => (v === 'cpu' || v === 'cuda' ? undefined : `must be 'cpu' or 'cuda' (got ${describe(v)})`),
    intraOpThreads: nonNegativeInt,
    interOpThreads: nonNegativeInt,
    inferenceWorkers: nonNegativeInt,
    spinning: (v) => (typeof v === 'boolean' ? undefined : `must be true or false (got ${describe(v)})`),
    graphOptimization: (v) =>
      (GRAPH_OPTIMIZATION_LEVELS as readonly unknown[]).includes(v) ? undefined : `must be one of ${GRAPH_OPTIMIZATION_LEVELS.map((l) => `'${l}'`).join(', ')} (got ${describe(v)})`,
    maxImagePixels: positiveInt,
    conditions: (v) => {
      if (!Array.isArray(v) || !v.every((c) => typeof c === 'string')) return `must be a list of condition specs such as ['jpeg:75', 'blur:1'] (got ${describe(v)})`;
      for (const c of v) {
        const problem = conditionProblem(c);
        if (problem) return problem;
      }
      return undefined;
    },
    strictData: (v) => (typeof v === 'boolean' ? undefined : `must be true or false (got ${describe(v)})`),
    slices: (v) =>
      Array.isArray(v) && v.every((s) => isObject(s) && typeof s.name === 'string') ? undefined : `must be a list of slice specs, each with a name (got ${describe(v)})`,
    qc: (v) =>
      isObject(v) && Object.values(v).every((r) => Array.isArray(r) && r.length === 2 && r.every((x) => typeof x === 'number'))
        ? undefined
        : 'must map each metric to [min, max] numbers',
    generate: generateProblem,
    bootstrap: (v) =>
      isObject(v) && positiveInt(v.resamples) === undefined && Number.isInteger(v.seed) ? undefined : `must be { resamples: positive integer, seed: integer } (got ${JSON.stringify(v)})`,
  };
}

/** `generate` may give any subset of its keys (the CLI merges it over the defaults); each given one is checked. */
function generateProblem(v: unknown): string | undefined {
  if (!isObject(v)) return `must be an object such as { llm: 'offline', inpaint: 'classical' } (got ${describe(v)})`;
  const checks: Record<keyof GenerateConfig, Check> = {
    llm: nonEmptyString,
    llmModel: nonEmptyString,
    inpaint: nonEmptyString,
    models: (m) => (Array.isArray(m) && m.every((x) => nonEmptyString(x) === undefined) ? undefined : `must be a list of model names (got ${describe(m)})`),
    methods: (m) =>
      Array.isArray(m) && m.length > 0 && m.every((x) => METHODS.includes(x)) ? undefined : `must be a non-empty list of ${METHODS.map((x) => `'${x}'`).join(', ')} (got ${describe(m)})`,
    edit: nonEmptyString,
    editModels: (m) => (Array.isArray(m) && m.every((x) => nonEmptyString(x) === undefined) ? undefined : `must be a list of model names (got ${describe(m)})`),
    seed: (n) => (Number.isInteger(n) ? undefined : `must be an integer (got ${describe(n)})`),
    concurrency: positiveInt,
  };
  for (const [key, value] of Object.entries(v)) {
    const check = checks[key as keyof GenerateConfig];
    if (!check) return `has an unknown key '${key}' (known: ${Object.keys(checks).join(', ')})`;
    const problem = check(value);
    if (problem) return `.${key} ${problem}`;
  }
  return undefined;
}
