import { mkdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { silentProgress, type Progress } from '../../runner/progress.js';
import { errorMessage } from '../../util/errors.js';
import type { InpaintBackend, SourceMask } from './contracts.js';
import { InpaintFailure } from './inpaint/failure.js';
import { prepareMask } from './masks.js';
import { inpaintedRelPath, itemSeed } from './layout.js';
import type { PerturbEntry } from './perturb-stage.js';
import { runStage, type JsonlLog, type StageCounts } from './state.js';

/** Stage 3 as a function: the source mask (any image) at the photo's size → the mask the backend gets (PNG). */
export type MaskPreparer = (mask: Buffer, width: number, height: number) => Promise<Buffer>;

/** The authors' inpaint_img mask steps (masks.ts), on a mask that must be the photo's size. */
export const authorsMaskPreparer: MaskPreparer = async (mask, width, height) => {
  const prepared = await prepareMask(mask);
  if (!prepared.mask.data.some((v) => v > 0)) throw new InpaintFailure('empty mask', 'the mask has no object pixel');
  if (prepared.mask.width !== width || prepared.mask.height !== height) {
    throw new Error(`the mask is ${prepared.mask.width}x${prepared.mask.height}, the photo ${width}x${height}`);
  }
  return prepared.png;
};

/** One (mask, model) line in inpaint.jsonl. */
export interface InpaintEntry {
  key: string;
  ok: boolean;
  /** The edited image, relative to the output folder. */
  path: string;
  seed: number;
  /** Short category for the failure counts ('inpaint failed: timeout', 'bad answer: wrong size', ...). */
  reason?: string;
  detail?: string;
  retryable?: boolean;
}

export interface InpaintItem {
  mask: SourceMask;
  model: string;
  prompt: string;
}

/** The (mask, model) pairs to inpaint: every perturbed label that filter_labels keeps (no target_qual_flag). */
export function inpaintItems(masks: SourceMask[], perturbed: JsonlLog<PerturbEntry>, models: readonly string[]): { items: InpaintItem[]; qualFlagged: number } {
  const items: InpaintItem[] = [];
  let qualFlagged = 0;
  for (const mask of masks) {
    const entry = perturbed.entries.get(mask.maskId);
    if (!entry?.ok) continue;
    if (entry.target_qual_flag) {
      qualFlagged++;
      continue;
    }
    for (const model of models) items.push({ mask, model, prompt: entry.label! });
  }
  return { items, qualFlagged };
}

export const inpaintKey = (item: { mask: SourceMask; model: string }): string => `${item.mask.maskId}\t${item.model}`;

/**
 * Stage 4: each item is prepared (photo as PNG, mask through `prepareMask`), sent to the backend, checked (a PNG
 * of the photo's size, not one flat colour) and written atomically to inpainting/{dataset}/; only then is it
 * logged as done. A bad answer is a failed item with the reason.
 */
export async function inpaintStage(options: {
  out: string;
  items: InpaintItem[];
  backend: InpaintBackend;
  prepareMask: MaskPreparer;
  log: JsonlLog<InpaintEntry>;
  seed: number;
  concurrency: number;
  progress?: Progress;
}): Promise<StageCounts> {
  const { items, log, out } = options;
  const progress = options.progress ?? silentProgress;
  const isDone = (item: InpaintItem) => {
    const entry = log.entries.get(inpaintKey(item));
    return entry !== undefined && !entry.retryable && (!entry.ok || existsSync(join(out, entry.path)));
  };
  const todo = items.filter((i) => !isDone(i));
  const one = async (item: InpaintItem): Promise<InpaintEntry> => {
    const path = inpaintedRelPath(item.mask, item.model);
    const seed = itemSeed(options.seed, item.mask.maskId, item.model, 'inpaint');
    const fail = (reason: string, detail?: string, retryable?: boolean): InpaintEntry => ({ key: inpaintKey(item), ok: false, path, seed, reason, detail, retryable });
    let image: Buffer;
    let mask: Buffer;
    let width: number;
    let height: number;
    try {
      const photo = sharp(await readFile(item.mask.imagePath));
      ({ width, height } = (await photo.metadata()) as { width: number; height: number });
      image = await photo.removeAlpha().toColorspace('srgb').png().toBuffer();
    } catch (error) {
      return fail('unreadable image', errorMessage(error).split('\n')[0]);
    }
    try {
      mask = await options.prepareMask(await readFile(item.mask.maskPath), width, height);
    } catch (error) {
      if (error instanceof InpaintFailure) return fail(error.reason, error.message);
      return fail('unreadable mask', errorMessage(error).split('\n')[0]);
    }
    let edited: Buffer;
    try {
      edited = await options.backend.inpaint({ image, mask, prompt: item.prompt, seed, width, height, model: item.model });
    } catch (error) {
      // A backend names its failure's category (InpaintFailure); anything else is unexpected, and tried again next run.
      if (error instanceof InpaintFailure) return fail(`inpaint failed: ${error.reason}`, error.message, error.retryable || undefined);
      return fail('inpaint failed: error', errorMessage(error).split('\n')[0], true);
    }
    const problem = await checkEdited(edited, width, height);
    if (problem) return fail(problem.reason, problem.detail);
    const target = join(out, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(`${target}.partial`, edited);
    renameSync(`${target}.partial`, target);
    return { key: inpaintKey(item), ok: true, path, seed };
  };
  return runStage({ label: `inpaint (${options.backend.name})`, keys: items.map(inpaintKey), pending: todo, work: one, log, progress, concurrency: options.concurrency });
}

/** Why a backend's answer cannot be kept, or undefined: not a PNG, another size, or one flat colour (a safety filter's black image). */
export async function checkEdited(bytes: Buffer, width: number, height: number): Promise<{ reason: string; detail: string } | undefined> {
  if (bytes.subarray(0, 8).toString('latin1') !== '\x89PNG\r\n\x1a\n') return { reason: 'bad answer: not a PNG', detail: `${bytes.length} bytes` };
  const decoded = await Promise.all([sharp(bytes).metadata(), sharp(bytes).stats()]).catch((error: unknown) => errorMessage(error));
  if (typeof decoded === 'string') return { reason: 'bad answer: undecodable PNG', detail: decoded.split('\n')[0] };
  const [meta, stats] = decoded;
  if (meta.width !== width || meta.height !== height) return { reason: 'bad answer: wrong size', detail: `${meta.width}x${meta.height}, expected ${width}x${height}` };
  if (stats.channels.every((c) => c.min === c.max)) return { reason: 'bad answer: blank image', detail: 'one flat colour (a safety filter?)' };
  return undefined;
}
