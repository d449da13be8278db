/** Small deterministic PRNG for test images. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reference 8-connected components by flood fill, in raster order of first pixel. */
export function naiveComponents(data: Uint8Array, w: number, h: number): { area: number; sumX: number; sumY: number }[] {
  const seen = new Uint8Array(w * h);
  const out: { area: number; sumX: number; sumY: number }[] = [];
  for (let i = 0; i < w * h; i++) {
    if (!data[i] || seen[i]) continue;
    const c = { area: 0, sumX: 0, sumY: 0 };
    const stack = [i];
    seen[i] = 1;
    while (stack.length) {
      const p = stack.pop()!;
      const y = Math.floor(p / w), x = p % w;
      c.area++;
      c.sumX += x;
      c.sumY += y;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy, xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          const q = yy * w + xx;
          if (data[q] && !seen[q]) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    out.push(c);
  }
  return out;
}
