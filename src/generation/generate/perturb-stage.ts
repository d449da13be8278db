import { readFile } from 'node:fs/promises';
import { silentProgress, type Progress } from '../../runner/progress.js';
import { errorMessage } from '../../util/errors.js';
import { Xoshiro128 } from '../../util/random.js';
import { MAGNITUDES, type LabelBackend, type Magnitude, type SourceMask } from './contracts.js';
import { itemSeed } from './layout.js';
import { runStage, type JsonlLog, type StageCounts } from './state.js';

export type { StageCounts } from './state.js';

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

/** The magnitude and the backend's seed for one item (a mask, or a photo's caption): drawn from the run seed and the item's id, nothing else. */
export function drawMagnitude(runSeed: number, id: string, stage: 'perturb' | 'caption' = 'perturb'): { magnitude: Magnitude; seed: number } {
  const rng = new Xoshiro128(itemSeed(runSeed, id, stage));
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
  return runStage({ label: 'perturb', keys: masks.map((m) => m.maskId), pending: todo, work: one, log, progress, concurrency: options.concurrency });
}
