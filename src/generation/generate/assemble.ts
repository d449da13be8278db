import { copyFileSync, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { csvText, DATA_FILE, writeAtomic } from '../../reports/csv.js';
import type { CaptionEntry } from './caption-stage.js';
import type { SourceMask } from './contracts.js';
import { editKey, type EditEntry } from './edit-stage.js';
import { inpaintKey, type InpaintEntry } from './inpaint-stage.js';
import { originalImageRelPath, originalMaskRelPath } from './layout.js';
import type { PerturbEntry } from './perturb-stage.js';
import type { JsonlLog } from './state.js';

/** The evaluation CSV's columns as the generator writes them; `semibench measure` appends the metric, QC and bin columns. */
export const EVALSET_COLUMNS = [
  'image_id', 'image_path', 'dataset', 'entities', 'class', 'label', 'mask_id', 'mask_path', 'mask_name', 'ratio',
  'method', 'model', 'perturbed_mask_name', 'sem_magnitude', 'language_model', 'target_qual_flag',
  // prompt-based edits (method p2p): the photo's caption and the edited caption the model followed
  'original_caption', 'perturbed_caption',
] as const;

type Row = Record<(typeof EVALSET_COLUMNS)[number], string>;

export interface AssembleCounts {
  real: number;
  fake: number;
  /** Photos left out because their file is missing (their masks failed at perturb with 'missing image'). */
  missingImages: number;
}

/**
 * Stage 6: the Evalset folder `semibench run` reads as is. Photos and masks are copied to original/images/{dataset}/
 * and original/masks/{dataset}/; metadata.csv (written atomically) has one real row per photo, then a fake row
 * per edited image that exists: inpainting edits (mask, model), then prompt-based edits (model, its post-edit mask
 * in mask_path), in source order and model order, so the same inputs give the same bytes.
 */
export function assemble(options: {
  out: string;
  masks: SourceMask[];
  models: readonly string[];
  perturbed: JsonlLog<PerturbEntry>;
  inpainted: JsonlLog<InpaintEntry>;
  /** Prompt-based editing models, and the caption and edit logs (absent when the run has no p2p method). */
  editModels?: readonly string[];
  captioned?: JsonlLog<CaptionEntry>;
  edited?: JsonlLog<EditEntry>;
}): AssembleCounts {
  const { out, masks, models } = options;
  const byImage = new Map<string, SourceMask[]>();
  for (const mask of masks) byImage.set(mask.imageId, [...(byImage.get(mask.imageId) ?? []), mask]);
  const rows: Row[] = [];
  let fake = 0;
  let missingImages = 0;
  for (const [imageId, imageMasks] of byImage) {
    const first = imageMasks[0];
    if (!existsSync(first.imagePath)) {
      missingImages++;
      continue;
    }
    copyOnce(first.imagePath, join(out, originalImageRelPath(first)));
    rows.push({ ...empty(), image_id: imageId, image_path: originalImageRelPath(first), dataset: first.dataset, entities: first.entities, class: first.className, label: 'real' });
    for (const mask of imageMasks) {
      const label = options.perturbed.entries.get(mask.maskId);
      if (!label?.ok) continue;
      for (const model of models) {
        const edit = options.inpainted.entries.get(inpaintKey({ mask, model }));
        if (!edit?.ok || !existsSync(join(out, edit.path))) continue;
        copyOnce(mask.maskPath, join(out, originalMaskRelPath(mask)));
        rows.push({
          image_id: imageId,
          image_path: edit.path,
          dataset: mask.dataset,
          entities: mask.entities,
          class: mask.className,
          label: 'fake',
          mask_id: mask.maskId,
          mask_path: originalMaskRelPath(mask),
          mask_name: mask.maskName,
          ratio: mask.ratio,
          method: 'inpainting',
          model,
          perturbed_mask_name: label.label!,
          sem_magnitude: label.magnitude,
          language_model: label.language_model,
          target_qual_flag: label.target_qual_flag ? 'True' : 'False',
          original_caption: '',
          perturbed_caption: '',
        });
        fake++;
      }
    }
    const caption = options.captioned?.entries.get(imageId);
    if (!caption?.ok) continue;
    for (const model of options.editModels ?? []) {
      const edit = options.edited?.entries.get(editKey({ photo: { imageId, masks: imageMasks }, model }));
      if (!edit?.ok || !existsSync(join(out, edit.path)) || !existsSync(join(out, edit.mask_path))) continue;
      rows.push({
        ...empty(),
        image_id: imageId,
        image_path: edit.path,
        dataset: first.dataset,
        entities: first.entities,
        class: first.className,
        label: 'fake',
        mask_path: edit.mask_path,
        ratio: String(edit.ratio),
        method: 'p2p',
        model,
        sem_magnitude: caption.magnitude,
        language_model: caption.language_model,
        target_qual_flag: caption.target_qual_flag ? 'True' : 'False',
        original_caption: caption.original_caption!,
        perturbed_caption: caption.perturbed_caption!,
      });
      fake++;
    }
  }
  // Verbatim cells (ids and paths must join): the one CSV writer without formula escaping.
  writeAtomic(join(out, 'metadata.csv'), csvText([EVALSET_COLUMNS, ...rows.map((r) => EVALSET_COLUMNS.map((c) => r[c]))], DATA_FILE));
  return { real: byImage.size - missingImages, fake, missingImages };
}

function empty(): Row {
  return Object.fromEntries(EVALSET_COLUMNS.map((c) => [c, ''])) as Row;
}

/** Copies a source file into the eval set unless an identical-size copy is there (copy, then rename). */
function copyOnce(from: string, to: string): void {
  if (existsSync(to) && statSync(to).size === statSync(from).size) return;
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, `${to}.partial`);
  renameSync(`${to}.partial`, to);
}
