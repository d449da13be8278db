import type { Bins } from '../slices/bins.js';
import { labelOf } from './bins.js';
import { countListItems } from '../slices/derived.js';
import { numpySum } from './change/pairwise-sum.js';

/**
 * Scene diversity and complexity (SemiTruths/change_metrics/scene_diversity_complexity.py):
 * - diversity = number of entities in the image (`len(ast.literal_eval(entities))`);
 * - complexity = number of edited rows sharing the image's id (`df['image_id'].value_counts()` over the edited
 *   metadata): the Evalset layout's real row is not counted, so the value matches the report's derived column;
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
  private readonly groups = new Map<string, { rows: number; entities?: number }>();

  addRow(group: string, entitiesText: string | undefined, isEdit = true): void {
    const entry = this.groups.get(group) ?? { rows: 0 };
    if (isEdit) entry.rows++;
    // The first row of an image that has a readable entities list gives its diversity.
    if (entry.entities === undefined && entitiesText !== undefined) entry.entities = countEntities(entitiesText);
    this.groups.set(group, entry);
  }

  /** Diversity (entity count) of an image, if its entities list was readable. */
  diversity(group: string): number | undefined {
    return this.groups.get(group)?.entities;
  }

  /** Complexity (edits) of an image. */
  complexity(group: string): number | undefined {
    return this.groups.get(group)?.rows;
  }

  stats(): SceneStats {
    const diversity: number[] = [];
    const complexity: number[] = [];
    for (const { rows, entities } of this.groups.values()) {
      complexity.push(rows);
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
