import { readFile } from 'node:fs/promises';
import { silentProgress, type Progress } from '../../runner/progress.js';
import { errorMessage } from '../../util/errors.js';
import type { CaptionBackend, Magnitude, SourceMask, SourcePhoto } from './contracts.js';
import { drawMagnitude } from './perturb-stage.js';
import { runStage, type JsonlLog, type StageCounts } from './state.js';

/** One photo's line in caption.jsonl: its caption and the edited caption a p2p model must follow. */
export interface CaptionEntry {
  key: string;
  magnitude: Magnitude;
  seed: number;
  ok: boolean;
  caption_model: string;
  language_model: string;
  original_caption?: string;
  perturbed_caption?: string;
  target_qual_flag?: boolean;
  /** Attempts of the caption edit (the caption's own are in the side log). */
  attempts: number;
  reason?: string;
  /** The server failed (5xx, timeout, connection): the photo is tried again on the next run. */
  retryable?: boolean;
}

/** The source set's photos, each with its masks, in source order. */
export function photosOf(masks: readonly SourceMask[]): SourcePhoto[] {
  const byImage = new Map<string, SourceMask[]>();
  for (const mask of masks) byImage.set(mask.imageId, [...(byImage.get(mask.imageId) ?? []), mask]);
  return [...byImage].map(([imageId, photoMasks]) => ({ imageId, masks: photoMasks }));
}

export const isCaptionDone = (entry: CaptionEntry | undefined): boolean => entry !== undefined && !entry.retryable;

/**
 * The caption stage of prompt-based editing: per photo a caption, then the caption changed by a magnitude drawn
 * from the run seed and the image id; each photo fsynced to the log as it finishes.
 */
export async function captionStage(options: {
  photos: SourcePhoto[];
  backend: CaptionBackend;
  log: JsonlLog<CaptionEntry>;
  seed: number;
  concurrency: number;
  progress?: Progress;
}): Promise<StageCounts> {
  const { photos, backend, log } = options;
  const todo = photos.filter((p) => !isCaptionDone(log.entries.get(p.imageId)));
  const one = async (photo: SourcePhoto): Promise<CaptionEntry> => {
    const { magnitude, seed } = drawMagnitude(options.seed, photo.imageId, 'caption');
    const entry = { key: photo.imageId, magnitude, seed, caption_model: backend.captionModel, language_model: backend.languageModel };
    const failed = (reason: string, attempts: number, retryable?: boolean, caption?: string): CaptionEntry => ({ ...entry, ok: false, original_caption: caption, attempts, reason, retryable: retryable || undefined });
    let image: Buffer;
    try {
      image = await readFile(photo.masks[0].imagePath);
    } catch {
      return failed('missing image', 0);
    }
    try {
      const caption = await backend.caption({ photo, image, seed });
      if (!caption.ok) return failed(caption.reason, caption.attempts, caption.reason.startsWith('LLM request failed'));
      const edit = await backend.perturbCaption({ photo, image, seed, caption: caption.caption, magnitude });
      if (!edit.ok) return failed(edit.reason, edit.attempts, edit.reason.startsWith('LLM request failed'), caption.caption);
      return { ...entry, ok: true, original_caption: caption.caption, perturbed_caption: edit.label, target_qual_flag: edit.targetQualFlag, attempts: edit.attempts };
    } catch (error) {
      return failed(`backend error: ${errorMessage(error)}`, 0, true);
    }
  };
  return runStage({ label: 'caption', keys: photos.map((p) => p.imageId), pending: todo, work: one, log, progress: options.progress ?? silentProgress, concurrency: options.concurrency });
}
