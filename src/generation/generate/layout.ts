import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import type { SourceMask } from './contracts.js';

/** Where `semibench generate` keeps things in its output folder (which is the eval set). */
export function outputPaths(out: string) {
  const state = join(out, '.semibench-generate');
  return {
    out,
    state,
    settings: join(state, 'settings.json'),
    perturbLog: join(state, 'perturb.jsonl'),
    inpaintLog: join(state, 'inpaint.jsonl'),
    captionLog: join(state, 'caption.jsonl'),
    editLog: join(state, 'edit.jsonl'),
    llmLog: join(state, 'llm-requests.jsonl'),
    metadata: join(out, 'metadata.csv'),
    generation: join(out, 'generation.json'),
  };
}

/** The release's file names: inpainting/{dataset}/{mask_id}_{dataset}_{model}.png. */
export function inpaintedRelPath(mask: SourceMask, model: string): string {
  return `inpainting/${mask.dataset}/${mask.maskId}_${mask.dataset}_${model}.png`;
}

/** Prompt-based edits as the released Evalset names them: p2p/{dataset}/{image_id}_{dataset}_{model}.png. */
export function p2pRelPath(mask: SourceMask, model: string): string {
  return `p2p/${mask.dataset}/${mask.imageId}_${mask.dataset}_${model}.png`;
}

/** Their post-edit masks, under p2p_masks/ as the release keeps them, with the edit's file name. */
export function p2pMaskRelPath(mask: SourceMask, model: string): string {
  return `p2p_masks/${mask.dataset}/${mask.imageId}_${mask.dataset}_${model}.png`;
}

export function originalImageRelPath(mask: SourceMask): string {
  return `original/images/${mask.dataset}/${basename(mask.imagePath)}`;
}

export function originalMaskRelPath(mask: SourceMask): string {
  return `original/masks/${mask.dataset}/${basename(mask.maskPath)}`;
}

/** A 32-bit seed for one item, from the run seed and the item's names (stable across runs and item order). */
export function itemSeed(runSeed: number, ...names: string[]): number {
  return createHash('sha256').update(`${runSeed}\0${names.join('\0')}`).digest().readUInt32LE(0);
}
