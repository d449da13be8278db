/**
 * Telea's fast-marching inpainting (A. Telea, "An Image Inpainting Technique Based on the Fast Marching Method",
 * 2004) as OpenCV 4.6 implements it: `cv::inpaint(src, mask, dst, radius, INPAINT_TELEA)` on an 8-bit 3-channel
 * image (modules/photo/src/inpaint.cpp). Ported line for line so the output is byte-identical: C `float`
 * arithmetic is emulated with Math.fround, the priority queue pops ties in insertion order like OpenCV's
 * sorted linked list, and OpenCV's quirks are kept (the image gradient is scaled by 2 instead of 1/2, a
 * neighbour in image row/column 0 reads its colour from row/column 1, the final `+ 0.5` before rounding).
 * Checked byte for byte against cv2.inpaint by tests/generation/generate/telea.test.ts.
 */
import type { RgbImage } from '../../../image/types.js';

const f32 = Math.fround;
const KNOWN = 0;
const BAND = 1;
const INSIDE = 2;
const CHANGE = 3;
const EPS20 = f32(1.0e-20);
const DIR_FLOOR = f32(0.000001);

/** OpenCV's MIN macro: `a > b ? b : a` (differs from Math.min only on signed zeros). */
const min = (a: number, b: number): number => (a > b ? b : a);

/** cvRound: round half to even (SSE2 cvtsd2si in the default rounding mode). */
function cvRound(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * OpenCV's CvPriorityQueueFloat: pops the smallest T; among equal T, the one pushed first (its sorted linked
 * list inserts after every element with T' <= T). A binary heap on (T, push order) pops in the same order.
 */
class FifoMinQueue {
  private readonly keys: Float64Array;
  private readonly order: Float64Array;
  private readonly cells: Int32Array;
  private size = 0;
  private pushed = 0;

  constructor(capacity: number) {
    this.keys = new Float64Array(capacity);
    this.order = new Float64Array(capacity);
    this.cells = new Int32Array(capacity);
  }

  private less(a: number, b: number): boolean {
    return this.keys[a] < this.keys[b] || (this.keys[a] === this.keys[b] && this.order[a] < this.order[b]);
  }

  private swap(a: number, b: number): void {
    const { keys, order, cells } = this;
    const k = keys[a];
    keys[a] = keys[b];
    keys[b] = k;
    const o = order[a];
    order[a] = order[b];
    order[b] = o;
    const c = cells[a];
    cells[a] = cells[b];
    cells[b] = c;
  }

  push(cell: number, t: number): void {
    let n = this.size++;
    this.keys[n] = t;
    this.order[n] = this.pushed++;
    this.cells[n] = cell;
    while (n > 0) {
      const parent = (n - 1) >> 1;
      if (!this.less(n, parent)) break;
      this.swap(n, parent);
      n = parent;
    }
  }

  /** The cell index of the smallest element, or -1 when empty. */
  pop(): number {
    if (this.size === 0) return -1;
    const top = this.cells[0];
    const last = --this.size;
    if (last > 0) {
      this.swap(0, last);
      let n = 0;
      for (;;) {
        const l = 2 * n + 1;
        const r = l + 1;
        let m = n;
        if (l < last && this.less(l, m)) m = l;
        if (r < last && this.less(r, m)) m = r;
        if (m === n) break;
        this.swap(n, m);
        n = m;
      }
    }
    return top;
  }
}

/** A grid with a one-pixel frame around the image, as OpenCV's `erows x ecols` work matrices. */
interface Grid {
  rows: number;
  cols: number;
}

/** inpaint.cpp `FastMarching_solve` (double arithmetic, result rounded to float). */
function solve(f: Uint8Array, t: Float32Array, p1: number, p2: number): number {
  const a11 = t[p1];
  const a22 = t[p2];
  const m12 = min(a11, a22);
  let sol: number;
  if (f[p1] !== INSIDE) {
    if (f[p2] !== INSIDE) {
      sol = Math.abs(a11 - a22) >= 1.0 ? 1 + m12 : (a11 + a22 + Math.sqrt(2 - (a11 - a22) * (a11 - a22))) * 0.5;
    } else sol = 1 + a11;
  } else if (f[p2] !== INSIDE) sol = 1 + a22;
  else sol = 1 + m12;
  return f32(sol);
}

/** The arrival time of cell p from its four diagonal pairs of neighbours (inpaint.cpp's `min4(...)`). */
function arrival(f: Uint8Array, t: Float32Array, p: number, cols: number): number {
  const a = min(solve(f, t, p - cols, p - 1), solve(f, t, p + cols, p - 1));
  const c = min(solve(f, t, p - cols, p + 1), solve(f, t, p + cols, p + 1));
  return min(a, c);
}

/** cvDilate with the 3x3 cross; pixels outside the grid do not count. */
function dilateCross(src: Uint8Array, { rows, cols }: Grid): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const p = y * cols + x;
      let m = src[p];
      if (x > 0 && src[p - 1] > m) m = src[p - 1];
      if (x < cols - 1 && src[p + 1] > m) m = src[p + 1];
      if (y > 0 && src[p - cols] > m) m = src[p - cols];
      if (y < rows - 1 && src[p + cols] > m) m = src[p + cols];
      out[p] = m;
    }
  }
  return out;
}

/** cvDilate with a (2r+1)-square (separable: rows, then columns); pixels outside the grid do not count. */
function dilateSquare(src: Uint8Array, { rows, cols }: Grid, r: number): Uint8Array {
  const across = new Uint8Array(src.length);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let m = 0;
      for (let xx = Math.max(0, x - r), end = Math.min(cols - 1, x + r); xx <= end; xx++) if (src[y * cols + xx] > m) m = src[y * cols + xx];
      across[y * cols + x] = m;
    }
  }
  const out = new Uint8Array(src.length);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let m = 0;
      for (let yy = Math.max(0, y - r), end = Math.min(rows - 1, y + r); yy <= end; yy++) if (across[yy * cols + x] > m) m = across[yy * cols + x];
      out[y * cols + x] = m;
    }
  }
  return out;
}

/** The number of non-zero cells (what CvPriorityQueueFloat::Init counts; 0 makes cv::inpaint return the copy). */
function countNonZero(a: Uint8Array): number {
  let n = 0;
  for (let p = 0; p < a.length; p++) if (a[p] !== 0) n++;
  return n;
}

/** inpaint.cpp SET_BORDER1_C1. */
function clearFrame(a: Uint8Array, { rows, cols }: Grid): void {
  for (let x = 0; x < cols; x++) a[x] = a[(rows - 1) * cols + x] = 0;
  for (let y = 1; y < rows - 1; y++) a[y * cols] = a[y * cols + cols - 1] = 0;
}

/** Pushes every non-zero cell in raster order with T = 0 (CvPriorityQueueFloat::Add). */
function addAll(queue: FifoMinQueue, a: Uint8Array): void {
  for (let p = 0; p < a.length; p++) if (a[p] !== 0) queue.push(p, 0);
}

/** Offsets of the four neighbours in OpenCV's order: up, left, down, right. */
const neighbourOffsets = (cols: number): Int32Array => Int32Array.of(-cols, -1, cols, 1);

/** inpaint.cpp `icvCalcFMM(out, t, Out, negate = true)`: distances outside the mask, stored negated. */
function outsideDistances(f: Uint8Array, t: Float32Array, queue: FifoMinQueue, { rows, cols }: Grid): void {
  const offsets = neighbourOffsets(cols);
  for (let p = queue.pop(); p >= 0; p = queue.pop()) {
    f[p] = CHANGE;
    for (let q = 0; q < 4; q++) {
      const n = p + offsets[q];
      const i = Math.floor(n / cols);
      const j = n - i * cols;
      if (i <= 0 || j <= 0 || i > rows || j > cols) continue;
      if (f[n] === INSIDE) {
        const dist = arrival(f, t, n, cols);
        t[n] = dist;
        f[n] = BAND;
        queue.push(n, dist);
      }
    }
  }
  for (let p = 0; p < f.length; p++) {
    if (f[p] === CHANGE) {
      f[p] = KNOWN;
      t[p] = -t[p];
    }
  }
}

/**
 * `cv2.inpaint(image, mask, radius, cv2.INPAINT_TELEA)` for an 8-bit RGB image; `mask` has one byte per pixel,
 * any non-zero value marks a pixel to fill. Returns a new image; the input is not changed.
 */
export function teleaInpaint(image: RgbImage, mask: Uint8Array, radius = 3): RgbImage {
  const { width, height } = image;
  if (mask.length !== width * height) {
    throw new Error(`teleaInpaint: mask has ${mask.length} pixels, the image ${width}x${height}`);
  }
  const range = Math.min(Math.max(cvRound(radius), 1), 100);
  const grid: Grid = { rows: height + 2, cols: width + 2 };
  const { rows, cols } = grid;
  const out = new Uint8Array(image.data);

  const inside = new Uint8Array(rows * cols);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (mask[y * width + x] !== 0) inside[(y + 1) * cols + x + 1] = INSIDE;
  }
  const t = new Float32Array(rows * cols).fill(1.0e6);
  const band = dilateCross(inside, grid);
  if (countNonZero(band) === 0) return { width, height, data: out }; // Heap->Init fails: nothing to fill
  for (let p = 0; p < band.length; p++) band[p] = Math.max(band[p] - inside[p], 0);
  clearFrame(band, grid);
  const heap = new FifoMinQueue(rows * cols);
  addAll(heap, band);
  for (let p = 0; p < band.length; p++) if (band[p] !== 0) t[p] = 0;

  // Telea weighs known pixels by their (negated) distance from the mask: march outwards over a ring of `range`.
  const ring = dilateSquare(inside, grid, range);
  for (let p = 0; p < ring.length; p++) ring[p] = Math.max(ring[p] - inside[p], 0);
  if (countNonZero(ring) === 0) return { width, height, data: out }; // Out->Init fails
  const ringQueue = new FifoMinQueue(rows * cols);
  addAll(ringQueue, band);
  for (let p = 0; p < ring.length; p++) ring[p] = Math.max(ring[p] - band[p], 0);
  clearFrame(ring, grid);
  outsideDistances(ring, t, ringQueue, grid);

  fill(inside, t, out, width, grid, range, heap);
  return { width, height, data: out };
}

/** inpaint.cpp `icvTeleaInpaintFMM<uchar>` for 3 channels; `f` is the mask grid (KNOWN / INSIDE / BAND). */
function fill(f: Uint8Array, t: Float32Array, out: Uint8Array, width: number, { rows, cols }: Grid, range: number, heap: FifoMinQueue): void {
  const stride = width * 3;
  const offsets = neighbourOffsets(cols);
  const span = 2 * range + 1;
  // Per window cell, shared by the three channels: its weight, and as offsets into `out` the colour it reads
  // and the two samples (and factor 0, 1 or 2) of each image-gradient component, chosen as inpaint.cpp does.
  const CELL = 9;
  const weight = new Float64Array(span * span);
  const cell = new Int32Array(span * span * CELL);
  const filled = [0, 0, 0];
  const at = (y: number, x: number): number => y * stride + x * 3;
  const put = (o: number, plus: number, minus: number, factor: number): void => {
    cell[o] = plus;
    cell[o + 1] = minus;
    cell[o + 2] = factor;
  };

  for (let p = heap.pop(); p >= 0; p = heap.pop()) {
    f[p] = KNOWN;
    for (let q = 0; q < 4; q++) {
      const n = p + offsets[q];
      const i = Math.floor(n / cols);
      const j = n - i * cols;
      if (i <= 0 || j <= 0 || i > rows - 1 || j > cols - 1) continue;
      if (f[n] !== INSIDE) continue;
      const dist = arrival(f, t, n, cols);
      t[n] = dist;

      let gradTx: number;
      let gradTy: number;
      if (f[n + 1] !== INSIDE) {
        gradTx = f[n - 1] !== INSIDE ? f32(f32(t[n + 1] - t[n - 1]) * 0.5) : f32(t[n + 1] - t[n]);
      } else gradTx = f[n - 1] !== INSIDE ? f32(t[n] - t[n - 1]) : 0;
      if (f[n + cols] !== INSIDE) {
        gradTy = f[n - cols] !== INSIDE ? f32(f32(t[n + cols] - t[n - cols]) * 0.5) : f32(t[n + cols] - t[n]);
      } else gradTy = f[n - cols] !== INSIDE ? f32(t[n] - t[n - cols]) : 0;

      let cells = 0;
      for (let k = i - range; k <= i + range; k++) {
        const km = k - 1 + (k === 1 ? 1 : 0);
        const kp = k - 1 - (k === rows - 2 ? 1 : 0);
        for (let l = j - range; l <= j + range; l++) {
          const lm = l - 1 + (l === 1 ? 1 : 0);
          const lp = l - 1 - (l === cols - 2 ? 1 : 0);
          if (!(k > 0 && l > 0 && k < rows - 1 && l < cols - 1)) continue;
          const g = k * cols + l;
          if (f[g] === INSIDE || (l - j) * (l - j) + (k - i) * (k - i) > range * range) continue;
          const ry = f32(i - k);
          const rx = f32(j - l);
          const len2 = f32(f32(rx * rx) + f32(ry * ry));
          const dst = f32(1 / (len2 * Math.sqrt(len2)));
          const lev = f32(1 / f32(1 + Math.abs(f32(t[g] - t[n]))));
          let dir = f32(f32(rx * gradTx) + f32(ry * gradTy));
          if (Math.abs(dir) <= 0.01) dir = DIR_FLOOR;
          weight[cells] = f32(Math.abs(f32(f32(dst * lev) * dir)));
          const o = cells * CELL;
          const colour = at(km, lm);
          cell[o] = colour;
          const right = f[g + 1] !== INSIDE;
          const left = f[g - 1] !== INSIDE;
          if (right && left) put(o + 1, at(km, lp + 1), at(km, lm - 1), 2);
          else if (right) put(o + 1, at(km, lp + 1), colour, 1);
          else if (left) put(o + 1, at(km, lp), at(km, lm - 1), 1);
          else put(o + 1, colour, colour, 0);
          const down = f[g + cols] !== INSIDE;
          const up = f[g - cols] !== INSIDE;
          if (down && up) put(o + 4, at(kp + 1, lm), at(km - 1, lm), 2);
          else if (down) put(o + 4, at(kp + 1, lm), colour, 1);
          else if (up) put(o + 4, at(kp, lm), at(km - 1, lm), 1);
          else put(o + 4, colour, colour, 0);
          cell[o + 7] = rx;
          cell[o + 8] = ry;
          cells++;
        }
      }

      const y = i - 1;
      const x = j - 1;
      for (let c = 0; c < 3; c++) {
        let ia = 0;
        let jx = 0;
        let jy = 0;
        let s = EPS20;
        for (let e = 0; e < cells; e++) {
          const o = e * CELL;
          const w = weight[e];
          const gradIx = (out[cell[o + 1] + c] - out[cell[o + 2] + c]) * cell[o + 3];
          const gradIy = (out[cell[o + 4] + c] - out[cell[o + 5] + c]) * cell[o + 6];
          ia = f32(ia + f32(w * out[cell[o] + c]));
          jx = f32(jx - f32(w * f32(gradIx * cell[o + 7])));
          jy = f32(jy - f32(w * f32(gradIy * cell[o + 8])));
          s = f32(s + w);
        }
        const norm = f32(f32(Math.sqrt(f32(f32(jx * jx) + f32(jy * jy)))) + EPS20);
        const sat = f32(f32(f32(ia / s) + f32(f32(jx + jy) / norm)) + 0.5);
        filled[c] = Math.min(Math.max(cvRound(sat), 0), 255);
      }
      for (let c = 0; c < 3; c++) out[(y * width + x) * 3 + c] = filled[c];
      f[n] = BAND;
      heap.push(n, dist);
    }
  }
}
