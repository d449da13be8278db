import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchConfig } from '../config/schema.js';
import { loadDetector, MissingWeightsError, scoreProblem, sha256, type Detector } from '../detectors/adapter.js';
import { listDetectors, selectDetectors, type RegistryEntry } from '../detectors/registry.js';
import { decodeImage } from '../image/decode.js';
import type { Chw } from '../image/types.js';
import { openDataSource, readSampleFile, type DataSource, type Sample } from '../loaders/index.js';
import { errorMessage, UserError } from '../util/errors.js';
import { ensureOutputFolder } from '../util/fs.js';
import { PredictionStore, type PredictionRow } from './predictions.js';
import { silentProgress, type Progress } from './progress.js';
import { chunk, filter, mapOrdered } from './stream.js';

/** What happened to one detector in a run. */
export interface DetectorOutcome {
  name: string;
  origin: RegistryEntry['origin'];
  status: 'ran' | 'not run';
  /** Why it did not run (missing weights with the path, sha256 mismatch, ...). */
  reason?: string;
  /** Where the model file was expected, when it did not run because that file is missing. */
  missingWeights?: string;
  protocol?: string;
  modelSha256?: string;
  calibrated: boolean;
  counts: { ok: number; error: number; resumed: number };
  ms: number;
}

export interface RunResult {
  outDir: string;
  predictionsFile: string;
  samples: number;
  detectors: DetectorOutcome[];
  wallMs: number;
}

/** A sample after decode + preprocessing: a tensor, or the reason there is none. */
interface Prepared {
  sample: Sample;
  tensor?: Chw;
  error?: string;
  cacheKey: string;
  ms: number;
}

/**
 * Runs the selected detectors over a data source and appends one prediction row per sample and detector to
 * OUT/predictions.csv. Samples already in the file are skipped, so a killed run resumes where it stopped.
 * Detectors run one after another; within one, decode and preprocessing of the next images overlap inference.
 */
export async function runDetectors(config: BenchConfig, progress: Progress = silentProgress): Promise<RunResult> {
  const started = performance.now();
  const source = openDataSource(config.data);
  const entries = selectDetectors(config.detectors, listDetectors(config));
  ensureOutputFolder(config.out);
  const predictionsFile = join(config.out, 'predictions.csv');
  const store = await PredictionStore.open(predictionsFile);
  const samples = await countSamples(source);
  const outcomes: DetectorOutcome[] = [];
  try {
    for (const entry of entries) outcomes.push(await runOne(entry, config, source, store, samples, progress));
  } finally {
    store.close();
  }
  return { outDir: config.out, predictionsFile, samples, detectors: outcomes, wallMs: performance.now() - started };
}

async function runOne(
  entry: RegistryEntry,
  config: BenchConfig,
  source: DataSource,
  store: PredictionStore,
  total: number,
  progress: Progress,
): Promise<DetectorOutcome> {
  const { manifest } = entry;
  const outcome: DetectorOutcome = {
    name: manifest.name,
    origin: entry.origin,
    status: 'not run',
    calibrated: manifest.provenance.calibrated,
    counts: { ok: 0, error: 0, resumed: 0 },
    ms: 0,
  };
  let detector: Detector;
  try {
    detector = await loadDetector(manifest, { modelsDir: config.modelsDir, protocol: config.protocol });
  } catch (error) {
    // A detector that cannot load (weights missing, sha256 mismatch) is reported; the others still run.
    if (!(error instanceof UserError)) throw error;
    return { ...outcome, reason: error.message, ...(error instanceof MissingWeightsError ? { missingWeights: error.path } : {}) };
  }
  const started = performance.now();
  Object.assign(outcome, { status: 'ran', protocol: detector.protocol, modelSha256: detector.modelSha256 });
  const pending = filter(source.samples(), (s) => {
    const done = store.has(manifest.name, s.id);
    if (done) outcome.counts.resumed++;
    return !done;
  });
  progress.start(manifest.name, total, store.countDone(manifest.name));
  try {
    const prepared = mapOrdered(pending, (s) => prepare(s, detector, config.maxImagePixels), Math.max(1, config.prefetch));
    for await (const batch of chunk(prepared, Math.max(1, config.batchSize), BATCH_TENSOR_BYTES, tensorBytes)) {
      const rows = await scoreBatch(batch, detector);
      store.append(rows);
      for (const row of rows) outcome.counts[row.status]++;
      progress.tick(outcome.counts.ok + outcome.counts.error + outcome.counts.resumed, outcome.counts.error);
    }
  } finally {
    progress.stop();
    await detector.close();
  }
  outcome.ms = performance.now() - started;
  return outcome;
}

/**
 * A batch also closes at this many bytes of input tensors: full-resolution detectors on large images then run
 * one or two at a time instead of stacking `batchSize` copies (eight 3500² images were 6.5 GB). 224² inputs
 * (0.6 MB each) never reach it.
 */
const BATCH_TENSOR_BYTES = 64 * 1024 * 1024;
const tensorBytes = (p: Prepared) => p.tensor?.data.byteLength ?? 0;

/** Reads, decodes and preprocesses one image; a failure becomes the row's error text. */
async function prepare(sample: Sample, detector: Detector, maxPixels: number): Promise<Prepared> {
  const t0 = performance.now();
  let bytes: Buffer;
  try {
    bytes = await readSampleFile(sample);
  } catch (error) {
    return { sample, error: errorMessage(error), cacheKey: '', ms: performance.now() - t0 };
  }
  const cacheKey = sha256(bytes).slice(0, 16);
  if (bytes.length === 0) return { sample, error: `empty file: ${sample.path}`, cacheKey, ms: performance.now() - t0 };
  try {
    const tensor = await detector.prepare(await decodeImage(bytes, { maxPixels }));
    return { sample, tensor, cacheKey, ms: performance.now() - t0 };
  } catch (error) {
    return { sample, error: `${errorMessage(error)} (${sample.path})`, cacheKey, ms: performance.now() - t0 };
  }
}

/** Scores a batch, running same-shaped tensors together; a failing group is retried one image at a time. */
async function scoreBatch(batch: Prepared[], detector: Detector): Promise<PredictionRow[]> {
  const scores = new Map<Prepared, number | string>();
  const groups = new Map<string, Prepared[]>();
  for (const p of batch) {
    if (!p.tensor) continue;
    const shape = `${p.tensor.channels}x${p.tensor.height}x${p.tensor.width}`;
    groups.set(shape, [...(groups.get(shape) ?? []), p]);
  }
  const inferenceMs = new Map<Prepared, number>();
  for (const group of groups.values()) {
    const t0 = performance.now();
    try {
      const values = await detector.score(group.map((p) => p.tensor!));
      group.forEach((p, i) => scores.set(p, values[i]));
    } catch {
      for (const p of group) {
        try {
          scores.set(p, (await detector.score([p.tensor!]))[0]);
        } catch (error) {
          scores.set(p, `inference failed: ${errorMessage(error)}`);
        }
      }
    }
    const share = (performance.now() - t0) / group.length;
    for (const p of group) inferenceMs.set(p, share);
  }
  return batch.map((p) => {
    const result = p.error ?? scores.get(p)!;
    const problem = typeof result === 'string' ? result : scoreProblem(result, detector.manifest.output);
    const ok = problem === undefined;
    // One line per row: decoder messages can span lines.
    const error = ok ? '' : problem.replace(/\s+/g, ' ').trim();
    return {
      sample_id: p.sample.id,
      detector: detector.manifest.name,
      score: ok ? (result as number) : null,
      label: p.sample.label,
      status: ok ? 'ok' : 'error',
      error,
      ms: Math.round((p.ms + (inferenceMs.get(p) ?? 0)) * 100) / 100,
      cache_key: p.cacheKey,
    };
  });
}

async function countSamples(source: DataSource): Promise<number> {
  let n = 0;
  for await (const _ of source.samples()) n++;
  return n;
}
