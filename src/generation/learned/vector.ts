/** Vector helpers for embedding models: cosine similarity, masked mean pooling, L2 normalisation. */

/** cos(a, b) = a·b / (|a| |b|), accumulated in float64; 0 when either vector is all zeros. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine: vectors of length ${a.length} and ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  // torch's cosine_similarity clamps the norm product with eps = 1e-8.
  return dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), 1e-8);
}

/** a − b, element-wise (direct_sim compares image-minus-caption directions). */
export function subtract(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length !== b.length) throw new Error(`subtract: vectors of length ${a.length} and ${b.length}`);
  return Float64Array.from({ length: a.length }, (_, i) => a[i] - b[i]);
}

/**
 * sentence-transformers `Pooling(pooling_mode_mean_tokens)`: the mean of the token embeddings where the attention
 * mask is 1. `hidden` is one sequence's [T, D] block.
 */
export function meanPool(hidden: ArrayLike<number>, tokens: number, dim: number, mask: ArrayLike<number>): Float64Array {
  const out = new Float64Array(dim);
  let count = 0;
  for (let t = 0; t < tokens; t++) {
    if (!mask[t]) continue;
    count++;
    for (let d = 0; d < dim; d++) out[d] += hidden[t * dim + d];
  }
  const divisor = Math.max(count, 1e-9);
  for (let d = 0; d < dim; d++) out[d] /= divisor;
  return out;
}

/** v / |v| (sentence-transformers `Normalize`); a zero vector stays zero. */
export function l2Normalize(v: ArrayLike<number>): Float64Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
  return Float64Array.from({ length: v.length }, (_, i) => v[i] * scale);
}
