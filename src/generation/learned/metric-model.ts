import type { RgbImage } from '../../image/types.js';
import type { MetricColumn } from '../columns.js';
import type { MetricModelManifest } from './manifest.js';

/** What a learned metric sees of one pair. */
export interface LearnedPair {
  /** Identifies the real image (its path), so rows sharing it reuse its embeddings. */
  realKey: string;
  real: RgbImage;
  /** The edited image as decoded (Semi-Truths' CLIP quality check uses it unresized). */
  edited: RgbImage;
  /** The edited image at the real image's size (Semi-Truths' change metrics use this). */
  aligned: RgbImage;
  originalCaption?: string;
  perturbedCaption?: string;
}

/** A loaded learned metric: fills its columns for a pair. */
export interface MetricModel {
  readonly manifest: MetricModelManifest;
  /** `name@sha8[+sha8]`: recorded per measured row, so a changed model file re-measures the rows. */
  readonly id: string;
  /** The values it could compute (a caption metric leaves its column out when a caption is missing). */
  compute(pair: LearnedPair): Promise<Partial<Record<MetricColumn, number>>>;
  close(): Promise<void>;
}

/** `name@` + the first 8 hex digits of each graph's sha256. */
export function modelId(name: string, sha256s: string[]): string {
  return `${name}@${sha256s.map((s) => s.slice(0, 8)).join('+')}`;
}
