/**
 * 8-connected component labelling of a binary image (non-zero = foreground), two-pass with union-find.
 *
 * Both libraries the authors call use 8-connectivity here: `cv2.connectedComponentsWithStats` by default, and
 * `skimage.morphology.remove_small_objects(..., connectivity=3)`, whose `generate_binary_structure(2, 3)` is the
 * full 3×3 footprint. Only per-component statistics are used downstream, so labels are numbered in raster
 * order of first pixel; {@link cv2LabelOrder} recovers OpenCV's numbering where it matters.
 */
export interface Components {
  width: number;
  height: number;
  /** Number of components (background excluded). */
  count: number;
  /** Per pixel: 0 for background, else component index + 1. */
  labels: Int32Array;
  /** Pixel count per component (index 0 = first component). */
  area: Float64Array;
  /** Sum of x (column) and of y (row) per component, for centroids as OpenCV computes them. */
  sumX: Float64Array;
  sumY: Float64Array;
}

export function labelComponents(binary: Uint8Array, width: number, height: number): Components {
  const labels = new Int32Array(width * height);
  // parent[k] for provisional label k (1-based); roots keep the smallest label of their set.
  let parent = new Int32Array(Math.max(16, (width * height) >> 4));
  let next = 1;

  for (let r = 0; r < height; r++) {
    const row = r * width;
    const up = row - width;
    for (let c = 0; c < width; c++) {
      const i = row + c;
      if (binary[i] === 0) continue;
      const hasUp = r > 0;
      const lu = hasUp && c > 0 ? labels[up + c - 1] : 0;
      const u = hasUp ? labels[up + c] : 0;
      const ru = hasUp && c + 1 < width ? labels[up + c + 1] : 0;
      const l = c > 0 ? labels[i - 1] : 0;
      let lab: number;
      if (u !== 0) {
        // The pixel above touches every other candidate neighbour, so they already share its set.
        lab = u;
      } else if (ru !== 0) {
        lab = ru;
        if (l !== 0) union(parent, ru, l);
        else if (lu !== 0) union(parent, ru, lu);
      } else if (lu !== 0) {
        lab = lu;
      } else if (l !== 0) {
        lab = l;
      } else {
        if (next >= parent.length) {
          const grown = new Int32Array(parent.length * 2);
          grown.set(parent);
          parent = grown;
        }
        parent[next] = next;
        lab = next++;
      }
      labels[i] = lab;
    }
  }

  // Flatten: provisional label → final 1-based index. A set's root is its smallest label, so parent[k] < k for
  // every non-root and final[parent[k]] is already resolved; components come out in raster order of first pixel.
  const final = new Int32Array(next);
  let count = 0;
  for (let k = 1; k < next; k++) {
    const p = parent[k];
    final[k] = p === k ? ++count : final[p];
  }

  const area = new Float64Array(count);
  const sumX = new Float64Array(count);
  const sumY = new Float64Array(count);
  for (let r = 0, i = 0; r < height; r++) {
    for (let c = 0; c < width; c++, i++) {
      const lab = labels[i];
      if (lab === 0) continue;
      const f = final[lab];
      labels[i] = f;
      area[f - 1]++;
      sumX[f - 1] += c;
      sumY[f - 1] += r;
    }
  }
  return { width, height, count, labels, area, sumX, sumY };
}

function findRoot(parent: Int32Array, k: number): number {
  let root = k;
  while (parent[root] !== root) root = parent[root];
  // Path compression.
  while (parent[k] !== root) {
    const up = parent[k];
    parent[k] = root;
    k = up;
  }
  return root;
}

function union(parent: Int32Array, a: number, b: number): void {
  const ra = findRoot(parent, a);
  const rb = findRoot(parent, b);
  if (ra < rb) parent[rb] = ra;
  else if (rb < ra) parent[ra] = rb;
}

/**
 * The label OpenCV 4.6 `connectedComponentsWithStats` (8-connectivity, default Spaghetti / BBDT family) gives each
 * component, as a 1-based number per component index. Those algorithms scan 2×2 blocks, so components are
 * numbered by the first 2×2 block (block rows of two pixel rows, left to right) that holds one of their pixels,
 * not by first pixel in raster order. Checked against cv2 4.6 on random images by
 * tools/parity/make_change_goldens.py (`check_cv2_label_order`).
 */
export function cv2LabelOrder(cc: Components): Int32Array {
  const { width, height, count, labels } = cc;
  const blocksPerRow = (width + 1) >> 1;
  const firstBlock = new Float64Array(count).fill(Infinity);
  for (let r = 0, i = 0; r < height; r++) {
    const blockRow = (r >> 1) * blocksPerRow;
    for (let c = 0; c < width; c++, i++) {
      const lab = labels[i];
      if (lab === 0) continue;
      const key = blockRow + (c >> 1);
      if (key < firstBlock[lab - 1]) firstBlock[lab - 1] = key;
    }
  }
  const order = Array.from({ length: count }, (_, k) => k).sort((x, y) => firstBlock[x] - firstBlock[y]);
  const cvLabel = new Int32Array(count);
  order.forEach((k, rank) => (cvLabel[k] = rank + 1));
  return cvLabel;
}
