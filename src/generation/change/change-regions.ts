import { cv2LabelOrder, labelComponents, type Components } from './components.js';
import { dilateSquare } from './dilate.js';
import { removeSmallObjects } from './remove-small-objects.js';

/** Constants of `Change.__init__` (SemiTruths/change_metrics/magnitude_change.py). */
export const CHANGE_REGION_PARAMS = Object.freeze({
  /** `min_component_size_1`: specks below this many pixels are dropped before dilation. */
  minSpeckSize: 10,
  /** `buffer_size`: the dilation kernel is (2·5 + 1)² = 11×11. */
  bufferSize: 5,
  /** `min_component_size`: dilated regions below this many pixels are dropped. */
  minRegionSize: 200,
  /** `distance_threshold`: used only by the centroid "merge", which has no effect on the result (see below). */
  distanceThreshold: 200,
});

export interface ChangeRegions {
  /** `ratio_pixels`: changed pixels / all pixels: the `post_edit_ratio` / `ratio_rgb` column. */
  postEditRatio: number;
  /** `total_pixels`: pixels in the kept regions. */
  totalPixels: number;
  /** `largest_component_size`: pixels in the largest kept region, 0 if none. */
  largestComponentSize: number;
  /** `num_final_labels_4` (the `cc_clusters` column): kept regions + 1, since cv2 counts the background label. */
  ccClusters: number;
  /** `max_dist` (the `cluster_dist` column): largest distance between two region centroids, -1 under two regions. */
  clusterDist: number;
}

/**
 * The connected-component chain of `Change.calc_cc_ratio` (`calc_cc_ratio_new` in older commits) on the
 * changed-pixel mask from `calc_mse`, step by step:
 * 1. `remove_small_objects(binary.astype(bool), min_size=10, connectivity=3)` (8-connected, size < 10 dropped);
 * 2. `cv2.dilate(binary_image_1, np.ones((11, 11), np.uint8))`;
 * 3. `cv2.connectedComponentsWithStats(dilated_image)`, then `labels_2 = np.uint8(labels_2)`;
 * 4. the "merge" loop: for i < j with centroids closer than 200 px, `component_mapping[j] = component_mapping[i]`,
 *    then `labeled_image_2[labels_2 == i] = component_mapping[i]` for i in 1..n-1 and `labeled_image_2[>0] = 1`.
 *    Every mapped value is ≥ 1, so after binarisation the merge changes nothing, EXCEPT that the uint8 cast wraps
 *    labels mod 256: a region whose cv2 label is 256, 512, … becomes background and is lost, while labels ≥ 256
 *    that wrap to k ≥ 1 are still painted by `labels_2 == k`. We reproduce that wrap, which needs cv2's label order;
 * 5. `remove_small_objects(..., min_size=200, connectivity=3)`;
 * 6. `cv2.connectedComponentsWithStats(labeled_image_3)`: `total_pixels = sum(areas[1:])`,
 *    `ratio = total_pixels / (H·W)`, `max_dist = max(pdist(centroids[1:]))` if more than 2 labels else -1,
 *    `largest = max(areas[1:])` if more than 1 label else 0.
 *
 * Steps 4–6 only drop whole regions of the dilated image, so the regions kept in step 6 are the step-3 regions
 * that survive the wrap and have ≥ 200 pixels: one labelling after the dilation is enough.
 *
 * `changed` is a 0/1 mask, row-major.
 */
export function changeRegions(changed: Uint8Array, width: number, height: number): ChangeRegions {
  const { kept } = removeSmallObjects(changed, width, height, CHANGE_REGION_PARAMS.minSpeckSize);
  const dilated = dilateSquare(kept, width, height, 2 * CHANGE_REGION_PARAMS.bufferSize + 1);
  return summarize(labelComponents(dilated, width, height), width * height);
}

/**
 * The kept regions as a mask (255 changed, 0 not): `save_img` of `calc_cc_ratio_new`, `final_labels_4 > 0` as uint8
 * 255, which the authors wrote with cv2.imwrite for prompt-based edits (the release's p2p_masks). Same chain as
 * {@link changeRegions}; its pixels are the regions counted in `totalPixels`.
 */
export function changeRegionMask(changed: Uint8Array, width: number, height: number): Uint8Array {
  const { kept } = removeSmallObjects(changed, width, height, CHANGE_REGION_PARAMS.minSpeckSize);
  const cc = labelComponents(dilateSquare(kept, width, height, 2 * CHANGE_REGION_PARAMS.bufferSize + 1), width, height);
  const lostToWrap = uint8WrapLosses(cc);
  const keep = new Uint8Array(cc.count);
  for (let k = 0; k < cc.count; k++) keep[k] = !lostToWrap?.[k] && cc.area[k] >= CHANGE_REGION_PARAMS.minRegionSize ? 1 : 0;
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) if (cc.labels[i] > 0 && keep[cc.labels[i] - 1]) mask[i] = 255;
  return mask;
}

function summarize(cc: Components, totalPixels: number): ChangeRegions {
  const lostToWrap = uint8WrapLosses(cc);
  const cx: number[] = [];
  const cy: number[] = [];
  let total = 0;
  let largest = 0;
  for (let k = 0; k < cc.count; k++) {
    const area = cc.area[k];
    if (lostToWrap?.[k] || area < CHANGE_REGION_PARAMS.minRegionSize) continue;
    total += area;
    if (area > largest) largest = area;
    // cv2 centroids: sum of coordinates / area, in double.
    cx.push(cc.sumX[k] / area);
    cy.push(cc.sumY[k] / area);
  }
  return {
    postEditRatio: total / totalPixels,
    totalPixels: total,
    largestComponentSize: largest,
    ccClusters: cx.length + 1,
    clusterDist: cx.length >= 2 ? maxPairwiseDistance(cx, cy) : -1,
  };
}

/**
 * Which components step 4's `np.uint8(labels_2)` turns into background: those whose cv2 label is a multiple of 256.
 * Null when there are fewer than 256 components (nothing wraps to 0).
 */
function uint8WrapLosses(cc: Components): Uint8Array | null {
  if (cc.count < 256) return null;
  const cvLabel = cv2LabelOrder(cc);
  const lost = new Uint8Array(cc.count);
  for (let k = 0; k < cc.count; k++) if ((cvLabel[k] & 255) === 0) lost[k] = 1;
  return lost;
}

/** `np.max(scipy.spatial.distance.pdist(centroids, 'euclidean'))`: pdist computes sqrt(dx² + dy²). */
function maxPairwiseDistance(cx: number[], cy: number[]): number {
  let best = 0;
  for (let i = 0; i < cx.length; i++) {
    for (let j = i + 1; j < cx.length; j++) {
      const dx = cx[i] - cx[j];
      const dy = cy[i] - cy[j];
      const d2 = dx * dx + dy * dy;
      if (d2 > best) best = d2;
    }
  }
  // sqrt is monotonic and correctly rounded, so the max of the square roots is the root of the max.
  return Math.sqrt(best);
}
