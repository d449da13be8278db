import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { silentProgress, type Progress } from '../../runner/progress.js';
import { errorMessage } from '../../util/errors.js';
import type { CaptionEntry } from './caption-stage.js';
import type { EditBackend, SourcePhoto } from './contracts.js';
import { checkEdited } from './inpaint-stage.js';
import { InpaintFailure } from './inpaint/failure.js';
import { itemSeed, p2pMaskRelPath, p2pRelPath } from './layout.js';
import { postEditMask } from './post-edit-mask.js';
import { runStage, type JsonlLog, type StageCounts } from './state.js';

/** One (photo, model) line in edit.jsonl. */
export interface EditEntry {
  key: string;
  ok: boolean;
  /** The edited image and its post-edit mask, relative to the output folder. */
  path: string;
  mask_path: string;
  seed: number;
  /** The post-edit mask's area ratio (changed pixels / all pixels). */
  ratio?: number;
  reason?: string;
  detail?: string;
  retryable?: boolean;
}

export interface EditItem {
  photo: SourcePhoto;
  model: string;
  sourceCaption: string;
  editedCaption: string;
}

export const editKey = (item: { photo: SourcePhoto; model: string }): string => `${item.photo.imageId}\t${item.model}`;

/** The (photo, model) pairs to edit: every edited caption kept (as for labels, not one flagged target_qual_flag). */
export function editItems(photos: SourcePhoto[], captioned: JsonlLog<CaptionEntry>, models: readonly string[]): { items: EditItem[]; qualFlagged: number } {
  const items: EditItem[] = [];
  let qualFlagged = 0;
  for (const photo of photos) {
    const entry = captioned.entries.get(photo.imageId);
    if (!entry?.ok) continue;
    if (entry.target_qual_flag) {
      qualFlagged++;
      continue;
    }
    for (const model of models) items.push({ photo, model, sourceCaption: entry.original_caption!, editedCaption: entry.perturbed_caption! });
  }
  return { items, qualFlagged };
}

/**
 * The edit stage of prompt-based editing: each photo (as PNG) goes to the backend with its caption and edited
 * caption; the answer is checked like an inpainting answer, written atomically to p2p/{dataset}/, and its post-edit
 * mask (the release's p2p_masks) to p2p_masks/{dataset}/; only then is it logged as done.
 */
export async function editStage(options: {
  out: string;
  items: EditItem[];
  backend: EditBackend;
  log: JsonlLog<EditEntry>;
  seed: number;
  concurrency: number;
  progress?: Progress;
}): Promise<StageCounts> {
  const { items, log, out } = options;
  const isDone = (item: EditItem) => {
    const entry = log.entries.get(editKey(item));
    return entry !== undefined && !entry.retryable && (!entry.ok || (existsSync(join(out, entry.path)) && existsSync(join(out, entry.mask_path))));
  };
  const todo = items.filter((i) => !isDone(i));
  const one = async (item: EditItem): Promise<EditEntry> => {
    const source = item.photo.masks[0];
    const path = p2pRelPath(source, item.model);
    const maskPath = p2pMaskRelPath(source, item.model);
    const seed = itemSeed(options.seed, item.photo.imageId, item.model, 'edit');
    const fail = (reason: string, detail?: string, retryable?: boolean): EditEntry => ({ key: editKey(item), ok: false, path, mask_path: maskPath, seed, reason, detail, retryable });
    let image: Buffer;
    let width: number;
    let height: number;
    try {
      const photo = sharp(await readFile(source.imagePath));
      ({ width, height } = (await photo.metadata()) as { width: number; height: number });
      image = await photo.removeAlpha().toColorspace('srgb').png().toBuffer();
    } catch (error) {
      return fail('unreadable image', errorMessage(error).split('\n')[0]);
    }
    let edited: Buffer;
    try {
      edited = await options.backend.edit({ image, sourceCaption: item.sourceCaption, editedCaption: item.editedCaption, seed, width, height, model: item.model });
    } catch (error) {
      if (error instanceof InpaintFailure) return fail(`edit failed: ${error.reason}`, error.message, error.retryable || undefined);
      return fail('edit failed: error', errorMessage(error).split('\n')[0], true);
    }
    const problem = await checkEdited(edited, width, height);
    if (problem) return fail(problem.reason, problem.detail);
    const mask = await postEditMask(source.imagePath, edited);
    writeAtomically(join(out, path), edited);
    writeAtomically(join(out, maskPath), mask.png);
    return { key: editKey(item), ok: true, path, mask_path: maskPath, seed, ratio: mask.ratio };
  };
  return runStage({ label: `edit (${options.backend.name})`, keys: items.map(editKey), pending: todo, work: one, log, progress: options.progress ?? silentProgress, concurrency: options.concurrency });
}

function writeAtomically(target: string, bytes: Buffer): void {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(`${target}.partial`, bytes);
  renameSync(`${target}.partial`, target);
}
