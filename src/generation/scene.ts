import type { Bins } from '../slices/bins.js';
import { labelOf } from './bins.js';
import { countListItems } from '../slices/derived.js';
import { numpySum } from './change/pairwise-sum.js';

/**
 * Scene diversity and complexity (SemiTruths/change_metrics/scene_diversity_complexity.py):
 * - diversity = number of entities in the image (`len(ast.literal_eval(entities))`);
 * - complexity = the image's rows in the source-image CSV the authors counted (`df['image_id'].value_counts()`
 *   over the real images' metadata, one row per mask), i.e. masks per image: here the distinct `mask_id`s of the
 *   image's edits; an image whose edits name no mask (prompt-based only, or a table without mask_id) counts its
 *   edited rows instead. The real row is never counted;
 * - categories over unique images: low < mean − σ ≤ medium < mean + σ ≤ high (np.mean, np.std with ddof 0).
 */
export interface SceneStats {
  diversity: MeanStd;
  complexity: MeanStd;
}

export interface MeanStd {
  /** Unique images the statistics are over. */
  images: number;
  mean: number;
  std: number;
  /** [mean − σ, mean + σ] with labels low / medium / high. */
  bins: Bins;
}

/** Collects per-image diversity and row counts in one pass (memory: one entry per image). */
export class SceneIndex {
  private readonly groups = new Map<string, { rows: number; masks: Set<string>; entities?: number }>();

  addRow(group: string, entitiesText: string | undefined, isEdit = true, maskId?: string): void {
    const entry = this.groups.get(group) ?? { rows: 0, masks: new Set<string>() };
    if (isEdit) entry.rows++;
    if (isEdit && maskId !== undefined && maskId.trim() !== '' && !/^(nan|none|na)$/i.test(maskId.trim())) entry.masks.add(maskId.trim());
    // The first row of an image that has a readable entities list gives its diversity.
    if (entry.entities === undefined && entitiesText !== undefined) entry.entities = countEntities(entitiesText);
    this.groups.set(group, entry);
  }

  /** Diversity (entity count) of an image, if its entities list was readable. */
  diversity(group: string): number | undefined {
    return this.groups.get(group)?.entities;
  }

  /** Complexity of an image: masks per image (distinct mask ids), or its edits when none names a mask. */
  complexity(group: string): number | undefined {
    const entry = this.groups.get(group);
    return entry && (entry.masks.size || entry.rows);
  }

  stats(): SceneStats {
    const diversity: number[] = [];
    const complexity: number[] = [];
    for (const { rows, masks, entities } of this.groups.values()) {
      complexity.push(masks.size || rows);
      if (entities !== undefined) diversity.push(entities);
    }
    return { diversity: meanStd(diversity), complexity: meanStd(complexity) };
  }
}

/** low / medium / high for a value under the stats' edges ('' without statistics). */
export function sceneCategory(value: number | undefined, stats: MeanStd): string {
  return value === undefined || stats.images === 0 ? '' : labelOf(value, stats.bins);
}

/** np.mean and np.std (ddof 0) with numpy's pairwise summation. */
function meanStd(values: number[]): MeanStd {
  const n = values.length;
  if (n === 0) return { images: 0, mean: NaN, std: NaN, bins: { edges: [], labels: [] } };
  const mean = numpySum(Float64Array.from(values)) / n;
  const std = Math.sqrt(numpySum(Float64Array.from(values, (v) => (v - mean) * (v - mean))) / n);
  return { images: n, mean, std, bins: { edges: [mean - std, mean + std], labels: ['low', 'medium', 'high'] } };
}

/** The number of entities of an image (`len(ast.literal_eval(entities))`); undefined when empty or missing. */
export function countEntities(text: string): number | undefined {
  const n = countListItems(text);
  return Number.isNaN(n) ? undefined : n;
}
