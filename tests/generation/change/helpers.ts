/** Small deterministic PRNG for test images. */
export { uniform as seededUniform } from '../../../src/util/random.js';

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
