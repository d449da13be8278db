import { readFile } from 'node:fs/promises';
import { silentProgress, type Progress } from '../../runner/progress.js';
import { chunk, mapOrdered } from '../../runner/stream.js';
import { errorMessage } from '../../util/errors.js';
import { Xoshiro128 } from '../../util/random.js';
import { MAGNITUDES, type LabelBackend, type Magnitude, type SourceMask } from './contracts.js';
import { itemSeed } from './layout.js';
import type { JsonlLog } from './state.js';

/** One mask's line in perturb.jsonl. */
export interface PerturbEntry {
  key: string;
  magnitude: Magnitude;
  seed: number;
  ok: boolean;
  label?: string;
  language_model: string;
  target_qual_flag?: boolean;
  attempts: number;
  reason?: string;
  /** The server failed (5xx, timeout, connection): the mask is tried again on the next run. */
  retryable?: boolean;
}

export interface StageCounts {
  items: number;
  /** Done by an earlier run and kept. */
  alreadyDone: number;
  ok: number;
  failed: number;
  failures: Record<string, number>;
}

/** The magnitude and the backend's seed for one mask: drawn from the run seed and the mask id, nothing else. */
export function drawMagnitude(runSeed: number, maskId: string): { magnitude: Magnitude; seed: number } {
  const rng = new Xoshiro128(itemSeed(runSeed, maskId, 'perturb'));
  return { magnitude: MAGNITUDES[rng.nextBelow(MAGNITUDES.length)], seed: rng.nextUint32() };
}

export const isDone = (entry: PerturbEntry | undefined): boolean => entry !== undefined && !entry.retryable;

/** Stage 2: a perturbed label per mask, `concurrency` in flight, each one fsynced to the log as it finishes. */
export async function perturbStage(options: {
  masks: SourceMask[];
  backend: LabelBackend;
  log: JsonlLog<PerturbEntry>;
  seed: number;
  concurrency: number;
  progress?: Progress;
}): Promise<StageCounts> {
  const { masks, backend, log } = options;
  const progress = options.progress ?? silentProgress;
  const todo = masks.filter((m) => !isDone(log.entries.get(m.maskId)));
  progress.start('perturb', masks.length, masks.length - todo.length);
  let done = masks.length - todo.length;
  let errors = 0;
  const one = async (mask: SourceMask): Promise<PerturbEntry> => {
    const { magnitude, seed } = drawMagnitude(options.seed, mask.maskId);
    let image: Buffer;
    try {
      image = await readFile(mask.imagePath);
    } catch {
      return { key: mask.maskId, magnitude, seed, language_model: backend.languageModel, ok: false, attempts: 0, reason: 'missing image' };
    }
    try {
      const result = await backend.perturb({ mask, magnitude, seed, image });
      return result.ok
        ? { key: mask.maskId, magnitude, seed, language_model: backend.languageModel, ok: true, label: result.label, target_qual_flag: result.targetQualFlag, attempts: result.attempts }
        : { key: mask.maskId, magnitude, seed, language_model: backend.languageModel, ok: false, attempts: result.attempts, reason: result.reason, retryable: result.reason.startsWith('LLM request failed') || undefined };
    } catch (error) {
      return { key: mask.maskId, magnitude, seed, language_model: backend.languageModel, ok: false, attempts: 0, reason: `backend error: ${errorMessage(error)}`, retryable: true };
    }
  };
  try {
    for await (const batch of chunk(mapOrdered(toAsync(todo), one, options.concurrency), 1)) {
      log.append(batch);
      done += batch.length;
      errors += batch.filter((e) => !e.ok).length;
      progress.tick(done, errors);
    }
  } finally {
    progress.stop();
  }
  return countEntries(masks.map((m) => m.maskId), log, masks.length - todo.length);
}

export function countEntries(keys: string[], log: JsonlLog<{ key: string; ok: boolean; reason?: string }>, alreadyDone: number): StageCounts {
  const counts: StageCounts = { items: keys.length, alreadyDone, ok: 0, failed: 0, failures: {} };
  for (const key of keys) {
    const entry = log.entries.get(key);
    if (!entry) continue;
    if (entry.ok) counts.ok++;
    else {
      counts.failed++;
      const reason = entry.reason ?? 'unknown';
      counts.failures[reason] = (counts.failures[reason] ?? 0) + 1;
    }
  }
  return counts;
}

export async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
