/**
 * Rows grouped into clusters, the unit the bootstrap resamples. In semibench a cluster is a source image: a
 * real photo and all its edits share a `pairId`, and their scores are correlated, so resampling rows alone
 * would understate the uncertainty.
 */
export interface ClusterIndex {
  nRows: number;
  nClusters: number;
  /** Cluster number → its id (row numbers for {@link rowClusters}). */
  ids: (string | number)[];
  /** Row → cluster number (0..nClusters−1, in order of first appearance). */
  clusterOf: Int32Array;
  /** Cluster c's rows are `rows[start[c] .. start[c+1])`. */
  start: Int32Array;
  rows: Int32Array;
}

/** Groups rows by cluster id (e.g. pairId), clusters numbered in order of first appearance. */
export function clusterIndex(ids: ArrayLike<string | number>): ClusterIndex {
  const number = new Map<string | number, number>();
  const clusterOf = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    let c = number.get(ids[i]);
    if (c === undefined) number.set(ids[i], (c = number.size));
    clusterOf[i] = c;
  }
  return fromClusterOf(clusterOf, [...number.keys()]);
}

/** Every row its own cluster: the ordinary (row) bootstrap. */
export function rowClusters(n: number): ClusterIndex {
  const clusterOf = new Int32Array(n);
  for (let i = 0; i < n; i++) clusterOf[i] = i;
  return fromClusterOf(clusterOf, Array.from(clusterOf));
}

/**
 * Builds the index from row → cluster numbers (each in 0..ids.length−1). Clusters may be empty: the paired
 * metrics use this to put a slice's paired rows in the slice's own cluster numbering.
 */
export function fromClusterOf(clusterOf: Int32Array, ids: (string | number)[]): ClusterIndex {
  const nClusters = ids.length;
  const start = new Int32Array(nClusters + 1);
  for (let i = 0; i < clusterOf.length; i++) start[clusterOf[i] + 1]++;
  for (let c = 0; c < nClusters; c++) start[c + 1] += start[c];
  const fill = start.slice(0, nClusters);
  const rows = new Int32Array(clusterOf.length);
  for (let i = 0; i < clusterOf.length; i++) rows[fill[clusterOf[i]]++] = i;
  return { nRows: clusterOf.length, nClusters, ids, clusterOf, start, rows };
}
