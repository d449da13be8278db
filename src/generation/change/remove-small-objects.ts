import { labelComponents, type Components } from './components.js';

/**
 * `skimage.morphology.remove_small_objects(ar.astype(bool), min_size, connectivity=3)` (scikit-image 0.19,
 * skimage/morphology/misc.py) on a 2-D image: label with the full 3×3 footprint (connectivity 3 ≥ ndim → 8-connected),
 * then zero every component with `component_sizes < min_size` (strictly less: a component of exactly min_size stays).
 *
 * Returns the cleaned 0/1 image and the labelling it was computed from.
 */
export function removeSmallObjects(
  binary: Uint8Array,
  width: number,
  height: number,
  minSize: number,
): { kept: Uint8Array; components: Components } {
  const components = labelComponents(binary, width, height);
  const { labels, area } = components;
  const kept = new Uint8Array(width * height);
  for (let i = 0; i < kept.length; i++) {
    const lab = labels[i];
    if (lab !== 0 && area[lab - 1] >= minSize) kept[i] = 1;
  }
  return { kept, components };
}
