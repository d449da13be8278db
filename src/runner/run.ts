import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchConfig } from '../config/schema.js';
import { InferenceWorkerDied } from '../detectors/inference-session.js';
import { loadDetector, loadOptions, MissingWeightsError, scoreProblem, type Detector } from '../detectors/adapter.js';
import { listDetectors, selectDetectors, type RegistryEntry } from '../detectors/registry.js';
import { applyCondition, runConditions, type Condition } from '../conditions/index.js';
import { decodeImage } from '../image/decode.js';
import type { Chw, RgbImage } from '../image/types.js';
import { EvalsetSource, imageKey, openDataSource, readSampleFile, sampleContext, type DataSource, type DuplicateRow, type Sample } from '../loaders/index.js';
import { ArchiveLedger, type ResumeHint } from '../loaders/ledger.js';
import { beginAttempt, writeRunJson } from '../reports/run-json.js';
import { errorMessage, RunStopped, UserError } from '../util/errors.js';
import { scoreIdentity, staleReason, type ScoreIdentity, type StaleReason } from './identity.js';
import { PredictionStore, type PredictionRow } from './predictions.js';
import { ScoreCache } from './score-cache.js';
import { silentProgress, type Progress } from './progress.js';
import { dataIdentity, lockRunFolder, type RunFolderLock } from './run-folder.js';
import { checkSplit, shardFiles, shardSource, type Shard } from './shard.js';
import { chunk, filter, flatten, mapOrdered } from './stream.js';

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
  /** The score identity the clean rows of this detector carry (see identity.ts; other conditions differ in `condition`). */
  identity?: ScoreIdentity;
  /** The conditions it ran under ('none' first), see src/conditions. */
  conditions?: string[];
  calibrated: boolean;
  /**
   * ok/error: rows written in this run (cached: of the ok ones, how many came from the --cache score cache);
   * resumed: stored rows reused; rescored: stored rows replaced, by reason. Summed over conditions.
   */
  counts: { ok: number; error: number; cached: number; resumed: number; rescored: Partial<Record<StaleReason, number>> };
  ms: number;
}

export interface RunResult {
  outDir: string;
  predictionsFile: string;
  runJson: string;
  /** Samples scored (in this shard, for a shard run). */
  samples: number;
  /** metadata.csv rows left out as repeats of an earlier image_path: how many, and the first few. */
  duplicates?: { count: number; first: DuplicateRow[] };
  detectors: DetectorOutcome[];
  wallMs: number;
  shard?: Shard;
  /** The data source's own problems (see DataSource.problems), recorded in run.json. */
  dataProblems?: object;
}

/** One condition of a detector's pass: the score identity its rows carry and its share of the score cache. */
interface ConditionPass {
  condition: Condition;
  identity: ScoreIdentity;
  cache?: ScoreCache;
}

/** A sample under one condition after decode + preprocessing: a tensor, or the reason there is none; or a stored row still valid. */
interface Prepared {
  sample: Sample;
  pass: ConditionPass;
  tensor?: Chw;
  error?: string;
  cacheKey: string;
  ms: number;
  /** The stored row for this sample was computed from the same image and identity: nothing to do. */
  reused?: boolean;
  /** Why the stored row for this sample is replaced. */
  stale?: StaleReason;
  /** The score cache had this image's score under this identity. */
  cached?: number;
}

export interface RunOptions {
  /** A score cache folder shared across runs (score-cache.ts). */
  cache?: string;
  /** The caller already holds --out's lock (the CLI holds it until the report is written too). */
  lock?: RunFolderLock;
  /**
   * Score only this shard's samples, into the shard's own predictions file, run.json and lock in OUT/shards/
   * (shard.ts), so the shards of a run can write into one folder at once; `semibench merge` joins them.
   */
  shard?: Shard;
}

/**
 * Runs the selected detectors over a data source and appends one prediction row per sample and detector to
 * OUT/predictions.csv. A stored row is reused only when its image bytes and score identity match (so a killed
 * run resumes where it stopped, and a changed image, model or protocol is rescored). One run writes into a
 * folder at a time (OUT/.lock), and a folder holds one data set; run.json records each attempt.
 * Detectors run one after another; each is one pass over the data that scores every condition (config.conditions,
 * the clean run first): an image is read and decoded once, and the decoded pixels go to each condition that still
 * needs a score. Decode and preprocessing of the next images overlap inference.
 */
export async function runDetectors(config: BenchConfig, progress: Progress = silentProgress, options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const source = openDataSource(config.data, { strict: config.strictData });
  const entries = selectDetectors(config.detectors, listDetectors(config));
  if (options.lock && options.lock.out !== config.out) throw new Error(`runDetectors: the lock given is for ${options.lock.out}, not ${config.out}`);
  const { shard } = options;
  const files = shard ? shardFiles(config.out, shard) : { predictions: join(config.out, 'predictions.csv'), runJson: join(config.out, 'run.json'), ledger: join(config.out, 'archives.json'), lock: undefined };
  if (shard) checkSplit(config.out, shard);
  const lock = options.lock ? undefined : lockRunFolder(config.out, undefined, files.lock);
  try {
    // The data identity is the whole set's, so every shard of a run records the same one.
    const data = await dataIdentity(source);
    const scored: DataSource = shard ? shardSource(source, shard) : source;
    const samples = await countSamples(scored);
    const duplicates = source instanceof EvalsetSource ? source.duplicates : [];
    if (duplicates.length) {
      const shown = duplicates.slice(0, 3).map((d) => `'${d.imagePath}' (line ${d.line}, first on ${d.firstLine})`).join(', ');
      console.warn(`warning: ${duplicates.length} metadata.csv row(s) repeat an earlier image_path and were left out (first kept): ${shown}${duplicates.length > 3 ? ', …' : ''}. --strict-data makes this an error.`);
    }
    beginAttempt(config, data, files.runJson);
    const predictionsFile = files.predictions;
    const store = await PredictionStore.open(predictionsFile);
    const ledger = ArchiveLedger.open(files.ledger);
    const outcomes: DetectorOutcome[] = [];
    try {
      for (const entry of entries) outcomes.push(await runOne(entry, config, scored, store, ledger, samples, progress, options));
      await store.compact();
    } finally {
      store.close();
    }
    const result = { outDir: config.out, predictionsFile, runJson: '', samples, detectors: outcomes, wallMs: performance.now() - started, shard, dataProblems: source.problems, duplicates: { count: duplicates.length, first: duplicates.slice(0, 10) } };
    result.runJson = writeRunJson(config, result, files.runJson);
    return result;
  } finally {
    lock?.release();
  }
}

async function runOne(
  entry: RegistryEntry,
  config: BenchConfig,
  source: DataSource,
  store: PredictionStore,
  ledger: ArchiveLedger,
  total: number,
  progress: Progress,
  options: RunOptions,
): Promise<DetectorOutcome> {
  const { manifest } = entry;
  const outcome: DetectorOutcome = {
    name: manifest.name,
    origin: entry.origin,
    status: 'not run',
    calibrated: manifest.provenance.calibrated,
    counts: { ok: 0, error: 0, cached: 0, resumed: 0, rescored: {} },
    ms: 0,
  };
  let detector: Detector;
  try {
    detector = await loadDetector(manifest, loadOptions(config));
  } catch (error) {
    // A detector that cannot load (weights missing, sha256 mismatch) is reported; the others still run.
    if (!(error instanceof UserError)) throw error;
    return { ...outcome, reason: error.message, ...(error instanceof MissingWeightsError ? { missingWeights: error.path } : {}) };
  }
  const started = performance.now();
  const conditions = runConditions(config.conditions);
  Object.assign(outcome, { status: 'ran', protocol: detector.protocol, modelSha256: detector.modelSha256, identity: scoreIdentity(detector), conditions: conditions.map((c) => c.name) });
  const passes: ConditionPass[] = conditions.map((condition) => ({ condition, identity: scoreIdentity(detector, condition.name) }));
  try {
    // one score cache per identity (condition included)
    if (options.cache !== undefined) for (const p of passes) p.cache = await ScoreCache.open(options.cache, p.identity);
    await runPass(detector, passes, config, source, store, ledger, total, progress, outcome.counts);
  } finally {
    for (const p of passes) p.cache?.close();
    await detector.close();
  }
  outcome.ms = performance.now() - started;
  return outcome;
}

/** One pass of a loaded detector over the data: each sample scored under every condition that needs it. */
async function runPass(
  detector: Detector,
  passes: ConditionPass[],
  config: BenchConfig,
  source: DataSource,
  store: PredictionStore,
  ledger: ArchiveLedger,
  total: number,
  progress: Progress,
  counts: DetectorOutcome['counts'],
): Promise<void> {
  let shown = -1;
  const tick = () => {
    const done = counts.ok + counts.error + counts.resumed;
    if (done !== shown) progress.tick((shown = done), counts.error);
  };
  const label = passes.length === 1 ? detector.manifest.name : `${detector.manifest.name} [${passes.length} conditions]`;
  progress.start(label, total * passes.length, 0);
  try {
    // prefetch counts prepared tensors: a sample brings one per condition (at least 2 samples, so decode overlaps inference)
    const ahead = Math.max(2, Math.ceil(Math.max(1, config.prefetch) / passes.length));
    // An archive group whose rows all have valid stored rows is skipped unread: they count as reused, and take
    // the current metadata's label as every reused row does.
    const resume: ResumeHint = {
      ledger,
      storedKey: (id) => storedKey(store, detector, passes, id),
      skipped: (samples) => {
        for (const sample of samples) {
          for (const pass of passes) store.relabel(detector.manifest.name, sample.id, pass.condition.name, sample.label);
          counts.resumed += passes.length;
        }
        tick();
      },
    };
    const prepared = flatten(mapOrdered(source.samples(resume), (s) => prepare(s, detector, passes, store, config.maxImagePixels), ahead));
    const pending = filter(prepared, (p) => {
      if (p.stale) counts.rescored[p.stale] = (counts.rescored[p.stale] ?? 0) + 1;
      if (!p.reused) return true;
      if (++counts.resumed % 1000 === 0) tick();
      return false;
    });
    // Scoring streams: each inference worker has the next tensor in hand when it finishes one, so it never waits
    // for this thread (busy preprocessing) to send more; `batchSize` only groups the durable writes.
    const scoredRows = mapOrdered(pending, (p) => scoreOne(p, detector), 2 * detector.parallel);
    for await (const results of chunk(scoredRows, Math.max(1, config.batchSize))) {
      const end = results.findIndex((r) => r.died);
      const done = end < 0 ? results : results.slice(0, end);
      const died = end < 0 ? undefined : results[end].died;
      const rows = done.map((r) => r.row!);
      store.append(rows);
      for (const pass of passes) {
        pass.cache?.add(done.flatMap(({ p, row, inferred }) => (p.pass === pass && inferred && row!.score !== null ? [{ cacheKey: p.cacheKey, score: row!.score }] : [])));
      }
      for (const row of rows) counts[row.status]++;
      counts.cached += done.filter((r) => r.p.cached !== undefined).length;
      tick();
      if (died) {
        const written = counts.ok + counts.error;
        throw new RunStopped(
          `detector '${detector.manifest.name}' stopped: ${died.message} after ${written} row(s) of this run; every row scored is saved in ${store.file}: run the same command again to resume.`,
          { cause: died },
        );
      }
    }
    tick();
  } finally {
    progress.stop();
  }
}

/**
 * Reads and hashes one image, then per condition: when the stored row is still valid, or the score cache has
 * the score, stops there (reading and hashing are cheap next to decoding and inference). The image is decoded
 * once, only if some condition still needs a score; each of those applies its condition to the decoded pixels
 * and preprocesses. A failure becomes the error text of the rows it stops. The shared read + decode time is
 * split among the conditions scored.
 */
async function prepare(sample: Sample, detector: Detector, passes: ConditionPass[], store: PredictionStore, maxPixels: number): Promise<Prepared[]> {
  const t0 = performance.now();
  const check = (pass: ConditionPass, cacheKey: string) => {
    const stored = store.lookup(detector.manifest.name, sample.id, pass.condition.name);
    const stale = stored && staleReason(stored, cacheKey, pass.identity);
    if (!stored || stale) return { stale };
    // The label is not part of the score: a reused row takes the current metadata's (written when the run ends).
    if (stored.label !== String(sample.label)) store.relabel(detector.manifest.name, sample.id, pass.condition.name, sample.label);
    return { reused: true };
  };
  let bytes: Buffer;
  try {
    bytes = await readSampleFile(sample);
  } catch (error) {
    const ms = (performance.now() - t0) / passes.length;
    return passes.map((pass) => ({ sample, pass, error: errorMessage(error), cacheKey: '', ms, ...check(pass, '') }));
  }
  const cacheKey = imageKey(bytes);
  const out: Prepared[] = [];
  const todo: Prepared[] = [];
  for (const pass of passes) {
    const reuse = check(pass, cacheKey);
    const cached = reuse.reused ? undefined : pass.cache?.get(cacheKey);
    const p: Prepared = { sample, pass, cacheKey, ms: cached === undefined ? 0 : performance.now() - t0, ...reuse, ...(cached === undefined ? {} : { cached }) };
    out.push(p);
    if (!p.reused && cached === undefined) todo.push(p);
  }
  const shared = (since: number) => (performance.now() - since) / Math.max(1, todo.length);
  if (todo.length === 0) return out;
  if (bytes.length === 0) {
    for (const p of todo) Object.assign(p, { error: `empty file: ${sample.path}`, ms: shared(t0) });
    return out;
  }
  let image: RgbImage;
  try {
    image = await decodeImage(bytes, { maxPixels });
  } catch (error) {
    for (const p of todo) Object.assign(p, { error: `${errorMessage(error)} (${sample.path})`, ms: shared(t0) });
    return out;
  }
  const decodeMs = shared(t0);
  const context = sampleContext(sample);
  for (const p of todo) {
    const t1 = performance.now();
    try {
      p.tensor = await detector.prepare(await applyCondition(image, p.pass.condition, cacheKey), context);
    } catch (error) {
      p.error = `${errorMessage(error)} (${sample.path})`;
    }
    p.ms = decodeMs + performance.now() - t1;
  }
  return out;
}

/** The image key the stored rows of a sample (one per condition) were all scored from, if each is valid for its pass. */
function storedKey(store: PredictionStore, detector: Detector, passes: ConditionPass[], id: string): string | undefined {
  let key: string | undefined;
  for (const pass of passes) {
    const stored = store.lookup(detector.manifest.name, id, pass.condition.name);
    if (!stored || staleReason(stored, stored.cache_key, pass.identity) || (key !== undefined && key !== stored.cache_key)) return undefined;
    key = stored.cache_key;
  }
  return key;
}

/**
 * Scores one prepared image alone: onnxruntime's kernels are not batch-invariant (the same image scored in a
 * batch of 3 or of 8 differs in the 8th decimal), so a score must not depend on its neighbours or on where a
 * resumed run restarted its batches. Never rejects. When the inference worker dies, the answer is `died` and no
 * row: the rows before it are kept, and no error row is written for the images it could not score (a resume
 * reuses error rows, so they would never be scored).
 */
async function scoreOne(p: Prepared, detector: Detector): Promise<{ p: Prepared; row?: PredictionRow; died?: InferenceWorkerDied; inferred?: boolean }> {
  const t0 = performance.now();
  let result: number | string = p.error ?? p.cached ?? NaN;
  const tensor = p.tensor;
  p.tensor = undefined; // the rows waiting for their durable write do not hold tensors
  if (tensor) {
    try {
      result = (await detector.score([tensor]))[0];
    } catch (error) {
      if (error instanceof InferenceWorkerDied) return { p, died: error };
      result = `inference failed: ${errorMessage(error)}`;
    }
  }
  const problem = typeof result === 'string' ? result : scoreProblem(result, detector.manifest.output);
  const ok = problem === undefined;
  // One line per row: decoder messages can span lines.
  const error = ok ? '' : problem.replace(/\s+/g, ' ').trim();
  const row: PredictionRow = {
    sample_id: p.sample.id,
    detector: detector.manifest.name,
    score: ok ? (result as number) : null,
    label: p.sample.label,
    status: ok ? 'ok' : 'error',
    error,
    ms: Math.round((p.ms + (tensor ? performance.now() - t0 : 0)) * 100) / 100,
    cache_key: p.cacheKey,
    ...p.pass.identity,
  };
  return { p, row, inferred: tensor !== undefined };
}

async function countSamples(source: DataSource): Promise<number> {
  if (source.count) return source.count(); // archives: from the metadata, without decompressing them once more
  let n = 0;
  for await (const _ of source.samples()) n++;
  return n;
}
